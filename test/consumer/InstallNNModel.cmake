# cmake -P: installs the NNModel build tree into a fresh PREFIX with `cmake --install` and
# checks the layout; with DATA_DIR, also runs the installed `nnmodel run`, which must find
# the installed runtime library at <prefix>/lib.
#
#   -DBUILD_DIR=<NNModel build> -DPREFIX=<dir> [-DDATA_DIR=<make_models.py output>]
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
foreach(f bin/nnmodel lib/libnnmodel_runtime.a include/nnmodel/runtime.h
          lib/cmake/NNModel/NNModelConfig.cmake lib/cmake/NNModel/NNModelConfigVersion.cmake
          lib/cmake/NNModel/NNModelTargets.cmake lib/cmake/NNModel/NNModelFunctions.cmake)
  if(NOT EXISTS "${PREFIX}/${f}")
    message(FATAL_ERROR "not installed: ${PREFIX}/${f}")
  endif()
endforeach()
if(DEFINED DATA_DIR)
  file(REMOVE_RECURSE "${PREFIX}.run")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env --unset=NNMODEL_RUNTIME_LIB
                          "${PREFIX}/bin/nnmodel" run "${DATA_DIR}/mlp.onnx"
                          -i "x=${DATA_DIR}/mlp.x.npy" -o "${PREFIX}.run"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${PREFIX}.run/y.npy")
    message(FATAL_ERROR "the installed `nnmodel run` failed (${rc})")
  endif()
endif()
message(STATUS "NNModel installed in ${PREFIX}")
