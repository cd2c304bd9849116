# The integration-test harness: spawns the real binary, real upstreams, a raw client.
add_library(faultline_harness STATIC
  ${CMAKE_CURRENT_LIST_DIR}/concurrent_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/config_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_message.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_upstream.cc
  ${CMAKE_CURRENT_LIST_DIR}/net.cc
  ${CMAKE_CURRENT_LIST_DIR}/proc_stats.cc
  ${CMAKE_CURRENT_LIST_DIR}/proxy_process.cc
  ${CMAKE_CURRENT_LIST_DIR}/raw_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/socket_stream.cc
  ${CMAKE_CURRENT_LIST_DIR}/tcp_upstream.cc)
target_include_directories(faultline_harness PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(faultline_harness PUBLIC GTest::gtest nlohmann_json::nlohmann_json
                      Threads::Threads)
faultline_test_code(faultline_harness)

faultline_add_test(NAME integration_harness_selftest LABEL integration
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/harness_selftest.cc LIBS faultline_harness)
