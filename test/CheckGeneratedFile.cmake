# cmake -DGENERATED=build/file -DCHECKED_IN=src/file -DREFRESH="command" -P CheckGeneratedFile.cmake
# Fails when a checked-in generated file differs from what the build generates.
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${GENERATED} ${CHECKED_IN}
                RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "${CHECKED_IN} is stale (differs from ${GENERATED}); refresh it with: ${REFRESH}")
endif()
message(STATUS "${CHECKED_IN} is up to date")
