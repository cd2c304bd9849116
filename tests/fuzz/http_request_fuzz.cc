// Fuzzes the proxy's request-head path without a loop: strict llhttp parsing into the head
// arena (with the obs-fold and field-name checks the session applies), then the rewrite for
// forwarding. Property: whatever head the proxy would forward parses again, strictly, as a
// request with the same method and target, and carries no hop-by-hop or x-chaos-* headers.
#include <llhttp.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "proxy/http_head.h"

using faultline::proxy::HeadCollector;
using faultline::proxy::iequals;

namespace {

struct State {
  HeadCollector head;
  const char* base = nullptr;
  bool done = false;
  bool rejected = false;
};

int on_url(llhttp_t* p, const char* at, size_t n) {
  auto* s = static_cast<State*>(p->data);
  return s->head.add_target(at, n) ? 0 : HPE_USER;
}
int on_field(llhttp_t* p, const char* at, size_t n) {
  auto* s = static_cast<State*>(p->data);
  for (size_t i = 0; i < n; ++i)
    if (at[i] == ' ' || at[i] == '\t') return HPE_USER;
  return s->head.add_field(at, n) ? 0 : HPE_USER;
}
int on_field_done(llhttp_t* p) {
  static_cast<State*>(p->data)->head.field_done();
  return 0;
}
int on_value(llhttp_t* p, const char* at, size_t n) {
  auto* s = static_cast<State*>(p->data);
  if (n > 0 && (at[0] == ' ' || at[0] == '\t') && at > s->base && at[-1] == '\n') return HPE_USER;
  return s->head.add_value(at, n) ? 0 : HPE_USER;
}
int on_headers_complete(llhttp_t* p) {
  static_cast<State*>(p->data)->done = true;
  return HPE_PAUSED;
}

llhttp_settings_t settings() {
  llhttp_settings_t s;
  llhttp_settings_init(&s);
  s.on_url = on_url;
  s.on_header_field = on_field;
  s.on_header_field_complete = on_field_done;
  s.on_header_value = on_value;
  s.on_headers_complete = on_headers_complete;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const llhttp_settings_t kSettings = settings();
  State state;
  state.head.reset(8192);
  state.base = reinterpret_cast<const char*>(data);
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &kSettings);
  parser.data = &state;
  llhttp_errno_t err = llhttp_execute(&parser, state.base, size);
  if (err != HPE_PAUSED || !state.done) return 0;

  const char* method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser)));
  faultline::proxy::RewriteOptions options;
  options.strip_chaos = true;
  options.forwarded_for = "127.0.0.1";
  options.keep_upgrade = llhttp_get_upgrade(&parser) != 0;
  static char out[16384];
  size_t len = faultline::proxy::write_request_head(state.head, method, options, out, sizeof out);
  if (len == 0) return 0;  // did not fit: the proxy answers 431

  // The forwarded head parses again and keeps method and target.
  State again;
  again.head.reset(sizeof out);
  again.base = out;
  llhttp_t reparse;
  llhttp_init(&reparse, HTTP_REQUEST, &kSettings);
  reparse.data = &again;
  llhttp_errno_t err2 = llhttp_execute(&reparse, out, len);
  if (err2 != HPE_PAUSED || !again.done) std::abort();
  if (again.head.target() != state.head.target()) std::abort();
  if (std::strcmp(method, llhttp_method_name(
                              static_cast<llhttp_method_t>(llhttp_get_method(&reparse)))) != 0)
    std::abort();
  for (size_t i = 0; i < again.head.count(); ++i) {
    std::string_view name = again.head.name(i);
    if (iequals(name, "keep-alive") || iequals(name, "te") || iequals(name, "proxy-connection") ||
        iequals(name, "trailer"))
      std::abort();
    if (name.size() >= 8 && iequals(name.substr(0, 8), "x-chaos-")) std::abort();
  }
  return 0;
}
