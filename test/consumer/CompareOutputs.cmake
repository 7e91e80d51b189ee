# cmake -P: the determinism check. Every file that nnmodel_add_model() produced in the
# reference consumer build must be byte-identical in the other builds, which ran in other
# directories, with other generators, and with a relocated installed compiler.
#
#   -DREFERENCE=<consumer build dir> -DOTHERS=<dir>|<dir>|...
cmake_minimum_required(VERSION 3.20)
string(REPLACE "|" ";" others "${OTHERS}")
file(GLOB_RECURSE files RELATIVE "${REFERENCE}/nnmodel"
     "${REFERENCE}/nnmodel/*/*.a" "${REFERENCE}/nnmodel/*/*.h" "${REFERENCE}/nnmodel/*/*.json")
list(SORT files)
list(LENGTH files n)
if(n LESS 9)
  message(FATAL_ERROR "only ${n} model outputs under ${REFERENCE}/nnmodel: [${files}]")
endif()
set(differ 0)
set(compared 0)
foreach(other IN LISTS others)
  foreach(f IN LISTS files)
    file(SHA256 "${REFERENCE}/nnmodel/${f}" want)
    if(NOT EXISTS "${other}/nnmodel/${f}")
      message(SEND_ERROR "missing: ${other}/nnmodel/${f}")
      math(EXPR differ "${differ} + 1")
      continue()
    endif()
    file(SHA256 "${other}/nnmodel/${f}" got)
    math(EXPR compared "${compared} + 1")
    if(NOT got STREQUAL want)
      message(SEND_ERROR "differs: ${other}/nnmodel/${f} (${got}) vs the reference (${want})")
      math(EXPR differ "${differ} + 1")
    endif()
  endforeach()
endforeach()
list(LENGTH others m)
if(differ)
  message(FATAL_ERROR "determinism: ${differ} of ${compared} files differ")
endif()
message(STATUS "determinism: ${n} files (${files}) byte-identical in ${m} other build "
               "directories (${compared} comparisons)")
