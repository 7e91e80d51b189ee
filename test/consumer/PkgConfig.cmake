# consumer.pkg-config: a C program built against the installed prefix with the flags
# `pkg-config --cflags --libs nnmodel` gives, then run.
execute_process(COMMAND ${PKG_CONFIG} --cflags --libs nnmodel
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
if(rc)
  message(FATAL_ERROR "pkg-config nnmodel failed (PKG_CONFIG_PATH=$ENV{PKG_CONFIG_PATH}): ${err}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
execute_process(COMMAND ${CC} ${SRC} ${flags} -o ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "building with pkg-config's flags (${flags}) failed:\n${out}${err}")
endif()
execute_process(COMMAND ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "the program failed:\n${out}${err}")
endif()
message(STATUS "consumer.pkg-config: ${out}")
