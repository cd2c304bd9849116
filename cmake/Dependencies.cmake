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
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
target_compile_options(llhttp PRIVATE -w)
# Strict mode (README "HTTP parsing"): CR must be followed by LF, no whitespace in field names,
# CRLF after each chunk's data, only valid characters in the request target, and no request
# after one that ends the connection. PUBLIC so llhttp.h agrees with the compiled parser;
# proxy/http/codec.cc asserts it. The lenient flags stay at their default (off).
target_compile_definitions(llhttp PUBLIC LLHTTP_STRICT_MODE=1)
