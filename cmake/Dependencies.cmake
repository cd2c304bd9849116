# Every dependency comes from a Debian package; nothing is vendored or downloaded.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)

# Debian's node-llhttp ships llhttp as C sources; build them as a static library.
set(FAULTLINE_LLHTTP_DIR /usr/share/llhttp CACHE PATH "llhttp C sources (node-llhttp)")
set(FAULTLINE_LLHTTP_INCLUDE /usr/share/include/llhttp CACHE PATH "llhttp.h location")
if(NOT EXISTS ${FAULTLINE_LLHTTP_DIR}/llhttp.c)
  message(FATAL_ERROR "llhttp sources not found in ${FAULTLINE_LLHTTP_DIR}: apt-get install node-llhttp")
endif()
add_library(llhttp STATIC
  ${FAULTLINE_LLHTTP_DIR}/api.c
  ${FAULTLINE_LLHTTP_DIR}/http.c
  ${FAULTLINE_LLHTTP_DIR}/llhttp.c)
target_include_directories(llhttp SYSTEM PUBLIC ${FAULTLINE_LLHTTP_INCLUDE})
# UNITY_BUILD OFF: its three C files declare the same callbacks with different types.
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON UNITY_BUILD OFF)
target_compile_options(llhttp PRIVATE -w)
# Strict mode (README "HTTP parsing"): CR must be followed by LF, no whitespace in field names,
# CRLF after each chunk's data, only valid characters in the request target, and no request
# after one that ends the connection. PUBLIC so llhttp.h agrees with the compiled parser;
# proxy/http/codec.cc asserts it. The lenient flags stay at their default (off).
target_compile_definitions(llhttp PUBLIC LLHTTP_STRICT_MODE=1)
# On x86-64, a second build of the state machine for SSE4.2 (it scans header names and values
# 16 bytes at a time under #ifdef __SSE4_2__), every symbol it defines renamed with _sse42 so
# both link into one program; proxy/http/llhttp_dispatch.c picks one by the CPU at run time,
# and api.c's llhttp_execute() calls it. tests/unit/proxy_llhttp_builds_test.cc checks that
# both builds give the same verdicts.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  file(STRINGS ${FAULTLINE_LLHTTP_DIR}/llhttp.c llhttp_defined REGEX "^int llhttp__internal[a-z0-9_]*\\(")
  list(TRANSFORM llhttp_defined REPLACE "^int (llhttp__internal[a-z0-9_]*)\\(.*" "\\1=\\1_sse42")
  list(REMOVE_DUPLICATES llhttp_defined)
  if(NOT "llhttp__internal_execute=llhttp__internal_execute_sse42" IN_LIST llhttp_defined)
    message(FATAL_ERROR "llhttp.c: llhttp__internal_execute not found; cannot build its SSE4.2 copy")
  endif()
  add_library(llhttp_sse42 OBJECT ${FAULTLINE_LLHTTP_DIR}/llhttp.c)
  target_include_directories(llhttp_sse42 SYSTEM PRIVATE ${FAULTLINE_LLHTTP_INCLUDE})
  set_target_properties(llhttp_sse42 PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
  target_compile_options(llhttp_sse42 PRIVATE -w -msse4.2)
  target_compile_definitions(llhttp_sse42 PRIVATE LLHTTP_STRICT_MODE=1 ${llhttp_defined})
  target_sources(llhttp PRIVATE $<TARGET_OBJECTS:llhttp_sse42>
                                ${PROJECT_SOURCE_DIR}/proxy/http/llhttp_dispatch.c)
  set_source_files_properties(${FAULTLINE_LLHTTP_DIR}/api.c PROPERTIES
    COMPILE_DEFINITIONS llhttp__internal_execute=faultline_llhttp_execute)
endif()
