# handoffd_module(NAME DIRS dir... [DEPS module...] [PRIVATE_DEPS module...] [LIBS lib...]
#                 [PRIVATE_LIBS lib...] [PRIVATE_INCLUDES dir...] [EXTRA_SOURCES file...]
#                 [RESTRICTED key...])
#
# Defines the static library handoffd_NAME from the *.cc files of DIRS (globbed per folder, so new
# files are picked up), links the modules DEPS PUBLIC and PRIVATE_DEPS PRIVATE, and appends it to
# HANDOFFD_MODULES. A dependency must be declared before its dependents: the module graph is a
# DAG by construction. RESTRICTED names the guarded third-party headers the module may include
# (see cmake/check_includes.cmake); the build fails when a file of the module includes a header of
# a module it does not list, or a guarded third-party header it is not granted.

set(HANDOFFD_MODULES "" CACHE INTERNAL "")
set(HANDOFFD_MODULE_CHECKER ${CMAKE_CURRENT_LIST_DIR}/check_includes.cmake)

function(handoffd_check_includes target)
  cmake_parse_arguments(C "" "" "FILES;MODULES;RESTRICTED" ${ARGN})
  set(params ${CMAKE_BINARY_DIR}/include-checks/${target}.cmake)
  set(stamp ${CMAKE_BINARY_DIR}/include-checks/${target}.stamp)
  file(CONFIGURE OUTPUT ${params} CONTENT
       "set(TARGET \"${target}\")\nset(FILES \"${C_FILES}\")\nset(MODULES \"${C_MODULES}\")\nset(RESTRICTED \"${C_RESTRICTED}\")\n")
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DPARAMS=${params} -DSTAMP=${stamp} -P ${HANDOFFD_MODULE_CHECKER}
    DEPENDS ${C_FILES} ${params} ${HANDOFFD_MODULE_CHECKER}
    COMMENT "Checking the includes of ${target}"
    VERBATIM)
  add_custom_target(${target}_includes DEPENDS ${stamp})
  add_dependencies(${target} ${target}_includes)
endfunction()

function(handoffd_module name)
  cmake_parse_arguments(
    M "" "" "DIRS;DEPS;PRIVATE_DEPS;LIBS;PRIVATE_LIBS;PRIVATE_INCLUDES;EXTRA_SOURCES;RESTRICTED"
    ${ARGN})
  set(sources "")
  set(checked "")
  foreach(dir ${M_DIRS})
    file(GLOB dir_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.cc)
    file(GLOB dir_headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.h)
    list(FILTER dir_sources EXCLUDE REGEX "_test\\.cc$")
    list(APPEND sources ${dir_sources})
    list(APPEND checked ${dir_sources} ${dir_headers})
  endforeach()
  add_library(handoffd_${name} STATIC ${sources} ${M_EXTRA_SOURCES})
  target_include_directories(handoffd_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR})
  if(M_PRIVATE_INCLUDES)
    target_include_directories(handoffd_${name} PRIVATE ${M_PRIVATE_INCLUDES})
  endif()
  foreach(dep ${M_DEPS} ${M_PRIVATE_DEPS})
    if(NOT TARGET handoffd_${dep})
      message(FATAL_ERROR "module ${name} depends on ${dep}, which is not declared before it "
                          "(a module may only depend on modules declared above it)")
    endif()
  endforeach()
  list(TRANSFORM M_DEPS PREPEND handoffd_ OUTPUT_VARIABLE public_targets)
  list(TRANSFORM M_PRIVATE_DEPS PREPEND handoffd_ OUTPUT_VARIABLE private_targets)
  target_link_libraries(handoffd_${name} PUBLIC ${public_targets} ${M_LIBS}
                                         PRIVATE ${private_targets} ${M_PRIVATE_LIBS})
  handoffd_check_includes(handoffd_${name} FILES ${checked}
                          MODULES ${name} ${M_DEPS} ${M_PRIVATE_DEPS} RESTRICTED ${M_RESTRICTED})
  set(HANDOFFD_MODULES ${HANDOFFD_MODULES} handoffd_${name} CACHE INTERNAL "")
endfunction()
