// The HTTP codec (proxy/http/codec.h) on its own: no loop, no socket. The fuzzers
// (tests/fuzz/http_*_fuzz.cc) drive it with arbitrary bytes; these pin what it reports.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/http/codec.h"

namespace faultline::proxy {
namespace {

using Event = HttpCodec::Event;

// Feeds `bytes` in pieces of `piece` bytes and records every event but kMore.
struct Transcript {
  std::vector<Event> events;
  std::string body;                // bytes reported as body (consumed in the body phase)
  std::vector<std::string> heads;  // "METHOD target" of each request head (status for responses)
};

Transcript feed(HttpCodec& codec, std::string_view bytes, size_t piece, size_t head_limit = 8192) {
  Transcript run;
  bool in_body = false;
  for (size_t at = 0; at < bytes.size();) {
    std::string chunk(bytes.substr(at, std::min(piece, bytes.size() - at)));
    const char* p = chunk.data();
    size_t n = chunk.size();
    at += n;
    while (n > 0 || in_body) {
      HttpCodec::Result r = codec.execute(p, n);
      if (in_body) run.body.append(p, r.used);
      p += r.used;
      n -= r.used;
      if (r.event == Event::kMore) break;
      run.events.push_back(r.event);
      if (r.event == Event::kError) return run;
      if (r.event == Event::kHead) {
        in_body = !codec.message_done();
        run.heads.push_back(std::string(llhttp_method_name(llhttp_method_t(codec.method()))) + " " +
                            std::string(codec.head().target()));
      }
      if (r.event == Event::kComplete) {
        in_body = false;
        codec.begin_message(head_limit);
      }
      if (n == 0 && !in_body) break;
    }
  }
  return run;
}

TEST(HttpCodec, RequestsInAnyPiecesGiveTheSameHeadsAndBodies) {
  const std::string bytes =
      "POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t piece : {1, 3, 7, 1000}) {
    HttpCodec codec(HttpCodec::Kind::kRequest);
    codec.init();
    codec.begin_message(8192);
    Transcript run = feed(codec, bytes, piece);
    // A message without body completes on the next execute(), even with no bytes.
    EXPECT_EQ(run.events,
              (std::vector<Event>{Event::kHead, Event::kComplete, Event::kHead, Event::kComplete}))
        << piece;
    EXPECT_EQ(run.body, "hello") << piece;
    EXPECT_EQ(run.heads, (std::vector<std::string>{"POST /a?b=1", "GET /next"})) << piece;
    EXPECT_FALSE(codec.http10());
    EXPECT_TRUE(codec.keep_alive());
  }
}

TEST(HttpCodec, ARequestHeadOverItsBudgetIs431WhateverThePieces) {
  std::string bytes = "GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(300, 'a') + "\r\n\r\n";
  for (size_t piece : {1, 10, 1000}) {
    HttpCodec codec(HttpCodec::Kind::kRequest);
    codec.init();
    codec.begin_message(100);
    Transcript run = feed(codec, bytes, piece, 100);
    ASSERT_EQ(run.events, std::vector<Event>{Event::kError}) << piece;
    EXPECT_EQ(codec.error_status(), 431);
    EXPECT_FALSE(codec.error_reason().empty());
  }
}

TEST(HttpCodec, ObsFoldIsRefusedWithAReason) {
  HttpCodec codec(HttpCodec::Kind::kRequest);
  codec.init();
  codec.begin_message(8192);
  Transcript run = feed(codec, "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 1000);
  ASSERT_EQ(run.events, std::vector<Event>{Event::kError});
  EXPECT_EQ(codec.error_status(), 400);
  EXPECT_NE(codec.error_reason().find("obs-fold"), std::string_view::npos);
}

TEST(HttpCodec, ResponsesReportInterimHeadsThenTheFinalOne) {
  HttpCodec codec(HttpCodec::Kind::kResponse);
  codec.init();
  codec.begin_message(64 * 1024);
  std::string bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  HttpCodec::Result r = codec.execute(bytes.data(), bytes.size());
  ASSERT_EQ(r.event, Event::kInterim);
  EXPECT_EQ(codec.status_code(), 100);
  size_t at = r.used;
  r = codec.execute(bytes.data() + at, bytes.size() - at);
  ASSERT_EQ(r.event, Event::kHead);
  EXPECT_EQ(codec.status_code(), 200);
  EXPECT_FALSE(codec.message_done());
  at += r.used;
  r = codec.execute(bytes.data() + at, bytes.size() - at);
  EXPECT_EQ(r.event, Event::kComplete);
  EXPECT_EQ(at + r.used, bytes.size());
}

TEST(HttpCodec, AResponseToHeadCompletesWithItsHead) {
  HttpCodec codec(HttpCodec::Kind::kResponse);
  codec.init();
  codec.begin_message(64 * 1024, /*no_body=*/true);
  std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  HttpCodec::Result r = codec.execute(bytes.data(), bytes.size());
  ASSERT_EQ(r.event, Event::kHead);
  EXPECT_TRUE(codec.message_done());
}

struct Collect final : HttpCodec::BodySink {
  std::string body;
  void on_body(const char* at, size_t n) override { body.append(at, n); }
};

TEST(HttpCodec, TheBodySinkGetsTheDecodedChunkedBodyOnlyWhileSet) {
  HttpCodec codec(HttpCodec::Kind::kResponse);
  codec.init();
  codec.begin_message(64 * 1024);
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(codec.execute(head.data(), head.size()).event, Event::kHead);
  EXPECT_TRUE(codec.chunked());
  Collect sink;
  codec.set_body_sink(&sink);
  std::string body = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  EXPECT_EQ(codec.execute(body.data(), body.size()).event, Event::kComplete);
  EXPECT_EQ(sink.body, "abcde");
  codec.begin_message(64 * 1024);  // a new message forgets the sink
  std::string again = head + body;
  HttpCodec::Result r = codec.execute(again.data(), again.size());
  ASSERT_EQ(r.event, Event::kHead);
  EXPECT_EQ(codec.execute(again.data() + r.used, again.size() - r.used).event, Event::kComplete);
  EXPECT_EQ(sink.body, "abcde");
}

TEST(HttpCodec, AMalformedResponseIs502) {
  HttpCodec codec(HttpCodec::Kind::kResponse);
  codec.init();
  codec.begin_message(64 * 1024);
  std::string bytes = "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n";
  EXPECT_EQ(codec.execute(bytes.data(), bytes.size()).event, Event::kError);
  EXPECT_EQ(codec.error_status(), 502);
}

}  // namespace
}  // namespace faultline::proxy
