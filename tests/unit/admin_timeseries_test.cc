// GET /v1/timeseries (SPEC §11) through the admin API: query parameters, the JSON shape,
// quantiles, and the errors a user can get.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/admin/api.h"
#include "tests/unit/admin_fake_backend.h"

namespace faultline::proxy::admin {
namespace {

using testing::FakeBackend;

AdminRequest get(std::string target) {
  AdminRequest r;
  r.method = "GET";
  r.target = std::move(target);
  r.client = "127.0.0.1";
  r.host = "127.0.0.1:9901";
  return r;
}

SecondBucket second(int64_t time, uint64_t requests, uint64_t real, uint64_t injected,
                    uint64_t latency_us) {
  SecondBucket b;
  b.time = time;
  b.requests = requests;
  b.errors_real = real;
  b.errors_injected = injected;
  b.unfaulted_requests = requests - injected;
  b.unfaulted_errors = real;
  b.latency[LatencyBuckets::index(latency_us)] = static_cast<uint32_t>(requests);
  b.unfaulted_latency[LatencyBuckets::index(latency_us)] =
      static_cast<uint32_t>(requests - injected);
  return b;
}

struct TimeseriesApi : ::testing::Test {
  FakeBackend backend;
  AuditLog audit;
  AdminApi api{backend, audit, ""};
  void SetUp() override {
    backend.set_series("web", {second(100, 10, 1, 2, 2000), second(101, 0, 0, 0, 0),
                               second(102, 4, 0, 0, 300000)});
    backend.set_series("api", {});
  }
};

TEST_F(TimeseriesApi, OneListenerPerSecond) {
  AdminResponse r = api.handle(get("/v1/timeseries?listener=web&window=10m"));
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["listener"], "web");
  EXPECT_EQ(j["window_seconds"], 600);
  EXPECT_EQ(j["interval_seconds"], 1);
  ASSERT_EQ(j["points"].size(), 3u);
  const nlohmann::json& p = j["points"][0];
  EXPECT_EQ(p["time"], 100);
  EXPECT_EQ(p["requests"], 10);
  EXPECT_EQ(p["errors"]["real"], 1);
  EXPECT_EQ(p["errors"]["injected"], 2);
  EXPECT_EQ(p["unfaulted"]["requests"], 8);
  EXPECT_EQ(p["unfaulted"]["errors"], 1);
  EXPECT_NEAR(p["p50"].get<double>(), 0.002, 0.002 * 0.25);
  EXPECT_NEAR(p["p99"].get<double>(), 0.002, 0.002 * 0.25);
  EXPECT_TRUE(j["points"][1]["p50"].is_null());  // no requests that second
  EXPECT_NEAR(j["points"][2]["p99"].get<double>(), 0.3, 0.3 * 0.25);
}

TEST_F(TimeseriesApi, WindowLimitsThePoints) {
  AdminResponse r = api.handle(get("/v1/timeseries?window=2s&listener=web"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(backend.last_series_window(), 2);
  EXPECT_EQ(nlohmann::json::parse(r.body)["points"].size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["window_seconds"], 2);
}

TEST_F(TimeseriesApi, EveryListenerWithoutAName) {
  AdminResponse r = api.handle(get("/v1/timeseries"));
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["listeners"].size(), 2u);
  EXPECT_EQ(j["window_seconds"], 600);  // default: the whole 10 minutes
}

TEST_F(TimeseriesApi, ErrorsNameTheParameter) {
  AdminResponse unknown = api.handle(get("/v1/timeseries?listener=nope"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown.body)["field"], "listener");
  for (const char* bad :
       {"/v1/timeseries?window=11m", "/v1/timeseries?window=0s", "/v1/timeseries?window=soon"}) {
    AdminResponse r = api.handle(get(bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(nlohmann::json::parse(r.body)["field"], "window") << bad;
  }
  AdminRequest post = get("/v1/timeseries");
  post.method = "POST";
  EXPECT_EQ(api.handle(post).status, 405);
}

TEST_F(TimeseriesApi, NeedsTheToken) {
  AdminApi guarded{backend, audit, "s3cret"};
  EXPECT_EQ(guarded.handle(get("/v1/timeseries")).status, 401);
  AdminRequest r = get("/v1/timeseries");
  r.faultline_token = "s3cret";
  EXPECT_EQ(guarded.handle(r).status, 200);
}

}  // namespace
}  // namespace faultline::proxy::admin
