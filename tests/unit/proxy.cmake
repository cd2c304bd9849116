faultline_add_test(NAME unit_version LABEL unit SOURCES unit/version_test.cc LIBS faultline_proxy)
