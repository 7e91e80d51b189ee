# consumer.example.digits: examples/digits configured against this build tree, built
# and run; the program exits non-zero when the model cannot run.
file(REMOVE_RECURSE ${BIN})
foreach(step
    "${CMAKE_COMMAND};-S;${SRC};-B;${BIN};-G;Ninja;-DNNModel_DIR=${NNMODEL_DIR};-DCMAKE_CXX_COMPILER=${CXX};-DCMAKE_C_COMPILER=${CC}"
    "${CMAKE_COMMAND};--build;${BIN}"
    "${BIN}/digits-app")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "${step} failed (${rc}):\n${out}${err}")
  endif()
endforeach()
message(STATUS "consumer.example.digits: ${out}")
