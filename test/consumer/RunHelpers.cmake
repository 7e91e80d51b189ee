# Helpers shared by the consumer test scripts (cmake -P).

# Runs a command; its output (stdout and stderr) goes to <outvar>; a non-zero exit fails.
function(run outvar)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "$ ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${shown}\n${out}")
  endif()
  set(${outvar} "${out}" PARENT_SCOPE)
endfunction()
