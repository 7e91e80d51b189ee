# cmake -P driver for the consumer project (test/consumer/project): configure, build,
# run, then the rebuild-on-change checks. One call is one variant (generator x where
# NNModel comes from); everything happens in a fresh WORK_DIR.
#
#   -DSOURCE_DIR=<test/consumer/project> -DWORK_DIR=<dir> -DGENERATOR=<Ninja|Unix Makefiles>
#   -DDATA_DIR=<make_models.py output>  -DC_COMPILER=... -DCXX_COMPILER=...
#   -DNNMODEL_DIR=<NNModel build tree>  or  -DPREFIX=<installed NNModel prefix>
#   [-DCROSS=ON -DREADELF=<llvm-readelf>]
#
# Steps (each prints "-- step: ..." and stops the test with FATAL_ERROR on failure):
#  1. copy the models (and the prefix, when given: the package must be relocatable)
#     into WORK_DIR, so that touching them disturbs no other test
#  2. configure + build: every model compiles once; consumer_app links and passes;
#     consumer_gpu_app (mlp_gpu, TARGETS cpu cuda) runs on the CPU and, without a GPU,
#     gets NNM_NO_DEVICE from the CUDA create; misused CUDA_ARCHS/CUDA_PATH/TRIPLE
#     stop a configure (cuda-errors/) with a clear message
#  3. [CROSS] mlp_arm64's library is an AArch64 object (llvm-readelf -h)
#  4. a second build does nothing
#  5. touching mlp.onnx recompiles mlp_v1 only, relinks the app, which still passes,
#     and recompiles no source (mlp.h is unchanged, so nnmodel leaves it untouched);
#     touching lenet's DEPENDS file recompiles lenet only
#  6. changing mlp_v1's OPTIONS recompiles mlp_v1 only; reconfiguring unchanged does not
#  7. [PREFIX] a newer compiler (touched bin/nnmodel) recompiles every model
# The cpu+cuda model needs the CUDA toolkit to compile (/usr/local/cuda, or CUDA_PATH).
cmake_minimum_required(VERSION 3.20)

foreach(v SOURCE_DIR WORK_DIR GENERATOR DATA_DIR C_COMPILER CXX_COMPILER)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "RunConsumer.cmake: -D${v}=... is required")
  endif()
endforeach()

set(build "${WORK_DIR}/build")
set(models "${WORK_DIR}/models")

function(step text)
  message(STATUS "step: ${text}")
endfunction()

include("${CMAKE_CURRENT_LIST_DIR}/RunHelpers.cmake")

set(configure_args -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DNNM_MODEL_DIR=${models}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(CROSS)
  list(APPEND configure_args -DNNM_CROSS=ON)
endif()

function(configure)
  run(out "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build}" ${configure_args} ${ARGN})
endfunction()

# Builds; sets <compiled> to the sorted targets whose model was compiled and <linked> to
# whether anything was linked.
function(build compiled linked)
  run(out "${CMAKE_COMMAND}" --build "${build}" --parallel 2)
  message("${out}")
  string(REGEX MATCHALL "NNModel: compiling [^ ]+ [^ ]+ \\([A-Za-z0-9_]+\\)" lines "${out}")
  set(targets)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE ".*\\((.*)\\)" "\\1" t "${line}")
    list(APPEND targets "${t}")
  endforeach()
  list(SORT targets)
  set(${compiled} "${targets}" PARENT_SCOPE)
  # The application's own objects that were recompiled, for the unchanged-header check.
  string(REGEX MATCHALL "Building (C|CXX) object [^\n]*" objects "${out}")
  set(last_objects "${objects}" PARENT_SCOPE)
  if(out MATCHES "Linking")
    set(${linked} TRUE PARENT_SCOPE)
  else()
    set(${linked} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(expect what got want)
  list(SORT want)
  if(NOT "${got}" STREQUAL "${want}")
    message(FATAL_ERROR "${what}: compiled [${got}], expected [${want}]")
  endif()
  message(STATUS "ok: ${what}: compiled [${got}]")
endfunction()

function(run_app)
  foreach(app consumer_app consumer_gpu_app)
    run(out "${build}/${app}" "${models}")
    message("${out}")
    if(NOT out MATCHES "${app}: all checks passed")
      message(FATAL_ERROR "${app} did not pass")
    endif()
  endforeach()
endfunction()

# Configures cuda-errors/ with the arguments <args> after MODEL; the configure must fail
# and print <want> (a regex).
function(expect_configure_error args want)
  set(dir "${WORK_DIR}/cuda-errors")
  file(REMOVE_RECURSE "${dir}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}/cuda-errors"
                          -B "${dir}" ${configure_args} "-DNNM_MODEL=${models}/mlp.onnx"
                          "-DNNM_ARGS=${args}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " flat "${out}")  # CMake wraps long messages
  if(rc EQUAL 0 OR NOT flat MATCHES "${want}")
    message(FATAL_ERROR "nnmodel_add_model(bad ${args}): expected a configure error "
                        "matching [${want}], got exit ${rc}:\n${out}")
  endif()
  message(STATUS "ok: nnmodel_add_model(bad ${args}) is refused: ${CMAKE_MATCH_0}")
endfunction()

# 1. A fresh work directory with private copies.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(COPY "${DATA_DIR}/" DESTINATION "${models}")
if(DEFINED PREFIX)
  step("copy the installed NNModel ${PREFIX} to ${WORK_DIR}/prefix")
  file(COPY "${PREFIX}/" DESTINATION "${WORK_DIR}/prefix")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
  set(want_nnmodel_dir "${WORK_DIR}/prefix/lib/cmake/NNModel")
elseif(DEFINED NNMODEL_DIR)
  list(APPEND configure_args "-DNNModel_DIR=${NNMODEL_DIR}")
  set(want_nnmodel_dir "${NNMODEL_DIR}")
else()
  message(FATAL_ERROR "RunConsumer.cmake: give -DNNMODEL_DIR=... or -DPREFIX=...")
endif()

set(all mlp_v1 mlp_v2 lenet mlp_gpu)
if(CROSS)
  list(APPEND all mlp_arm64)
endif()

# 2.
step("configure (${GENERATOR}) and build")
configure()
file(STRINGS "${build}/CMakeCache.txt" found REGEX "^NNModel_DIR:")
string(REGEX REPLACE "^[^=]*=" "" found "${found}")
file(REAL_PATH "${want_nnmodel_dir}" want_nnmodel_dir)
if(NOT found STREQUAL want_nnmodel_dir)
  message(FATAL_ERROR "find_package(NNModel) found ${found}, not ${want_nnmodel_dir}")
endif()
message(STATUS "ok: NNModel_DIR is ${found}")
build(compiled linked)
expect("first build" "${compiled}" "${all}")
if(NOT linked)
  message(FATAL_ERROR "first build: consumer_app was not linked")
endif()
run_app()
step("misused CUDA arguments stop the configure")
expect_configure_error("CUDA_ARCHS 80 90"
  "CUDA_ARCHS is given but TARGETS \\(cpu\\) has no cuda")
expect_configure_error("TARGETS cpu cuda CUDA_ARCHS 80 sm90"
  "CUDA_ARCHS value 'sm90' is not a CUDA architecture")
expect_configure_error("TARGETS cpu CUDA_PATH /usr/local/cuda"
  "CUDA_PATH is given but TARGETS \\(cpu\\) has no cuda")
expect_configure_error("TARGETS cpu cuda TRIPLE aarch64-linux-gnu"
  "TARGETS cuda needs an x86_64 TRIPLE")

# 3.
if(CROSS)
  step("mlp_arm64 is an AArch64 object")
  run(out "${READELF}" -h "${build}/nnmodel_models/mlp_arm64/libmlp.a")
  string(REGEX MATCHALL "Machine:[^\n]*" machines "${out}")
  list(LENGTH machines n)
  if(n EQUAL 0 OR NOT machines MATCHES "AArch64" OR machines MATCHES "X86|x86")
    message(FATAL_ERROR "mlp_arm64: readelf -h says [${machines}]\n${out}")
  endif()
  message(STATUS "ok: libmlp.a (mlp_arm64): ${n} member(s), ${machines}")
endif()

# 4.
step("a second build does nothing")
build(compiled linked)
expect("second build" "${compiled}" "")
if(linked)
  message(FATAL_ERROR "second build: something was relinked")
endif()

# 5.
step("touching mlp.onnx recompiles mlp_v1 and relinks")
file(TOUCH "${models}/mlp.onnx")
build(compiled linked)
expect("after touching mlp.onnx" "${compiled}" "mlp_v1")
if(NOT linked)
  message(FATAL_ERROR "after touching mlp.onnx: consumer_app was not relinked")
endif()
# The model's content did not change, so neither did mlp.h: nnmodel leaves an unchanged
# header (and JSON) untouched, and nothing that includes it is recompiled.
if(last_objects)
  message(FATAL_ERROR "after touching mlp.onnx: the header is unchanged, yet these were "
                      "recompiled: ${last_objects}")
endif()
message(STATUS "ok: unchanged mlp.h: no source recompiled, only relinked")
run_app()
file(TOUCH "${models}/lenet.image.npy")
build(compiled linked)
expect("after touching lenet's DEPENDS file" "${compiled}" "lenet")

# 6.
step("changed OPTIONS recompile mlp_v1; an unchanged reconfigure does not")
configure("-DNNM_MLP_V1_OPTIONS=--target-triple x86_64-unknown-linux-gnu")
build(compiled linked)
expect("after changing mlp_v1's OPTIONS" "${compiled}" "mlp_v1")
configure()
build(compiled linked)
expect("after an unchanged reconfigure" "${compiled}" "")

# 7.
if(DEFINED PREFIX)
  step("a newer compiler recompiles every model")
  file(TOUCH "${WORK_DIR}/prefix/bin/nnmodel")
  build(compiled linked)
  expect("after touching bin/nnmodel" "${compiled}" "${all}")
  run_app()
endif()

message(STATUS "consumer (${GENERATOR}, ${WORK_DIR}): all steps passed")
