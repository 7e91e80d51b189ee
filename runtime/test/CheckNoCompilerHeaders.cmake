# Fails when any runtime source includes an MLIR, LLVM or protobuf header.
file(GLOB_RECURSE srcs ${DIR}/include/* ${DIR}/src/*)
foreach(f ${srcs})
  file(STRINGS ${f} bad REGEX "#[ \t]*include[ \t]*[<\"](mlir|llvm|google/protobuf|onnx)/")
  if(bad)
    message(FATAL_ERROR "${f} includes a compiler header: ${bad}")
  endif()
endforeach()
message(STATUS "runtime: no compiler headers in ${DIR}")
