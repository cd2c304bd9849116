# Integration tests: the real faultline binary ($FAULTLINE_BIN) against real upstreams.
# One binary per area, so ctest -j runs areas in parallel.
#
# FAULTLINE_INTEGRATION_TESTS pass against main's binary and run in CI.
# FAULTLINE_PENDING_TESTS are written but not built yet: they cover features that have
# not landed. Move a name to the first list once it passes against main.
set(FAULTLINE_INTEGRATION_TESTS
  lifecycle
  tcp_relay
  http_passthrough
  http_large_bodies
  http_errors
  fault_latency
  fault_terminal
  fault_bandwidth
  fault_cpu
  fault_sampling
  fault_headers
  fault_tcp
  fault_tcp_stream
  fault_admin
  fault_reload
  fault_slow_close
  fault_order
  access_log
  fd_exhaustion
  port_ownership
  http_smuggling)
set(FAULTLINE_PENDING_TESTS)

# HTTP session state machine, buffers and timers (issue 8).
list(APPEND FAULTLINE_INTEGRATION_TESTS http_session_http10 http_session_close
  http_session_upstream_idle http_session_memory http_session_truths)

# TLS termination and origination (issue 11), with real clients (curl, openssl, gnutls-cli,
# python3).
list(APPEND FAULTLINE_INTEGRATION_TESTS tls_termination tls_origination tls_reload)
# What the TLS layer writes: records per response, large responses to a slow reader.
list(APPEND FAULTLINE_INTEGRATION_TESTS tls_writes)
# TLS handshake faults (SPEC §9): tls_handshake_delay, tls_abort, match.sni.
list(APPEND FAULTLINE_INTEGRATION_TESTS tls_faults)
# HTTP/2 over TLS (SPEC §8, §9): ALPN h2, upstream TLS with ALPN h2, match.sni on requests,
# with curl, nghttp, openssl s_client and python3-grpcio.
list(APPEND FAULTLINE_INTEGRATION_TESTS tls_h2)

# Latency distributions (SPEC §12): a client-side histogram through the proxy.
list(APPEND FAULTLINE_INTEGRATION_TESTS fault_latency_distribution)

# The memory fault (SPEC §12): RSS of the proxy in /proc.
list(APPEND FAULTLINE_INTEGRATION_TESTS fault_memory)

# Game days (issue 13): the time series and stop conditions.
list(APPEND FAULTLINE_INTEGRATION_TESTS game_day)

# CPU-heavy or timing-tight areas run alone, so ctest -j2 cannot skew their clocks.
set(FAULTLINE_SERIAL_TESTS http_large_bodies fault_latency fault_bandwidth fault_cpu)
list(APPEND FAULTLINE_SERIAL_TESTS fault_latency_distribution fault_memory)

foreach(area ${FAULTLINE_INTEGRATION_TESTS})
  faultline_add_test(NAME integration_${area} LABEL integration TIMEOUT 240
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${area}_test.cc LIBS faultline_harness)
  add_dependencies(integration_${area} faultline)
  if(area IN_LIST FAULTLINE_SERIAL_TESTS)
    set_tests_properties(integration_${area} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()

# Builds the pending tests on request (cmake -DFAULTLINE_BUILD_PENDING_TESTS=ON) without
# registering them with ctest, so they can be tried against a work-in-progress binary.
option(FAULTLINE_BUILD_PENDING_TESTS "Build integration tests for features not on main yet" OFF)
if(FAULTLINE_BUILD_PENDING_TESTS)
  foreach(area ${FAULTLINE_PENDING_TESTS})
    add_executable(pending_${area} ${CMAKE_CURRENT_LIST_DIR}/${area}_test.cc)
    target_link_libraries(pending_${area} PRIVATE faultline_harness GTest::gtest_main)
    add_dependencies(pending_${area} faultline)
  endforeach()
endif()

# Issue 8 (saying the truth to operators): check == run, header overflow, start = "paused",
# persistent halt, with the real binary.
faultline_add_test(NAME integration_operator_truth LABEL integration TIMEOUT 180
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/operator_truth_test.cc LIBS faultline_admin_test_support)
add_dependencies(integration_operator_truth faultline)

# SPEC §11 fleet control: `ctl --k8s` through the real kubectl proxy in front of a fake
# Kubernetes API server (Python) and three real faultline processes.
faultline_add_test(NAME integration_fleet_ctl LABEL integration TIMEOUT 240
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fleet_ctl_test.cc LIBS faultline_admin_test_support)
add_dependencies(integration_fleet_ctl faultline)
target_compile_definitions(integration_fleet_ctl PRIVATE
  FLEET_FAKE_KUBE_API="${CMAKE_CURRENT_LIST_DIR}/fleet/fake_kube_api.py")

# Envoy's fault headers (SPEC §10.1, issue 12): from the client's side, with metrics.
faultline_add_test(NAME integration_fault_envoy_headers LABEL integration TIMEOUT 240
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fault_envoy_headers_test.cc LIBS faultline_admin_test_support)
add_dependencies(integration_fault_envoy_headers faultline)

# HTTP/2 and gRPC (issue 10, SPEC §8): the config keys through `faultline check`, gRPC aborts
# of requests that arrive over HTTP/1.1, and HTTP/2 with real clients (python3-grpcio, nghttp,
# curl) against a real gRPC upstream (tests/harness/grpc/) or, converted, an HTTP/1.1 one.
foreach(area h2_config_check h2_grpc_http1_abort h2_passthrough h2_faults h2_lifecycle
    h2_memory h2_http1_upstream h2_stream_limits h2_envoy_headers h2_upstream_for_http1)
  faultline_add_test(NAME integration_${area} LABEL integration TIMEOUT 240
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${area}_test.cc LIBS faultline_harness)
  add_dependencies(integration_${area} faultline)
endforeach()

# Toxiproxy's REST API and the listeners it creates at runtime (issue 12, SPEC §10.2).
foreach(area toxiproxy_api)
  faultline_add_test(NAME integration_${area} LABEL integration TIMEOUT 240
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${area}_test.cc LIBS faultline_harness)
  add_dependencies(integration_${area} faultline)
endforeach()
