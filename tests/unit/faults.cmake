# Fault engine unit tests (faults/ is pure: no libuv, fake clock, fixed seeds).
faultline_add_test(NAME unit_faults LABEL unit
  SOURCES
    unit/faults_kinds_test.cc
    unit/faults_match_test.cc
    unit/faults_decide_test.cc
    unit/faults_header_triggers_test.cc
    unit/faults_envoy_headers_test.cc
    unit/faults_path_index_test.cc
    unit/faults_latency_distribution_test.cc
    unit/faults_tls_test.cc
  LIBS faultline_faults)

# CpuStress lives in proxy/ but has no libuv dependency; compiled here so the test does not
# need the whole proxy library.
faultline_add_test(NAME unit_cpu_stress LABEL unit
  SOURCES unit/faults_cpu_stress_test.cc ${PROJECT_SOURCE_DIR}/proxy/stress/cpu_stress.cc
  LIBS Threads::Threads)

# Micro-benchmark of decide(): a plain executable, not a ctest test.
find_package(benchmark QUIET)
if(benchmark_FOUND)
  add_executable(bench_decide bench/decide_bench.cc)
  target_link_libraries(bench_decide PRIVATE faultline_faults benchmark::benchmark Threads::Threads)
  target_include_directories(bench_decide PRIVATE ${PROJECT_SOURCE_DIR})
endif()

# Separate binary: it replaces the global operator new to count allocations.
faultline_add_test(NAME unit_faults_alloc LABEL unit
  SOURCES unit/faults_alloc_test.cc
  LIBS faultline_faults)

# It measures this process's CPU time: keep other tests from competing for the cores.
set_tests_properties(unit_cpu_stress PROPERTIES RUN_SERIAL TRUE)

# What decide() tells the access log: faults applied with source and value, ignored triggers.
faultline_add_test(NAME unit_faults_applied LABEL unit
  SOURCES unit/faults_applied_test.cc
  LIBS faultline_faults)

# The config validation `run` and `check` share, and start = "paused" (issue 8).
faultline_add_test(NAME unit_faults_config_check LABEL unit
  SOURCES unit/faults_config_check_test.cc
  LIBS faultline_faults)

# One rule for integer and number fields across readers (config, fault parameters) and
# formats (TOML, admin-API JSON).
faultline_add_test(NAME unit_integer_fields LABEL unit
  SOURCES unit/config_integer_fields_test.cc
  LIBS faultline_faults)

# The memory fault (SPEC §12): its kind, and MemoryStress (proxy/, no libuv) compiled in as
# unit_cpu_stress does with CpuStress. It measures this process's RSS: run alone.
faultline_add_test(NAME unit_memory_stress LABEL unit
  SOURCES unit/faults_memory_test.cc ${PROJECT_SOURCE_DIR}/proxy/stress/memory_stress.cc
  LIBS faultline_faults Threads::Threads)
set_tests_properties(unit_memory_stress PROPERTIES RUN_SERIAL TRUE)
