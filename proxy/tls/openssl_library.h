#pragma once
// libssl and libcrypto are loaded when the first TLS context is made, not at start-up: linked
// the usual way they added about 1.8 MiB to the resident size of every faultline, TLS or not
// (tests/integration/tls_library_test.cc checks that a config without TLS never maps them).
// The OpenSSL functions faultline calls are defined in openssl_calls.cc, each forwarding to
// the loaded library's own.
#include <string>

namespace faultline::proxy::tls {

// Loads libssl (and with it libcrypto) once. Empty on success, else why it could not be.
// Thread-safe; later calls return the first call's answer.
std::string load_openssl();

// The address of `name` in the loaded library (loading it first if needed). A missing
// library or function here is a broken install: the process says so and aborts.
void* openssl_function(const char* name);

}  // namespace faultline::proxy::tls
