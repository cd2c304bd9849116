# npm @grpc/grpc-js 1.14.7 (installed by npm_client_test.sh into the build tree) as a gRPC client
# of faultline in front of the python3-grpcio upstream (issue 10): pass-through, aborts, and
# reset codes as the gRPC statuses grpc-js maps them to.
add_test(NAME grpc_js_client
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../npm_client_test.sh @grpc/grpc-js@1.14.7
          ${PROJECT_BINARY_DIR}/grpc-js-client-deps ${CMAKE_CURRENT_LIST_DIR}/client_test.mjs
          $<TARGET_FILE:faultline> ${PROJECT_SOURCE_DIR}/tests/harness/grpc/grpc_upstream.py)
set_tests_properties(grpc_js_client PROPERTIES LABELS integration TIMEOUT 240)
