// Per-stream faults on HTTP/2 (SPEC §8) seen by a real gRPC client (python3-grpcio): gRPC
// aborts as trailers-only responses, resets as RST_STREAM codes, header triggers as metadata,
// after_messages mid-stream, and per-stream latency that leaves other streams alone.
#include "h2_frames.h"
#include "h2_support.h"

namespace faultline::harness {
namespace {

const char* kTriggers = R"(
[triggers.headers]
enabled = true
)";

TEST(H2Faults, GrpcAbortAt30PercentOver1000CallsOnOneConnection) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, config_toml({.listeners = {{.upstream = upstream.address()}},
                                  .runtime_extra = "seed = 7",
                                  .tail = R"(
[[experiments]]
name = "grpc-abort"
[experiments.match]
paths = ["/test.Echo/*"]
percentage = 30.0
[[experiments.faults]]
type = "abort"
grpc_status = 14
grpc_message = "injected by the test"
)"}));
  auto r = grpc_call(proxy.listener("main"), {"tally", "1000"}, 300);
  const int unavailable = r["codes"].value("UNAVAILABLE", 0);
  const int ok = r["codes"].value("OK", 0);
  // Binomial(1000, 0.3): mean 300, sd 14.5; +-5 sd.
  EXPECT_GE(unavailable, 227) << r.dump();
  EXPECT_LE(unavailable, 373) << r.dump();
  EXPECT_EQ(ok + unavailable, 1000) << "other outcomes: " << r.dump();
  // Each stream is one count: the injected trailers-only answers are 200s with injected=true.
  const std::string metrics = admin_get(proxy, "/metrics").body;
  const std::string injected =
      R"(faultline_requests_total{listener="main",code="200",injected="true",protocol="http2"} )" +
      std::to_string(unavailable) + "\n";
  EXPECT_NE(metrics.find(injected), std::string::npos) << metrics.substr(0, 3000);
  // SPEC §8: the outcomes by grpc-status, as the client saw them.
  EXPECT_NE(metrics.find(R"(faultline_grpc_responses_total{listener="main",grpc_status="14"} )" +
                         std::to_string(unavailable) + "\n"),
            std::string::npos)
      << metrics.substr(0, 3000);
  EXPECT_NE(metrics.find(R"(faultline_grpc_responses_total{listener="main",grpc_status="0"} )" +
                         std::to_string(ok) + "\n"),
            std::string::npos)
      << metrics.substr(0, 3000);
  EXPECT_NE(metrics.find("faultline_h2_streams_active{listener=\"main\"} 0\n"), std::string::npos)
      << metrics.substr(0, 3000);
}

TEST(H2Faults, GrpcStatusHeaderTriggerIsATrailersOnlyAnswer) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", kTriggers));
  auto r = grpc_call(proxy.listener("main"),
                     {"unary", "00", "x-chaos-grpc-status=7", "x-chaos-grpc-message=no entry"});
  EXPECT_EQ(r["code"], "PERMISSION_DENIED") << r.dump();
  EXPECT_EQ(r["details"], "no entry") << r.dump();
  EXPECT_EQ(r["trailers"]["x-chaos-injected"], "abort=grpc-7@header") << r.dump();

  auto bad = grpc_call(proxy.listener("main"), {"unary", "00", "x-chaos-grpc-status=99"});
  EXPECT_EQ(bad["code"], "INVALID_ARGUMENT") << bad.dump();
  EXPECT_NE(bad["details"].get<std::string>().find("x-chaos-grpc-status"), std::string::npos)
      << bad.dump();

  // Without the headers the call goes through.
  auto good = grpc_call(proxy.listener("main"), {"unary", "00"});
  EXPECT_EQ(good["code"], "OK") << good.dump();
}

// RFC 9113 §8.1: an abort answered while the request is still open is followed by
// RST_STREAM(NO_ERROR), after the trailers-only HEADERS (submitted at once, nghttp2 sends the
// reset alone and grpc-core reports INTERNAL), so the client stops sending a body nobody reads.
TEST(H2Faults, AnAbortBeforeTheRequestEndsIsFollowedByRstStreamNoError) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", kTriggers));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  // POST / with content-type application/grpc and x-chaos-grpc-status: 14, END_STREAM unset:
  // HPACK static indexes, content-type as a literal with indexed name (31), the trigger as a
  // literal with a new name.
  std::string block("\x83\x86\x84\x01\x01x", 6);
  block += std::string("\x0f\x10\x10", 3) + "application/grpc";
  block += std::string("\x00\x13", 2) + "x-chaos-grpc-status" + std::string("\x02", 1) + "14";
  ASSERT_EQ(client.send(std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, "") +
                        h2::frame(h2::kHeaders, h2::kEndHeaders, 1, block)),
            IoStatus::kOk);
  auto frames = h2::read_frames(client, Millis(5000), [](const std::vector<h2::Frame>& f) {
    return f.back().stream == 1 && f.back().type == h2::kRstStream;
  });
  int headers_at = -1, reset_at = -1;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].stream != 1) continue;
    if (frames[i].type == h2::kHeaders) {
      EXPECT_TRUE(frames[i].flags & h2::kEndStream) << "trailers-only HEADERS ends the stream";
      headers_at = static_cast<int>(i);
    }
    if (frames[i].type == h2::kRstStream) {
      EXPECT_EQ(frames[i].code(), 0u) << "RST_STREAM(NO_ERROR)";
      reset_at = static_cast<int>(i);
    }
  }
  ASSERT_GE(headers_at, 0) << "no response HEADERS on stream 1";
  ASSERT_GE(reset_at, 0) << "no RST_STREAM on stream 1 while its request is open";
  EXPECT_LT(headers_at, reset_at) << "the reset went out before the answer";

  // A gRPC client whose request stays open gets the status, not INTERNAL, and at once.
  auto r = grpc_call(proxy.listener("main"), {"open", "x-chaos-grpc-status=14"});
  EXPECT_EQ(r["code"], "UNAVAILABLE") << r.dump();
  EXPECT_LT(r["ms"].get<double>(), 5000) << r.dump();
}

// An abort with only an HTTP status answers a gRPC call trailers-only: grpc-status mapped as
// Envoy maps its local replies, the body as grpc-message (without it the client would see the
// HTTP status and make up its own details). Configured aborts, x-chaos-abort and Envoy's
// header alike.
TEST(H2Faults, AnHttpAbortOnAGrpcCallIsTheMappedGrpcStatus) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "",
                                 http_abort_triggers(R"(headers = { "x-case" = "experiment" })")));
  auto configured = grpc_call(proxy.listener("main"), {"unary", "00", "x-case=experiment"});
  EXPECT_EQ(configured["code"], "UNAVAILABLE") << configured.dump();
  EXPECT_EQ(configured["details"], "service down") << configured.dump();
  EXPECT_EQ(configured["trailers"]["x-chaos-injected"], "abort=503@down") << configured.dump();
  const std::pair<const char*, const char*> cases[] = {{"x-chaos-abort=404", "UNIMPLEMENTED"},
                                                       {"x-chaos-abort=403", "PERMISSION_DENIED"},
                                                       {"x-chaos-abort=400", "INTERNAL"},
                                                       {"x-chaos-abort=429", "UNAVAILABLE"}};
  for (auto [header, code] : cases) {
    auto r = grpc_call(proxy.listener("main"), {"unary", "00", header});
    EXPECT_EQ(r["code"], code) << header << ": " << r.dump();
    EXPECT_TRUE(r["trailers"].contains("x-chaos-injected")) << header << ": " << r.dump();
  }
  auto envoy =
      grpc_call(proxy.listener("main"), {"unary", "00", "x-envoy-fault-abort-request=401"});
  EXPECT_EQ(envoy["code"], "UNAUTHENTICATED") << envoy.dump();
  EXPECT_EQ(envoy["details"], "fault filter abort") << envoy.dump();
}

TEST(H2Faults, ResetCodesReachTheClientAsGrpcStatuses) {
  START_GRPC_UPSTREAM(upstream);
  std::string tail;
  for (const char* code : {"cancel", "refused_stream", "enhance_your_calm", "internal_error"}) {
    std::string name(code);
    for (char& c : name)
      if (c == '_') c = '-';
    tail += "[[experiments]]\nname = \"" + name +
            "\"\n[experiments.match]\nheaders = { \"x-case\" = \"" + code +
            "\" }\n[[experiments.faults]]\ntype = \"reset\"\ncode = \"" + code + "\"\n";
  }
  START_PROXY(proxy, http_config(upstream.address(), "", tail));
  const std::pair<const char*, const char*> cases[] = {{"cancel", "CANCELLED"},
                                                       {"refused_stream", "UNAVAILABLE"},
                                                       {"enhance_your_calm", "RESOURCE_EXHAUSTED"},
                                                       {"internal_error", "INTERNAL"}};
  for (auto [code, status] : cases) {
    auto r = grpc_call(proxy.listener("main"), {"unary", "00", std::string("x-case=") + code});
    EXPECT_EQ(r["code"], status) << code << ": " << r.dump();
  }
}

TEST(H2Faults, DelayedStreamDoesNotDelayAConcurrentStream) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", kTriggers));
  // The fast call starts 50 ms after the delayed one, on the same channel (one connection):
  // held behind it, it would take about 3 s; the bound leaves a loaded box 2 s of slack.
  auto r = grpc_call(proxy.listener("main"), {"race", "0", "x-chaos-delay=3000ms"});
  EXPECT_EQ(r["slow_code"], "OK") << r.dump();
  EXPECT_EQ(r["fast_code"], "OK") << r.dump();
  EXPECT_GE(r["slow_ms"].get<double>(), 3000) << r.dump();
  EXPECT_LT(r["fast_ms"].get<double>(), 2500) << r.dump();
}

TEST(H2Faults, AfterMessagesEndsAStreamMidway) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", R"(
[[experiments]]
name = "mid-stream"
[experiments.match]
paths = ["/test.Echo/Stream"]
[[experiments.faults]]
type = "abort"
grpc_status = 14
grpc_message = "gone midway"
after_messages = 3
)"));
  auto r = grpc_call(proxy.listener("main"), {"stream", "10", "20000"});
  EXPECT_EQ(r["code"], "UNAVAILABLE") << r.dump().substr(0, 400);
  EXPECT_EQ(r["details"], "gone midway");
  EXPECT_EQ(r["messages"].size(), 3u) << r.dump().substr(0, 400);
  // The unary method does not match: untouched.
  auto u = grpc_call(proxy.listener("main"), {"unary", "00"});
  EXPECT_EQ(u["code"], "OK") << u.dump();
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

// bandwidth per stream (SPEC §8): 200 KB of streamed messages at 64 KiB/s take about 3 s and
// arrive intact; the same call without the header is not held back.
TEST(H2Faults, BandwidthThrottlesOneStream) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", kTriggers));
  auto start = Clock::now();
  auto slow =
      grpc_call(proxy.listener("main"), {"stream", "10", "20000", "x-chaos-bandwidth=64KiB/s"});
  const long slow_ms = elapsed_ms(start);
  EXPECT_EQ(slow["code"], "OK") << slow.dump().substr(0, 400);
  ASSERT_EQ(slow["messages"].size(), 10u);
  auto direct = grpc_call(upstream.endpoint(), {"stream", "10", "20000"});
  EXPECT_TRUE(slow["messages"] == direct["messages"]) << "a throttled message differs";
  // 200,000 bytes at 65,536 B/s is 3 s; the first bucket's burst may shorten it a little.
  EXPECT_GE(slow_ms, 2000) << slow.dump().substr(0, 200);
}

}  // namespace
}  // namespace faultline::harness
