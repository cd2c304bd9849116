// llhttp's two builds on x86-64 (cmake/Dependencies.cmake, proxy/http/llhttp_dispatch.c): the
// SSE4.2 one, which the proxy uses on CPUs that have it, must give the same verdict as the
// baseline one on every head: the same error at the same byte, the same field names and values.
// Every byte value is tried at every position of a long name and a long value (the SSE4.2 scan
// takes 16 bytes at a time, so a bad byte anywhere in a block must still stop it).
#include <gtest/gtest.h>
#include <llhttp.h>

#include <string>
#include <vector>

#if defined(__x86_64__)
extern "C" {
int llhttp__internal_execute(llhttp_t* s, const char* p, const char* endp);
int llhttp__internal_execute_sse42(llhttp_t* s, const char* p, const char* endp);
int faultline_llhttp_uses_sse42(void);
}

namespace {

using Execute = int (*)(llhttp_t*, const char*, const char*);

// What one parse saw: the error (and where), and the head's pieces as llhttp delivered them.
struct Verdict {
  int error = 0;
  long error_at = -1;
  std::string seen;
  bool operator==(const Verdict&) const = default;
};

int record(llhttp_t* p, const char* at, size_t n, char tag) {
  auto* seen = static_cast<std::string*>(p->data);
  seen->push_back(tag);
  seen->append(at, n);
  return 0;
}

Verdict parse(Execute execute, llhttp_type_t type, const std::string& message) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_url = [](llhttp_t* p, const char* at, size_t n) { return record(p, at, n, 'U'); };
  settings.on_status = [](llhttp_t* p, const char* at, size_t n) { return record(p, at, n, 'S'); };
  settings.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
    return record(p, at, n, 'F');
  };
  settings.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
    return record(p, at, n, 'V');
  };
  llhttp_t parser;
  llhttp_init(&parser, type, &settings);
  Verdict v;
  parser.data = &v.seen;
  v.error = execute(&parser, message.data(), message.data() + message.size());
  if (v.error != HPE_OK) v.error_at = llhttp_get_error_pos(&parser) - message.data();
  return v;
}

void expect_same_verdicts(llhttp_type_t type, const std::vector<std::string>& messages) {
  size_t refused = 0;
  for (const std::string& m : messages) {
    Verdict baseline = parse(llhttp__internal_execute, type, m);
    Verdict sse42 = parse(llhttp__internal_execute_sse42, type, m);
    ASSERT_EQ(sse42, baseline) << "message: " << testing::PrintToString(m) << " baseline error "
                               << baseline.error << " at " << baseline.error_at << ", SSE4.2 error "
                               << sse42.error << " at " << sse42.error_at;
    refused += baseline.error != HPE_OK;
  }
  // The set must hold both kinds, or it would not test the scan's stops.
  EXPECT_GT(refused, 0u);
  EXPECT_LT(refused, messages.size());
}

// A long name and a long value, each with byte `b` at `pos`.
std::vector<std::string> heads_with_every_byte(const std::string& start_line) {
  std::vector<std::string> out;
  for (int b = 0; b < 256; ++b) {
    for (size_t pos = 0; pos < 40; ++pos) {
      std::string value(48, 'v');
      value[pos] = static_cast<char>(b);
      out.push_back(start_line + "Host: example\r\nX-Long-Value: " + value + "\r\n\r\n");
      std::string name = "X-A-Rather-Long-Field-Name-For-Blocks-0123";
      name[pos] = static_cast<char>(b);
      out.push_back(start_line + "Host: example\r\n" + name + ": value\r\n\r\n");
    }
  }
  return out;
}

TEST(LlhttpBuilds, TheCpuChoosesTheSse42BuildWhenItCan) {
  EXPECT_EQ(faultline_llhttp_uses_sse42(), __builtin_cpu_supports("sse4.2") ? 1 : 0);
}

TEST(LlhttpBuilds, RequestsGetTheSameVerdictFromBoth) {
  if (!__builtin_cpu_supports("sse4.2")) GTEST_SKIP() << "this CPU has no SSE4.2";
  expect_same_verdicts(HTTP_REQUEST, heads_with_every_byte("GET /a/b?c=d HTTP/1.1\r\n"));
}

TEST(LlhttpBuilds, ResponsesGetTheSameVerdictFromBoth) {
  if (!__builtin_cpu_supports("sse4.2")) GTEST_SKIP() << "this CPU has no SSE4.2";
  expect_same_verdicts(HTTP_RESPONSE, heads_with_every_byte("HTTP/1.1 200 OK\r\n"));
}

}  // namespace
#endif
