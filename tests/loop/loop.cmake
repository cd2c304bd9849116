faultline_add_test(NAME loop_proxy_worker LABEL loop SOURCES loop/proxy_worker_loop_test.cc LIBS faultline_proxy TIMEOUT 120)
faultline_add_test(NAME loop_proxy_faults LABEL loop SOURCES loop/proxy_faults_loop_test.cc LIBS faultline_proxy TIMEOUT 120)
faultline_add_test(NAME loop_acceptor LABEL loop SOURCES loop/acceptor_loop_test.cc LIBS faultline_proxy TIMEOUT 60)
faultline_add_test(NAME loop_precise_timers LABEL loop SOURCES loop/precise_timers_loop_test.cc LIBS faultline_io TIMEOUT 60)
