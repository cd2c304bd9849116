#include "proxy/tls/openssl_library.h"

#include <dlfcn.h>
#include <openssl/opensslv.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace faultline::proxy::tls {

namespace {

constexpr const char* kLibssl = "libssl.so." OPENSSL_MSTR(OPENSSL_SHLIB_VERSION);

struct Library {
  void* handle = nullptr;
  std::string error;
};

const Library& library() {
  static const Library loaded = [] {
    Library l;
    // RTLD_LOCAL: nothing else in the process binds to these symbols by accident.
    l.handle = ::dlopen(kLibssl, RTLD_NOW | RTLD_LOCAL);
    if (!l.handle) {
      const char* why = ::dlerror();
      l.error = std::string("TLS needs ") + kLibssl +
                " (Debian package libssl3): " + (why ? why : "dlopen failed");
    }
    return l;
  }();
  return loaded;
}

}  // namespace

std::string load_openssl() {
  return library().error;
}

void* openssl_function(const char* name) {
  const Library& l = library();
  void* fn = l.handle ? ::dlsym(l.handle, name) : nullptr;
  if (!fn) {
    std::fprintf(stderr, "faultline: OpenSSL function %s unavailable: %s\n", name,
                 l.handle ? "not in the installed libssl" : l.error.c_str());
    std::abort();
  }
  return fn;
}

}  // namespace faultline::proxy::tls
