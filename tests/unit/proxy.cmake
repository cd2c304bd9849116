faultline_add_test(NAME unit_version LABEL unit SOURCES unit/version_test.cc LIBS faultline_proxy)
# The version test compares the binary's version with the one CMakeLists.txt declares.
target_compile_definitions(unit_version PRIVATE FAULTLINE_PROJECT_VERSION="${PROJECT_VERSION}")
faultline_add_test(NAME unit_proxy_http_head LABEL unit SOURCES unit/proxy_http_head_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_proxy_buffers LABEL unit SOURCES unit/proxy_buffers_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_proxy_descriptors LABEL unit SOURCES unit/proxy_descriptors_test.cc LIBS faultline_proxy)

# The layers of proxy/ (proxy/README.md) as a rule on #include lines.
add_test(NAME unit_layering COMMAND bash ${PROJECT_SOURCE_DIR}/tests/unit/layering_test.sh ${PROJECT_SOURCE_DIR}
         ${PROJECT_BINARY_DIR}/generated ${FAULTLINE_LLHTTP_INCLUDE})
set_tests_properties(unit_layering PROPERTIES LABELS unit)
# Every shell script parses (the benchmark scripts are not run by the suite).
add_test(NAME unit_shell_syntax COMMAND bash ${PROJECT_SOURCE_DIR}/tests/unit/shell_syntax_test.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(unit_shell_syntax PROPERTIES LABELS unit)
faultline_add_test(NAME unit_proxy_http_codec LABEL unit SOURCES unit/proxy_http_codec_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_proxy_fault_executors LABEL unit SOURCES unit/proxy_fault_executors_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_proxy_timeseries LABEL unit SOURCES unit/proxy_timeseries_test.cc LIBS faultline_core)
faultline_add_test(NAME unit_control_stop_conditions LABEL unit
  SOURCES unit/control_stop_conditions_test.cc LIBS faultline_control)
faultline_add_test(NAME unit_proxy_lazy_timer LABEL unit SOURCES unit/proxy_lazy_timer_test.cc LIBS faultline_io)
# Separate binary: it replaces the global operator new to count allocations.
faultline_add_test(NAME unit_proxy_h2_stream_storage LABEL unit
  SOURCES unit/proxy_h2_stream_storage_test.cc LIBS faultline_http2)
# Separate binary: it replaces the global operator new to count allocations.
faultline_add_test(NAME unit_proxy_connection_storage LABEL unit
  SOURCES unit/proxy_connection_storage_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_proxy_llhttp_builds LABEL unit SOURCES unit/proxy_llhttp_builds_test.cc LIBS llhttp)
