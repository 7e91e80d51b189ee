# NNModelFunctions.cmake: declare ONNX models as ordinary library dependencies.
#
#   nnmodel_add_model(<target> MODEL <file.onnx> [VERSION x.y.z] [NAME <id>]
#                     [TARGETS cpu|cuda ...] [CPU <cpu>] [TRIPLE <triple>]
#                     [CUDA_ARCHS 80 90 ...] [CUDA_PATH <toolkit dir>]
#                     [OPTIONS <extra nnmodel compile flags>...]
#                     [DEPENDS <other files the compile reads>...])
#   nnmodel_install_model(<target> [DESTINATION <dir>] [NAMESPACE <ns>::]
#                         [COMPONENT <component>])
#
# Loaded by find_package(NNModel); docs/cmake.md describes every argument.
# The compiler is the executable target NNModel::compiler (imported by
# find_package, or an alias of the in-tree `nnmodel` target).
include_guard(GLOBAL)

function(_nnmodel_error target)
  list(JOIN ARGN "" msg)
  message(FATAL_ERROR "nnmodel_add_model(${target}): ${msg}")
endfunction()

function(nnmodel_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL;VERSION;NAME;CPU;TRIPLE;CUDA_PATH"
                        "TARGETS;CUDA_ARCHS;OPTIONS;DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    list(JOIN arg_UNPARSED_ARGUMENTS " " unknown)
    _nnmodel_error(${target} "unknown arguments: ${unknown}")
  endif()
  # An empty list (OPTIONS ${EMPTY_VAR}) is fine; a keyword that takes one value
  # must have it.
  foreach(kw IN LISTS arg_KEYWORDS_MISSING_VALUES)
    if(NOT kw MATCHES "^(TARGETS|OPTIONS|DEPENDS)$")
      _nnmodel_error(${target} "${kw} needs a value")
    endif()
  endforeach()
  if(NOT arg_TARGETS)
    set(arg_TARGETS cpu)
  endif()

  # CUDA_ARCHS 80 90 (or sm_80 sm_90) -> --cuda-arch sm_80,sm_90. Both CUDA
  # arguments only mean something for a cuda target.
  set(cuda_archs)
  if(DEFINED arg_CUDA_ARCHS OR DEFINED arg_CUDA_PATH)
    if(NOT "cuda" IN_LIST arg_TARGETS)
      list(JOIN arg_TARGETS " " targets_text)
      if(DEFINED arg_CUDA_ARCHS)
        set(kw CUDA_ARCHS)
      else()
        set(kw CUDA_PATH)
      endif()
      _nnmodel_error(${target} "${kw} is given but TARGETS (${targets_text}) has no cuda: "
                     "write TARGETS cpu cuda (or TARGETS cuda)")
    endif()
  endif()
  foreach(arch IN LISTS arg_CUDA_ARCHS)
    if(NOT arch MATCHES "^(sm_)?([1-9][0-9]+)$")
      _nnmodel_error(${target} "CUDA_ARCHS value '${arch}' is not a CUDA architecture: "
                     "write the compute capability as a number (80 for sm_80), e.g. CUDA_ARCHS 80 90")
    endif()
    list(APPEND cuda_archs "sm_${CMAKE_MATCH_2}")
  endforeach()
  list(REMOVE_DUPLICATES cuda_archs)
  # The cuda target's host code is x86-64 only (the compiler refuses others too,
  # but only when the model is built).
  if("cuda" IN_LIST arg_TARGETS AND DEFINED arg_TRIPLE AND NOT arg_TRIPLE MATCHES "^x86_64")
    _nnmodel_error(${target} "TARGETS cuda needs an x86_64 TRIPLE, not '${arg_TRIPLE}': "
                   "declare the ${arg_TRIPLE} model with TARGETS cpu only")
  endif()
  if(NOT arg_MODEL)
    _nnmodel_error(${target} "MODEL <file.onnx> is required")
  endif()
  if(TARGET ${target})
    _nnmodel_error(${target} "a target named '${target}' already exists")
  endif()

  # The C identifier that names the header, the library and the symbols.
  if(DEFINED arg_NAME)
    set(name "${arg_NAME}")
  else()
    set(name "${target}")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    if(DEFINED arg_NAME)
      _nnmodel_error(${target} "NAME '${name}' is not a C identifier")
    else()
      _nnmodel_error(${target} "the target name is not a C identifier, give NAME <id>")
    endif()
  endif()

  if(DEFINED arg_VERSION)
    set(version "${arg_VERSION}")
  else()
    set(version "0.1.0")  # the compiler's default
  endif()
  if(NOT version MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$")
    _nnmodel_error(${target} "VERSION '${version}' is not MAJOR.MINOR.PATCH")
  endif()
  set(major "${CMAKE_MATCH_1}")

  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(depends)
  foreach(f IN LISTS arg_DEPENDS)
    get_filename_component(f "${f}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND depends "${f}")
  endforeach()
  # These flags belong to the function: the outputs must stay where the target says.
  foreach(opt IN LISTS arg_OPTIONS)
    if(opt MATCHES "^(-o|--output|--name|--version|--emit)(=.*)?$")
      _nnmodel_error(${target} "OPTIONS may not contain ${CMAKE_MATCH_1}: "
                     "use NAME and VERSION (the output directory is fixed)")
    endif()
    # Given twice, the later flag would silently win.
    if((cuda_archs AND opt MATCHES "^--cuda-arch(=.*)?$") OR
       (DEFINED arg_CUDA_PATH AND opt MATCHES "^--cuda-path(=.*)?$"))
      _nnmodel_error(${target} "OPTIONS repeats ${opt}: give it once, as CUDA_ARCHS or CUDA_PATH")
    endif()
  endforeach()

  if(TARGET NNModel::compiler)
    set(compiler_target NNModel::compiler)
  elseif(DEFINED NNModel_SOURCE_DIR AND TARGET nnmodel)
    set(compiler_target nnmodel)  # inside NNModel's own tree, before the alias exists
  else()
    _nnmodel_error(${target} "no NNModel::compiler target: call find_package(NNModel) first")
  endif()
  set(compiler "$<TARGET_FILE:${compiler_target}>")
  # A compiler built in this project (NNModel's own tree) must be built first.
  get_target_property(compiler_imported ${compiler_target} IMPORTED)
  if(compiler_imported)
    set(compiler_target "")
  else()
    get_target_property(aliased ${compiler_target} ALIASED_TARGET)
    if(aliased)
      set(compiler_target ${aliased})
    endif()
  endif()

  # The command line, minus the compiler and the output directory.
  set(flags --name "${name}" --version "${version}")
  foreach(t IN LISTS arg_TARGETS)
    list(APPEND flags --target "${t}")
  endforeach()
  if(cuda_archs)
    list(JOIN cuda_archs "," cuda_arch_flag)
    list(APPEND flags --cuda-arch "${cuda_arch_flag}")
  endif()
  if(DEFINED arg_CUDA_PATH)
    get_filename_component(cuda_path "${arg_CUDA_PATH}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND flags --cuda-path "${cuda_path}")
  endif()
  if(DEFINED arg_TRIPLE)
    list(APPEND flags --target-triple "${arg_TRIPLE}")
  endif()
  if(DEFINED arg_CPU)
    list(APPEND flags --cpu "${arg_CPU}")
  endif()
  list(APPEND flags ${arg_OPTIONS} --quiet) # the COMMENT already says what is built

  set(base "${CMAKE_CURRENT_BINARY_DIR}/nnmodel_models")
  set(out "${base}/${target}")
  set(lib "${out}/lib${name}.a")
  set(header "${out}/${name}.h")
  set(json "${out}/${name}.json")
  # Imported targets must name include directories that exist at generate time.
  file(MAKE_DIRECTORY "${out}")

  # Changed flags must rerun the compile with Unix Makefiles too (Ninja also
  # tracks the command line): the stamp is rewritten only when its text changes,
  # so an unchanged reconfigure leaves the build up to date.
  set(stamp "${base}/${target}.options")
  list(JOIN flags "\n" stamp_text)
  string(PREPEND stamp_text "# nnmodel_add_model(${target}) compile flags\nmodel ${model}\n"
         "compiler ${compiler}\n" "depends ${depends}\n")
  # The compiler path is a generator expression: write the stamp at generate
  # time, where file(GENERATE) also leaves an unchanged file untouched.
  file(GENERATE OUTPUT "${stamp}" CONTENT "${stamp_text}\n")

  add_custom_command(
    # The library is always rewritten; the header and JSON only when their content
    # changes. As byproducts they get Ninja's restat, so a recompile that leaves the
    # header as it was recompiles nothing that includes it.
    OUTPUT "${lib}"
    BYPRODUCTS "${header}" "${json}"
    COMMAND "${compiler}" compile "${model}" -o "${out}" ${flags}
    DEPENDS "${model}" "${compiler}" "${stamp}" ${depends}
    COMMENT "NNModel: compiling ${name} ${version} (${target})"
    VERBATIM)
  add_custom_target(nnmodel_compile_${target} ALL DEPENDS "${lib}")
  if(compiler_target)
    add_dependencies(nnmodel_compile_${target} ${compiler_target})
  endif()

  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${lib}"
    IMPORTED_LINK_INTERFACE_LANGUAGES C
    # "NAME.h" and, when two versions of one model meet, "<target>/NAME.h".
    INTERFACE_INCLUDE_DIRECTORIES "${out};${base}"
    INTERFACE_LINK_LIBRARIES "NNModel::runtime;$<$<NOT:$<PLATFORM_ID:Windows,Darwin>>:m>"
    NNMODEL_NAME "${name}"
    NNMODEL_VERSION "${version}"
    NNMODEL_VERSION_MAJOR "${major}"
    NNMODEL_MODEL "${model}"
    NNMODEL_OUTPUT_DIR "${out}"
    NNMODEL_LIBRARY "${lib}"
    NNMODEL_HEADER "${header}"
    NNMODEL_JSON "${json}")
  add_dependencies(${target} nnmodel_compile_${target})
  add_library(NNModel::${target} ALIAS ${target})
endfunction()

function(nnmodel_install_model target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DESTINATION;NAMESPACE;COMPONENT" "")
  if(arg_UNPARSED_ARGUMENTS)
    list(JOIN arg_UNPARSED_ARGUMENTS " " unknown)
    message(FATAL_ERROR "nnmodel_install_model(${target}): unknown arguments: ${unknown}")
  endif()
  foreach(kw IN LISTS arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "nnmodel_install_model(${target}): ${kw} needs a value")
  endforeach()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "nnmodel_install_model(${target}): no such target")
  endif()
  get_target_property(name ${target} NNMODEL_NAME)
  if(NOT name)
    message(FATAL_ERROR "nnmodel_install_model(${target}): not a target made by "
                        "nnmodel_add_model()")
  endif()
  get_target_property(version ${target} NNMODEL_VERSION)
  get_target_property(lib ${target} NNMODEL_LIBRARY)
  get_target_property(header ${target} NNMODEL_HEADER)
  get_target_property(json ${target} NNMODEL_JSON)

  if(DEFINED arg_DESTINATION)
    set(dest "${arg_DESTINATION}")
  else()
    set(dest "lib/${name}-${version}")
  endif()
  if(DEFINED arg_NAMESPACE)
    set(ns "${arg_NAMESPACE}")
  else()
    set(ns "${name}::")
  endif()
  set(component)
  if(DEFINED arg_COMPONENT)
    set(component COMPONENT "${arg_COMPONENT}")
  endif()

  # The package finds its files relative to its own location (<dest>/cmake), so
  # the install prefix may move. A relative DESTINATION also yields the prefix,
  # where NNModel itself is often installed too: look for it there first.
  set(root_expr "\"\${CMAKE_CURRENT_LIST_DIR}/..\"")
  if(IS_ABSOLUTE "${dest}")
    set(prefix_hint "")
  else()
    file(RELATIVE_PATH up "/nnmodel-root/${dest}" "/nnmodel-root")
    string(REGEX REPLACE "/$" "" up "${up}")
    set(prefix_hint " HINTS \"\${_nnmodel_${name}_root}/${up}\"")
  endif()
  set(imported "${ns}${name}")
  # The runtime the model was compiled against: same major, at least this minor.
  set(nnm_version "")
  if(DEFINED NNModel_VERSION_MAJOR AND DEFINED NNModel_VERSION_MINOR)
    set(nnm_version " ${NNModel_VERSION_MAJOR}.${NNModel_VERSION_MINOR}")
  endif()

  set(gen "${CMAKE_CURRENT_BINARY_DIR}/nnmodel_models/${target}.package")
  set(config "${gen}/${name}Config.cmake")
  file(WRITE "${config}.tmp"
"# ${name}Config.cmake: the compiled ONNX model \"${name}\" ${version} as a CMake package.
# Generated by nnmodel_install_model(); link ${imported}.
include(CMakeFindDependencyMacro)
get_filename_component(_nnmodel_${name}_root ${root_expr} ABSOLUTE)
find_dependency(NNModel${nnm_version}${prefix_hint})
if(NOT TARGET ${imported})
  add_library(${imported} STATIC IMPORTED)
  set_target_properties(${imported} PROPERTIES
    IMPORTED_LOCATION \"\${_nnmodel_${name}_root}/lib${name}.a\"
    IMPORTED_LINK_INTERFACE_LANGUAGES C
    INTERFACE_INCLUDE_DIRECTORIES \"\${_nnmodel_${name}_root}/include\"
    INTERFACE_LINK_LIBRARIES \"NNModel::runtime;\$<\$<NOT:\$<PLATFORM_ID:Windows,Darwin>>:m>\"
    NNMODEL_NAME \"${name}\"
    NNMODEL_VERSION \"${version}\"
    NNMODEL_JSON \"\${_nnmodel_${name}_root}/${name}.json\")
endif()
set(${name}_NNMODEL_JSON \"\${_nnmodel_${name}_root}/${name}.json\")
unset(_nnmodel_${name}_root)
")
  configure_file("${config}.tmp" "${config}" COPYONLY)
  include(CMakePackageConfigHelpers)
  # Same major version and at least the requested one: asking for 1.2 accepts
  # 1.4, refuses 1.1 and 2.0. The library's architecture is the model's target
  # triple, not this project's, so no pointer-size check.
  write_basic_package_version_file("${gen}/${name}ConfigVersion.cmake"
    VERSION "${version}" COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)

  install(FILES "${lib}" "${json}" DESTINATION "${dest}" ${component})
  install(FILES "${header}" DESTINATION "${dest}/include" ${component})
  install(FILES "${config}" "${gen}/${name}ConfigVersion.cmake"
          DESTINATION "${dest}/cmake" ${component})
endfunction()
