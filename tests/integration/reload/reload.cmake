# Reload area: config file watch and expiry audit events against the real binary, plus a
# loop test of the watch on its own. Integration tests link faultline_harness and run
# $FAULTLINE_BIN like tests/integration/integration.cmake's.
faultline_add_test(NAME integration_reload LABEL integration TIMEOUT 240
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_watch_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/expiry_audit_test.cc
  LIBS faultline_harness)
add_dependencies(integration_reload faultline)

faultline_add_test(NAME loop_config_watch LABEL loop
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_watch_loop_test.cc
  LIBS faultline_proxy)
