# Sanitizer switches apply to every target so that tests and the binary agree.
set(_faultline_sanitizers "")
if(FAULTLINE_ASAN)
  list(APPEND _faultline_sanitizers address)
endif()
if(FAULTLINE_UBSAN)
  list(APPEND _faultline_sanitizers undefined)
endif()
if(_faultline_sanitizers)
  list(JOIN _faultline_sanitizers "," _faultline_san_list)
  # -O1 with line tables: what the sanitizers recommend for readable reports, and half the
  # compile time of -O2 -g.
  add_compile_options(-fsanitize=${_faultline_san_list} -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -O1 -g1)
  add_link_options(-fsanitize=${_faultline_san_list})
endif()

# libFuzzer: instrument every library for coverage; the fuzz targets link the driver.
if(FAULTLINE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FAULTLINE_FUZZ needs clang: CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -O1 -gline-tables-only)
  add_link_options(-fsanitize=address,undefined)
endif()
