# Admin API, metrics text and `faultline ctl` tests (owned by the admin work).
faultline_add_test(NAME unit_admin_metrics_text LABEL unit
  SOURCES unit/admin_metrics_text_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_admin_auth LABEL unit
  SOURCES unit/admin_auth_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_admin_api LABEL unit
  SOURCES unit/admin_api_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_admin_experiment_view LABEL unit
  SOURCES unit/admin_experiment_view_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_admin_status_view LABEL unit
  SOURCES unit/admin_status_view_test.cc LIBS faultline_admin)
faultline_add_test(NAME loop_admin_server LABEL loop
  SOURCES loop/admin_server_test.cc LIBS faultline_proxy)
faultline_add_test(NAME loop_admin_ctl LABEL loop
  SOURCES loop/admin_ctl_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_admin_ctl_url LABEL unit
  SOURCES unit/admin_ctl_url_test.cc LIBS faultline_proxy)
faultline_add_test(NAME loop_admin_simple_http_server LABEL loop
  SOURCES loop/admin_simple_http_server_test.cc LIBS faultline_proxy)
faultline_add_test(NAME loop_http_server_engine LABEL loop
  SOURCES loop/http_server_engine_test.cc LIBS faultline_proxy)

# `ctl --k8s` (SPEC §11): which pods of a PodList get the verb.
faultline_add_test(NAME unit_fleet_pods LABEL unit
  SOURCES unit/fleet_pods_test.cc LIBS faultline_cli)

faultline_add_test(NAME unit_admin_timeseries LABEL unit
  SOURCES unit/admin_timeseries_test.cc LIBS faultline_proxy)
faultline_add_test(NAME unit_admin_console LABEL unit
  SOURCES unit/admin_console_test.cc LIBS faultline_proxy)
