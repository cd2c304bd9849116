# Toxiproxy's own npm client (toxiproxy-node-client 4.1.0, installed by npm_client_test.sh into
# the build tree) driving faultline's Toxiproxy API, each toxic checked on the data plane
# (issue 12).
add_test(NAME toxiproxy_node_client
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../npm_client_test.sh toxiproxy-node-client@4.1.0
          ${PROJECT_BINARY_DIR}/toxiproxy-client-deps ${CMAKE_CURRENT_LIST_DIR}/client_test.mjs
          $<TARGET_FILE:faultline>)
set_tests_properties(toxiproxy_node_client PROPERTIES LABELS integration TIMEOUT 240 RUN_SERIAL TRUE)
