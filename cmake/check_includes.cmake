# Checks the #include lines of one target's files (cmake -DPARAMS=FILE -DSTAMP=FILE -P ...).
# PARAMS sets TARGET, FILES, MODULES (the project modules it may include: its own and those it
# links) and RESTRICTED (the guarded third-party headers it may include). Fails on any other
# module header and on any guarded third-party header not granted; touches STAMP on success.
cmake_minimum_required(VERSION 3.22)
include(${PARAMS})

# Project modules by the first component of their include path.
set(known_modules common log metrics domain routing auth config channels store router outbox
                  events scheduler http cli)
# Guarded third-party headers: key -> regex on the include path.
set(restricted_soci "^(soci/|soci-|libpq-fe\\.h|libpq/|postgresql/|sqlite3\\.h)")
set(restricted_curl "^curl/")
set(restricted_httplib "^httplib\\.h$")
set(restricted_sodium "^sodium")
set(restricted_openssl "^openssl/")
set(restricted_toml "^toml\\+\\+/")
set(restricted_spdlog "^(spdlog|fmt)/")
set(restricted_cli11 "^CLI/")
set(restricted_icu "^unicode/")
set(restricted_date "^date/")
set(restricted_keys soci curl httplib sodium openssl toml spdlog cli11 icu date)

set(errors "")
foreach(file ${FILES})
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" header "${line}")
    string(REGEX MATCH "^[^/]+" first "${header}")
    if(NOT header STREQUAL first AND first IN_LIST known_modules AND NOT first IN_LIST MODULES)
      list(APPEND errors "${file}: includes ${header}, but ${TARGET} does not link handoffd_${first}")
    endif()
    foreach(key ${restricted_keys})
      if(header MATCHES "${restricted_${key}}" AND NOT key IN_LIST RESTRICTED)
        list(APPEND errors "${file}: includes ${header} (${key}), which ${TARGET} may not use")
      endif()
    endforeach()
  endforeach()
endforeach()

if(errors)
  list(JOIN errors "\n  " text)
  message(FATAL_ERROR "module dependency violation(s):\n  ${text}\n"
                      "(declare the dependency in CMakeLists.txt, or move the code where it belongs)")
endif()
file(TOUCH ${STAMP})
