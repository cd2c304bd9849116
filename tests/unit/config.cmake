faultline_add_test(NAME unit_config LABEL unit
  SOURCES
    unit/config_ascii_test.cc
    unit/config_values_test.cc
    unit/config_loader_test.cc
    unit/config_experiment_test.cc
    unit/config_stop_conditions_test.cc
    unit/config_watch_test.cc
  LIBS faultline_config)
