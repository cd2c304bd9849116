// Envoy's fault headers (SPEC §10.1) from the client's side, with the behaviours Envoy
// documents: 0 % headers send the request upstream, a numerator above the configured cap is
// capped, both abort headers make the HTTP one win, invalid values are ignored (forwarded, not
// a 400) and counted; tallies over 1,000 requests stay within binomial bounds.
#include <cmath>
#include <sstream>

#include "tests/integration/admin/admin_support.h"
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// [triggers.envoy_headers] enabled, plus extra lines.
std::string envoy_headers(const std::string& extra = "") {
  return "[triggers.envoy_headers]\nenabled = true\n" + extra + "\n";
}

// The x-chaos-injected value of a response, or "".
std::string injected(const HttpResponse& r) {
  const std::string* value = r.head.find("x-chaos-injected");
  return value ? *value : "";
}

// +-5 standard deviations of a binomial(n, p) count: a correct proxy falls outside with a
// probability below 1e-6, a wrong percentage (say uncapped) lands far outside.
void expect_binomial(size_t hits, size_t n, double p, const std::string& what) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_GE(static_cast<double>(hits), mean - 5 * sd) << what << ": " << hits << " of " << n;
  EXPECT_LE(static_cast<double>(hits), mean + 5 * sd) << what << ": " << hits << " of " << n;
}

// Sends `request` `count` times pipelined over one connection, returning every response.
std::vector<HttpResponse> pipelined(const Endpoint& to, const std::string& request, size_t count,
                                    size_t batch = 50) {
  std::vector<HttpResponse> responses;
  RawClient client(to);
  if (!client.connected()) return responses;
  while (responses.size() < count) {
    const size_t n = std::min(batch, count - responses.size());
    std::string burst;
    for (size_t i = 0; i < n; ++i) burst += request;
    if (client.send(burst, Millis(10000)) != IoStatus::kOk) return responses;
    for (size_t i = 0; i < n; ++i) {
      HttpResponse r = client.read_response("GET", Millis(10000));
      if (!r.complete()) return responses;
      responses.push_back(std::move(r));
    }
  }
  return responses;
}

// A unary gRPC call over HTTP/1.1 (an empty message).
std::string grpc_request(const std::string& path, std::vector<Header> extra = {}) {
  extra.push_back({"Content-Type", "application/grpc"});
  extra.push_back({"TE", "trailers"});
  return make_request("POST", path, extra, std::string("\0\0\0\0\0", 5));
}

TEST(EnvoyHeaders, IgnoredAndForwardedUntouchedUnlessEnabled) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/off", {{"x-envoy-fault-abort-request", "503"}}));
  EXPECT_EQ(r.status(), 200) << r;
  auto seen = up.wait_for_request("/off");
  ASSERT_TRUE(seen.has_value());
  // Disabled, faultline does not own them: an Envoy upstream may.
  EXPECT_TRUE(seen->head.has("x-envoy-fault-abort-request"));
}

TEST(EnvoyHeaders, AbortAnswersAsEnvoyDoes) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/a", {{"x-envoy-fault-abort-request", "503"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.body, "fault filter abort");
  EXPECT_EQ(injected(r), "abort=503@envoy-header");
  r = one_request(proxy.listener("main"),
                  get_request("/a", {{"X-Envoy-Fault-Abort-Request", "200"}}));
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "fault filter abort");
  EXPECT_EQ(up.requests_seen(), 0u) << "an aborted request was forwarded";
}

TEST(EnvoyHeaders, ZeroPercentSendsTheRequestUpstream) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  const auto responses =
      pipelined(proxy.listener("main"),
                get_request("/z", {{"x-envoy-fault-abort-request", "503"},
                                   {"x-envoy-fault-abort-request-percentage", "0"},
                                   {"x-envoy-fault-delay-request", "5000"},
                                   {"x-envoy-fault-delay-request-percentage", "0"}}),
                200);
  ASSERT_EQ(responses.size(), 200u);
  for (const HttpResponse& r : responses) {
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(injected(r), "");
  }
  EXPECT_EQ(up.requests_seen(), 200u);
}

TEST(EnvoyHeaders, NumeratorAboveTheConfiguredPercentageIsCapped) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers("abort_percentage = 20.0")));
  constexpr size_t n = 1000;
  const auto responses =
      pipelined(proxy.listener("main"),
                get_request("/cap", {{"x-envoy-fault-abort-request", "503"},
                                     {"x-envoy-fault-abort-request-percentage", "90"}}),
                n);
  ASSERT_EQ(responses.size(), n);
  size_t aborted = 0;
  for (const HttpResponse& r : responses) aborted += r.status() == 503;
  expect_binomial(aborted, n, 0.20, "aborts at min(90, 20) %");
  EXPECT_EQ(up.requests_seen(), n - aborted);
}

// The HTTP abort wins; on a gRPC request Envoy's local reply then maps it (429 -> UNAVAILABLE
// 14, not the 5 asked for by the gRPC header).
TEST(EnvoyHeaders, BothAbortHeadersTheHttpOneWins) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  const std::vector<Header> both = {{"x-envoy-fault-abort-grpc-request", "5"},
                                    {"x-envoy-fault-abort-request", "429"}};
  auto r = one_request(proxy.listener("main"), grpc_request("/both", both));
  EXPECT_EQ(r.status(), 200) << r;
  ASSERT_TRUE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(*r.head.find("grpc-status"), "14") << r;
  EXPECT_EQ(*r.head.find("grpc-message"), "fault filter abort") << r;
  EXPECT_EQ(injected(r), "abort=429@envoy-header");
  auto plain = one_request(proxy.listener("main"), get_request("/both", both));
  EXPECT_EQ(plain.status(), 429) << plain;
  EXPECT_FALSE(plain.head.has("grpc-status")) << plain;
  EXPECT_EQ(plain.body, "fault filter abort");
  EXPECT_EQ(injected(plain), "abort=429@envoy-header");
}

// Over HTTP/1.1, as Envoy answers: HTTP 200, content-type application/grpc, grpc-status and
// grpc-message as headers, an empty body.
TEST(EnvoyHeaders, GrpcAbortIsTrailersOnly) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  auto r = one_request(proxy.listener("main"),
                       grpc_request("/pkg.Svc/Call", {{"x-envoy-fault-abort-grpc-request", "14"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  ASSERT_TRUE(r.head.has("content-type")) << r;
  EXPECT_EQ(*r.head.find("content-type"), "application/grpc");
  ASSERT_TRUE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(*r.head.find("grpc-status"), "14");
  ASSERT_TRUE(r.head.has("grpc-message")) << r;
  EXPECT_EQ(*r.head.find("grpc-message"), "fault filter abort");
  EXPECT_EQ(r.body_bytes, 0u);
  EXPECT_EQ(injected(r), "abort=grpc-14@envoy-header");
  // A request that is not gRPC gets a 200 with the body.
  r = one_request(proxy.listener("main"),
                  get_request("/plain", {{"x-envoy-fault-abort-grpc-request", "14"}}));
  EXPECT_EQ(r.status(), 200);
  EXPECT_FALSE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(r.body, "fault filter abort");
  // Out of 0..16: ignored, the call goes upstream.
  r = one_request(proxy.listener("main"),
                  grpc_request("/pkg.Svc/Call", {{"x-envoy-fault-abort-grpc-request", "17"}}));
  EXPECT_FALSE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(up.requests_seen(), 1u);
}

TEST(EnvoyHeaders, DelayAbortAndThroughputTalliesAreIndependent) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  constexpr size_t n = 1000;
  const auto responses =
      pipelined(proxy.listener("main"),
                get_request("/tally", {{"x-envoy-fault-delay-request", "1"},
                                       {"x-envoy-fault-delay-request-percentage", "50"},
                                       {"x-envoy-fault-abort-request", "503"},
                                       {"x-envoy-fault-abort-request-percentage", "30"},
                                       {"x-envoy-fault-throughput-response", "1000"},
                                       {"x-envoy-fault-throughput-response-percentage", "40"}}),
                n);
  ASSERT_EQ(responses.size(), n);
  size_t delayed = 0, aborted = 0, throttled = 0, both = 0;
  for (const HttpResponse& r : responses) {
    const std::string value = injected(r);
    const bool d = value.find("latency=1ms@envoy-header") != std::string::npos;
    const bool a = r.status() == 503 && value.find("abort=503@envoy-header") != std::string::npos;
    delayed += d;
    aborted += a;
    throttled += value.find("bandwidth=1000KiB/s@envoy-header") != std::string::npos;
    both += d && a;
  }
  expect_binomial(delayed, n, 0.5, "delays");
  expect_binomial(aborted, n, 0.3, "aborts");
  expect_binomial(throttled, n, 0.4, "throttles");
  expect_binomial(both, n, 0.15, "delay and abort together");
}

TEST(EnvoyHeaders, AbortComesAfterTheDelay) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/late", {{"x-envoy-fault-delay-request", "400"},
                                             {"x-envoy-fault-abort-request", "502"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 502);
  EXPECT_GE(r.elapsed.count(), 400);
  EXPECT_EQ(injected(r), "latency=400ms@envoy-header, abort=502@envoy-header");
  r = one_request(proxy.listener("main"),
                  get_request("/slow", {{"x-envoy-fault-delay-request", "300"}}));
  EXPECT_EQ(r.status(), 200);
  EXPECT_GE(r.elapsed.count(), 300);
}

TEST(EnvoyHeaders, ThroughputIsKibPerSecondOnTheResponseBody) {
  HttpUpstream up;
  constexpr uint64_t kBody = 96 * 1024;
  up.route("/body", handlers::stream(kBody));
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  RawClient client(proxy.listener("main"));
  client.send(get_request("/body", {{"x-envoy-fault-throughput-response", "64"}}));
  auto r = client.read_response("GET", 20s, {}, 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body_bytes, kBody);
  // 96 KiB at 64 KiB/s takes about 1.5 s (64 bytes/s would not finish within the timeout).
  EXPECT_GE(r.elapsed.count(), 1300);
}

TEST(EnvoyHeaders, InvalidValuesAreForwardedAndCounted) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/bad", {{"x-envoy-fault-abort-request", "700"},
                                            {"x-envoy-fault-delay-request", "soon"},
                                            {"x-envoy-fault-throughput-response", "0"}}));
  EXPECT_EQ(r.status(), 200) << "Envoy ignores invalid values; it does not answer 400";
  EXPECT_EQ(injected(r), "");
  EXPECT_EQ(up.requests_seen(), 1u);
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = admin_test::scrape(proxy.admin());
    return admin_test::metric(text, "faultline_header_triggers_rejected_total",
                              {{"reason", "envoy_invalid"}}) == 3.0;
  })) << text;
}

TEST(EnvoyHeaders, InjectedFaultsAreCountedAsEnvoyHeader) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  std::string text = admin_test::scrape(proxy.admin());
  EXPECT_EQ(admin_test::metric(text, "faultline_faults_injected_total",
                               {{"experiment", "envoy-header"}, {"fault", "abort"}}),
            0.0)
      << text;
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(one_request(proxy.listener("main"),
                          get_request("/m", {{"x-envoy-fault-abort-request", "503"}}))
                  .status(),
              503);
  EXPECT_TRUE(eventually([&] {
    text = admin_test::scrape(proxy.admin());
    return admin_test::metric(text, "faultline_faults_injected_total",
                              {{"experiment", "envoy-header"}, {"fault", "abort"}}) == 2.0;
  })) << text;
}

// The access log (JSON) names the source of each fault: envoy-header.
TEST(EnvoyHeaders, AccessLogNamesTheSource) {
  HttpUpstream up;
  std::string config = http_config(up.address(), "", envoy_headers());
  const std::string quiet = "[log]\nlevel = \"warn\"\nformat = \"text\"\naccess_log = false\n";
  const size_t at = config.find(quiet);
  ASSERT_NE(at, std::string::npos) << config;
  config.replace(at, quiet.size(),
                 "[log]\nlevel = \"info\"\nformat = \"json\"\naccess_log = true\n");
  START_PROXY(proxy, config);
  ASSERT_EQ(one_request(proxy.listener("main"),
                        get_request("/logged", {{"x-envoy-fault-delay-request", "20"},
                                                {"x-envoy-fault-abort-request", "503"}}))
                .status(),
            503);
  nlohmann::json line;
  EXPECT_TRUE(eventually(
      [&] {
        std::istringstream in(proxy.stderr_text());
        for (std::string text; std::getline(in, text);) {
          nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
          if (j.is_object() && j.value("logger", "") == "access" &&
              j.value("path", "") == "/logged")
            line = j;
        }
        return line.is_object();
      },
      Millis(8000)))
      << proxy.stderr_text();
  ASSERT_EQ(line["faults"].size(), 2u) << line;
  EXPECT_EQ(line["faults"][0], nlohmann::json({{"type", "latency"},
                                               {"source", "envoy-header"},
                                               {"phase", "request"},
                                               {"delay_ms", 20}}));
  EXPECT_EQ(line["faults"][1],
            nlohmann::json({{"type", "abort"}, {"source", "envoy-header"}, {"status", 503}}));
  EXPECT_EQ(line["injected"], true);
}

TEST(EnvoyHeaders, StrippedBeforeForwardingUnlessStripIsOff) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/s", {{"X-Envoy-Fault-Delay-Request", "1"},
                                          {"x-envoy-fault-abort-request-percentage", "0"},
                                          {"x-envoy-upstream-service-time", "kept"}}));
  ASSERT_EQ(r.status(), 200) << r;
  auto seen = up.wait_for_request("/s");
  ASSERT_TRUE(seen.has_value());
  for (const auto& h : seen->head.headers)
    EXPECT_FALSE(h.name.size() >= 14 && iequals(h.name.substr(0, 14), "x-envoy-fault-"))
        << h.name << " was forwarded";
  EXPECT_TRUE(seen->head.has("x-envoy-upstream-service-time"));

  HttpUpstream up2;
  START_PROXY(kept, http_config(up2.address(), "", envoy_headers("strip = false")));
  r = one_request(kept.listener("main"), get_request("/k", {{"x-envoy-fault-delay-request", "1"}}));
  ASSERT_EQ(r.status(), 200) << r;
  seen = up2.wait_for_request("/k");
  ASSERT_TRUE(seen.has_value());
  EXPECT_TRUE(seen->head.has("x-envoy-fault-delay-request"));
}

TEST(EnvoyHeaders, CustomPrefix) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", envoy_headers("prefix = \"x-mesh\"")));
  auto r = one_request(proxy.listener("main"),
                       get_request("/p", {{"x-mesh-fault-abort-request", "418"}}));
  EXPECT_EQ(r.status(), 418) << r;
  r = one_request(proxy.listener("main"),
                  get_request("/p", {{"x-envoy-fault-abort-request", "418"}}));
  EXPECT_EQ(r.status(), 200) << "the default prefix still answered";
}

TEST(EnvoyHeaders, TokenAndAllowFromOfHeaderTriggersApply) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 "[triggers.headers]\ntoken = \"s3cret\"\n\n" + envoy_headers()));
  auto to = proxy.listener("main");
  auto r = one_request(to, get_request("/t", {{"x-envoy-fault-abort-request", "503"}}));
  EXPECT_EQ(r.status(), 200) << "Envoy headers honoured without the token";
  auto seen = up.wait_for_request("/t");
  ASSERT_TRUE(seen.has_value());
  EXPECT_FALSE(seen->head.has("x-envoy-fault-abort-request")) << "ignored header forwarded";
  r = one_request(
      to, get_request("/t", {{"x-envoy-fault-abort-request", "503"}, {"x-chaos-token", "s3cret"}}));
  EXPECT_EQ(r.status(), 503);

  HttpUpstream up2;
  START_PROXY(
      far, http_config(up2.address(), "",
                       "[triggers.headers]\nallow_from = [\"10.0.0.0/8\"]\n\n" + envoy_headers()));
  r = one_request(far.listener("main"), get_request("/", {{"x-envoy-fault-abort-request", "503"}}));
  EXPECT_EQ(r.status(), 200) << "a client outside allow_from used Envoy headers";
}

TEST(EnvoyHeaders, ConfigErrorsNameTheKey) {
  HttpUpstream up;
  ProxyProcess proxy(http_config(up.address(), "", envoy_headers("abort_percentage = 150.0")));
  EXPECT_FALSE(proxy.ready());
  EXPECT_NE(proxy.stderr_text().find("triggers.envoy_headers.abort_percentage"), std::string::npos)
      << proxy.failure() << proxy.stderr_text();
  ProxyProcess typo(http_config(up.address(), "", envoy_headers("strp = false")));
  EXPECT_FALSE(typo.ready());
  EXPECT_NE(typo.stderr_text().find("triggers.envoy_headers.strp"), std::string::npos)
      << typo.failure() << typo.stderr_text();
}

}  // namespace
}  // namespace faultline::harness
