# Tests in Node that drive the real binary with a real npm client library, installed by
# run_with_npm_package.sh into the build tree (never checked in).

# toxiproxy-node-client 4.1.0 driving faultline's Toxiproxy-compatible API, each toxic checked on
# the data plane (issue 12).
add_test(NAME toxiproxy_node_client
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_with_npm_package.sh toxiproxy-node-client@4.1.0
          ${PROJECT_BINARY_DIR}/toxiproxy-client-deps ${CMAKE_CURRENT_LIST_DIR}/compat_api_test.mjs
          $<TARGET_FILE:faultline>)
set_tests_properties(toxiproxy_node_client PROPERTIES LABELS integration TIMEOUT 240 RUN_SERIAL TRUE)

# @grpc/grpc-js 1.14.7 as a gRPC client of faultline in front of the python3-grpcio upstream
# (issue 10): pass-through, aborts, and reset codes as the gRPC statuses grpc-js maps them to.
add_test(NAME grpc_js_client
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_with_npm_package.sh @grpc/grpc-js@1.14.7
          ${PROJECT_BINARY_DIR}/grpc-js-client-deps ${CMAKE_CURRENT_LIST_DIR}/grpc_calls_test.mjs
          $<TARGET_FILE:faultline> ${PROJECT_SOURCE_DIR}/tests/harness/grpc/grpc_upstream.py)
set_tests_properties(grpc_js_client PROPERTIES LABELS integration TIMEOUT 240)
