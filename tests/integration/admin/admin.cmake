# Admin API integration tests (SPEC §4, §5, `faultline ctl`): the real binary, a real
# upstream, everything on 127.0.0.1 with port 0. One binary per topic so ctest -j spreads them.
#
# FAULTLINE_ADMIN_TESTS pass against main's binary. FAULTLINE_PENDING_ADMIN_TESTS are written
# but not built: each one fails against main because of a reported bug outside
# proxy/admin/** and proxy/ctl*; move it to the first list once the fix lands.
set(FAULTLINE_ADMIN_TESTS
  endpoints
  halt
  live_changes
  reload
  metrics
  events
  ctl
  reload_listeners
  events_signal_expiry
  hostile_clients
  ctl_add)
set(FAULTLINE_PENDING_ADMIN_TESTS)
# Timing-tight tests run alone so that a parallel ctest cannot skew their clocks.
set(FAULTLINE_SERIAL_ADMIN_TESTS halt live_changes)

add_library(faultline_admin_test_support STATIC
  ${CMAKE_CURRENT_LIST_DIR}/admin_support.cc)
target_link_libraries(faultline_admin_test_support PUBLIC faultline_harness)
faultline_test_code(faultline_admin_test_support)

foreach(topic ${FAULTLINE_ADMIN_TESTS})
  faultline_add_test(NAME integration_admin_${topic} LABEL integration TIMEOUT 180
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${topic}_test.cc LIBS faultline_admin_test_support)
  add_dependencies(integration_admin_${topic} faultline)
  if(topic IN_LIST FAULTLINE_SERIAL_ADMIN_TESTS)
    set_tests_properties(integration_admin_${topic} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()

# With -DFAULTLINE_BUILD_PENDING_TESTS=ON (integration.cmake's option) the pending tests are
# built as pending_admin_* without registering them with ctest, to try them against a fix.
if(FAULTLINE_BUILD_PENDING_TESTS)
  foreach(topic ${FAULTLINE_PENDING_ADMIN_TESTS})
    add_executable(pending_admin_${topic} ${CMAKE_CURRENT_LIST_DIR}/${topic}_test.cc)
    target_link_libraries(pending_admin_${topic} PRIVATE faultline_admin_test_support
                          GTest::gtest_main)
    add_dependencies(pending_admin_${topic} faultline)
  endforeach()
endif()
