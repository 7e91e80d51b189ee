# cmake -P driver for installed model packages (nnmodel_install_model).
#
# MODE=produce  -DWORK_DIR -DNNMODEL_PREFIX -DDATA_DIR
#     Builds test/consumer/model-package three times and installs "mnist" packages:
#       WORK_DIR/models-1.4   mnist 1.4.0 (lenet.onnx) and mnist 2.0.0 (mlp.onnx)
#       WORK_DIR/models-2.0   mnist 2.0.0 only
#       WORK_DIR/models-1.1   mnist 1.1.0 only (mlp.onnx)
# MODE=accept   -DWORK_DIR -DNNMODEL_PREFIX -DDATA_DIR -DCXX_COMPILER -DGENERATOR
#     test/consumer/package-consumer against models-1.4: find_package(mnist 1.2) must pick
#     1.4.0 (not 2.0.0); the program runs and matches ONNX Runtime.
# MODE=reject   -DWORK_DIR -DNNMODEL_PREFIX -DMODELS=<2.0|1.1> -DCXX_COMPILER -DGENERATOR
#     The same project against models-<MODELS>: configuring must fail, and CMake's message
#     must name the installed version it refused.
cmake_minimum_required(VERSION 3.20)
get_filename_component(here "${CMAKE_CURRENT_LIST_FILE}" DIRECTORY)

include("${CMAKE_CURRENT_LIST_DIR}/RunHelpers.cmake")

if(MODE STREQUAL "produce")
  file(REMOVE_RECURSE "${WORK_DIR}")
  # version, model, prefixes
  foreach(spec "1.4.0|lenet|models-1.4" "2.0.0|mlp|models-1.4;models-2.0" "1.1.0|mlp|models-1.1")
    string(REPLACE "|" ";" spec "${spec}")
    list(POP_FRONT spec version model)
    set(build "${WORK_DIR}/producer-${version}")
    run(out "${CMAKE_COMMAND}" -S "${here}/model-package" -B "${build}" -G "Ninja"
        "-DCMAKE_PREFIX_PATH=${NNMODEL_PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
        "-DNNM_MODEL=${DATA_DIR}/${model}.onnx" -DNNM_NAME=mnist "-DNNM_VERSION=${version}")
    run(out "${CMAKE_COMMAND}" --build "${build}")
    foreach(prefix IN LISTS spec)
      run(out "${CMAKE_COMMAND}" --install "${build}" --prefix "${WORK_DIR}/${prefix}")
      message("${out}")
      foreach(f libmnist.a mnist.json include/mnist.h cmake/mnistConfig.cmake
                cmake/mnistConfigVersion.cmake)
        if(NOT EXISTS "${WORK_DIR}/${prefix}/lib/mnist-${version}/${f}")
          message(FATAL_ERROR "not installed: ${prefix}/lib/mnist-${version}/${f}")
        endif()
      endforeach()
    endforeach()
  endforeach()
  message(STATUS "installed mnist 1.4.0, 2.0.0 and 1.1.0 packages under ${WORK_DIR}")
  return()
endif()

if(MODE STREQUAL "accept")
  set(models "${WORK_DIR}/models-1.4")
  set(build "${WORK_DIR}/consumer-accept")
elseif(MODE STREQUAL "reject")
  set(models "${WORK_DIR}/models-${MODELS}")
  set(build "${WORK_DIR}/consumer-reject-${MODELS}")
else()
  message(FATAL_ERROR "RunModelPackage.cmake: MODE must be produce, accept or reject")
endif()
file(REMOVE_RECURSE "${build}")
set(configure "${CMAKE_COMMAND}" -S "${here}/package-consumer" -B "${build}" -G "${GENERATOR}"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_PREFIX_PATH=${models}" "-DNNModel_ROOT=${NNMODEL_PREFIX}"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

if(MODE STREQUAL "accept")
  run(out ${configure})
  message("${out}")
  if(NOT out MATCHES "found mnist 1\\.4\\.0 in [^\n]*/lib/mnist-1\\.4\\.0/cmake")
    message(FATAL_ERROR "find_package(mnist 1.2) did not pick the installed 1.4.0")
  endif()
  run(out "${CMAKE_COMMAND}" --build "${build}")
  run(out "${build}/mnist_app" "${DATA_DIR}")
  message("${out}")
  if(NOT out MATCHES "mnist_app: mnist 1\\.4\\.0 matches onnxruntime")
    message(FATAL_ERROR "mnist_app failed")
  endif()
  message(STATUS "find_package(mnist 1.2) accepted mnist 1.4.0 next to 2.0.0; mnist_app passed")
else()
  string(REPLACE ";" " " shown "${configure}")
  message(STATUS "$ ${shown}    (must fail)")
  execute_process(COMMAND ${configure} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "find_package(mnist 1.2) accepted mnist ${MODELS}.0")
  endif()
  string(REPLACE "." "\\." v "${MODELS}")
  if(NOT out MATCHES "mnistConfig\\.cmake, version: ${v}\\.0")
    message(FATAL_ERROR "configure failed, but not by refusing mnist ${MODELS}.0")
  endif()
  message(STATUS "find_package(mnist 1.2) refused mnist ${MODELS}.0, as it should")
endif()
