// Head rewriting for forwarding: RFC 9110 §7.6.1 hop-by-hop removal, X-Forwarded-For,
// x-chaos-* stripping, limits, and the checks a head gets beyond llhttp's.
#include <gtest/gtest.h>
#include <llhttp.h>

#include <string>

#include "proxy/http/head.h"

namespace faultline::proxy {
namespace {

// Feeds name/value pairs the way llhttp would, in pieces.
// (Into the caller's collector: a collector is not movable, its arena may be inline.)
void collect(HeadCollector& h, std::string_view target,
             std::initializer_list<std::pair<std::string_view, std::string_view>> fields,
             size_t limit = 64 * 1024) {
  h.reset(limit);
  EXPECT_TRUE(h.add_target(target.data(), target.size()));
  for (auto [name, value] : fields) {
    // Split the name in two pieces to exercise continuation.
    size_t half = name.size() / 2;
    EXPECT_TRUE(h.add_field(name.data(), half));
    EXPECT_TRUE(h.add_field(name.data() + half, name.size() - half));
    EXPECT_TRUE(h.field_done());
    if (!value.empty()) {
      EXPECT_TRUE(h.add_value(value.data(), value.size()));
    }
  }
}

std::string request(const HeadCollector& h, const RewriteOptions& o) {
  char out[4096];
  size_t n = write_request_head(h, "GET", o, out, sizeof out);
  return std::string(out, n);
}

TEST(HttpHead, CollectsPiecesAndFindsCaseInsensitively) {
  HeadCollector h;
  collect(h, "/a?b=1", {{"Host", "example"}, {"X-Empty", ""}, {"Content-Length", "3"}});
  EXPECT_EQ(h.target(), "/a?b=1");
  ASSERT_EQ(h.count(), 3u);
  EXPECT_EQ(h.name(1), "X-Empty");
  EXPECT_EQ(h.value(1), "");
  EXPECT_EQ(h.find("content-length"), "3");
  EXPECT_TRUE(h.has("host"));
  EXPECT_FALSE(h.has("te"));
}

TEST(HttpHead, RemovesHopByHopAndConnectionNamedHeaders) {
  HeadCollector h;
  collect(h, "/",
          {{"Host", "x"},
           {"Connection", "keep-alive, X-Private"},
           {"Keep-Alive", "timeout=5"},
           {"Proxy-Connection", "keep-alive"},
           {"TE", "trailers"},
           {"Trailer", "X-Sum"},
           {"Upgrade", "websocket"},
           {"X-Private", "secret"},
           {"Accept", "*/*"}});
  RewriteOptions o;
  EXPECT_EQ(request(h, o), "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
}

// To an HTTP/2 upstream (keep_te_trailers) "TE: trailers" crosses, even named in Connection,
// as gRPC needs; any other TE value, and every TE without the option, does not.
TEST(HttpHead, KeepsTeTrailersOnlyWhenAsked) {
  HeadCollector h;
  collect(h, "/", {{"Host", "x"}, {"Connection", "TE"}, {"TE", "trailers"}});
  RewriteOptions o;
  EXPECT_EQ(request(h, o), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  o.keep_te_trailers = true;
  EXPECT_EQ(request(h, o), "GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n");
  HeadCollector gzip;
  collect(gzip, "/", {{"Host", "x"}, {"TE", "gzip"}});
  EXPECT_EQ(request(gzip, o), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
}

// The Connection tokens are gathered once per head, at most 8 kept; beyond that the rewrite
// reads the headers again. Both ways name the same fields, in any Connection header.
TEST(HttpHead, ManyConnectionTokensAcrossHeadersAllCount) {
  HeadCollector h;
  collect(h, "/",
          {{"Host", "x"},
           {"Connection", "a1, a2, a3, a4, a5"},
           {"connection", "a6 ,a7,, a8, X-Ninth, X-Tenth"},
           {"X-Ninth", "9"},
           {"a1", "1"},
           {"X-TENTH", "10"},
           {"X-Kept", "k"}});
  RewriteOptions o;
  EXPECT_EQ(request(h, o), "GET / HTTP/1.1\r\nHost: x\r\nX-Kept: k\r\n\r\n");
  HeadCollector few;
  collect(few, "/", {{"Host", "x"}, {"Connection", "X-Gone"}, {"x-gone", "1"}, {"X-K", "k"}});
  EXPECT_EQ(request(few, o), "GET / HTTP/1.1\r\nHost: x\r\nX-K: k\r\n\r\n");
}

TEST(HttpHead, KeepsUpgradeForUpgradeRequests) {
  HeadCollector h;
  collect(h, "/ws", {{"Host", "x"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  RewriteOptions o;
  o.keep_upgrade = true;
  EXPECT_EQ(request(h, o),
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
}

TEST(HttpHead, AppendsForwardedForToExistingValues) {
  HeadCollector h;
  collect(h, "/",
          {{"X-Forwarded-For", "10.0.0.1"}, {"Host", "x"}, {"x-forwarded-for", "10.0.0.2"}});
  RewriteOptions o;
  o.forwarded_for = "127.0.0.1";
  EXPECT_EQ(request(h, o),
            "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2, 127.0.0.1\r\n\r\n");
  HeadCollector fresh;
  collect(fresh, "/", {{"Host", "x"}});
  EXPECT_EQ(request(fresh, o), "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n");
}

TEST(HttpHead, StripsChaosHeadersOnlyWhenAsked) {
  HeadCollector h;
  collect(h, "/", {{"X-Chaos-Delay", "5"}, {"x-chaos-token", "t"}, {"X-Chaotic", "keep"}});
  RewriteOptions o;
  o.strip_chaos = true;
  EXPECT_EQ(request(h, o), "GET / HTTP/1.1\r\nX-Chaotic: keep\r\n\r\n");
  o.strip_chaos = false;
  EXPECT_EQ(request(h, o),
            "GET / HTTP/1.1\r\nX-Chaos-Delay: 5\r\nx-chaos-token: t\r\nX-Chaotic: keep\r\n\r\n");
}

TEST(HttpHead, ResponseHeadKeepsFramingAndAnnotates) {
  HeadCollector h;
  h.reset(1024);
  ASSERT_TRUE(h.add_target("OK", 2));
  for (auto [n, v] : {std::pair<std::string_view, std::string_view>{"Transfer-Encoding", "chunked"},
                      {"Connection", "keep-alive"}}) {
    ASSERT_TRUE(h.add_field(n.data(), n.size()));
    ASSERT_TRUE(h.field_done());
    ASSERT_TRUE(h.add_value(v.data(), v.size()));
  }
  RewriteOptions o;
  o.injected = "latency=5ms@header";
  o.connection_close = true;
  char out[512];
  size_t len = write_response_head(h, 200, o, out, sizeof out);
  EXPECT_EQ(std::string(out, len),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
            "x-chaos-injected: latency=5ms@header\r\n\r\n");
  o.keep_transfer_encoding = false;  // de-chunking for an HTTP/1.0 client
  len = write_response_head(h, 200, o, out, sizeof out);
  EXPECT_EQ(std::string(out, len).find("Transfer-Encoding"), std::string::npos);
}

TEST(HttpHead, EnforcesLimits) {
  HeadCollector h;
  h.reset(10);
  EXPECT_TRUE(h.add_target("/0123", 5));
  EXPECT_TRUE(h.add_field("Host", 4));
  EXPECT_TRUE(h.field_done());
  EXPECT_FALSE(h.add_value("xx", 2));  // 11 bytes > 10
  HeadCollector many;
  many.reset(1 << 20);
  for (size_t i = 0; i < HeadCollector::kMaxHeaders; ++i) {
    ASSERT_TRUE(many.add_field("A", 1));
    ASSERT_TRUE(many.field_done());
  }
  // The 101st field is refused once its name is complete, not at its first piece: a read
  // ending inside the name must not turn an error llhttp finds there into a 431.
  EXPECT_TRUE(many.add_field("B", 1));
  EXPECT_FALSE(many.too_many());
  EXPECT_FALSE(many.field_done());
  EXPECT_TRUE(many.too_many());
  // Output that does not fit reports 0 rather than a truncated head.
  HeadCollector big;
  collect(big, "/", {{"Host", "x"}});
  char tiny[8];
  EXPECT_EQ(write_request_head(big, "GET", RewriteOptions{}, tiny, sizeof tiny), 0u);
}

TEST(HttpHead, RefusesAnEmptyFieldName) {
  HeadCollector h;
  h.reset(1024);
  ASSERT_TRUE(h.add_field("", 0));  // llhttp reports ": value" as an empty name
  EXPECT_FALSE(h.field_done());
  EXPECT_EQ(h.problem(), "empty header name\n");
  HeadCollector none;
  none.reset(1024);
  EXPECT_FALSE(none.field_done());  // no name piece at all
}

// The one obs-fold check, as the admin server and the demo's upstream use it: a fold is found
// wherever the reads split the head, and legal heads pass however they are split.
TEST(ObsFoldScan, FindsAFoldAtEverySplitAndPassesLegalHeads) {
  const std::string_view folded[] = {"GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n",
                                     "GET / HTTP/1.1\r\nX-A:\r\n\ttwo\r\n\r\n",
                                     "GET / HTTP/1.1\r\n Host: x\r\n\r\n"};
  const std::string_view legal[] = {"GET / HTTP/1.1\r\nX-A:  one two \r\nX-B:\t\r\n\r\n",
                                    "GET / HTTP/1.1\r\n\r\n"};
  auto scan_split = [](std::string_view head, size_t at) {
    ObsFoldScan scan;
    scan.reset();
    return scan.scan(head.data(), at) && scan.scan(head.data() + at, head.size() - at);
  };
  for (std::string_view head : folded)
    for (size_t at = 0; at <= head.size(); ++at) EXPECT_FALSE(scan_split(head, at)) << at;
  for (std::string_view head : legal)
    for (size_t at = 0; at <= head.size(); ++at) EXPECT_TRUE(scan_split(head, at)) << at;
  // reset() forgets the previous head's last byte.
  ObsFoldScan scan;
  ASSERT_TRUE(scan.scan("a\r\n", 3));
  scan.reset();
  EXPECT_TRUE(scan.scan(" b", 2));
}

TEST(HttpHead, CountsRawBytesAndFindsObsFoldAcrossReads) {
  HeadCollector h;
  h.reset(64);
  std::string_view a = "GET / HTTP/1.1\r\nX-A: one\r\n";
  ASSERT_TRUE(h.consumed(a.data(), a.size()));
  EXPECT_EQ(h.room(), 64 - a.size());
  // The continuation line starts the next read.
  std::string_view b = " two\r\n\r\n";
  EXPECT_FALSE(h.consumed(b.data(), b.size()));
  EXPECT_NE(h.problem().find("obs-fold"), std::string_view::npos);

  for (std::string_view whole :
       {"GET / HTTP/1.1\r\nX-A:\r\n\ttwo\r\n\r\n", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"}) {
    HeadCollector w;
    w.reset(1024);
    EXPECT_FALSE(w.consumed(whole.data(), whole.size())) << whole;
  }
  HeadCollector plain;
  plain.reset(1024);
  std::string_view ok = "GET / HTTP/1.1\r\nX-A: one two\t\r\n\r\n";
  EXPECT_TRUE(plain.consumed(ok.data(), ok.size()));
  // The budget runs out; room() never wraps.
  HeadCollector small;
  small.reset(8);
  EXPECT_TRUE(small.consumed(ok.data(), ok.size()));
  EXPECT_EQ(small.room(), 0u);
}

TEST(HttpHead, RefusesFramingHeadersNamedInConnection) {
  struct Case {
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields;
    bool http10;
    bool request_ok;
    bool response_ok;
  };
  const Case cases[] = {
      {{{"Connection", "Content-Length"}, {"Content-Length", "3"}}, false, false, false},
      {{{"Connection", "keep-alive"}, {"connection", " x-a ,\tTRANSFER-ENCODING "}},
       false,
       false,
       false},
      {{{"Connection", "close, host"}}, false, false, true},
      {{{"Connection", "keep-alive, X-Hop, TE"}, {"TE", "trailers"}}, false, true, true},
      {{{"Connection", "content-lengthy"}}, false, true, true},
      {{{"Transfer-Encoding", "chunked"}}, true, false, true},
      {{{"Transfer-Encoding", "chunked"}}, false, true, true},
  };
  for (const Case& c : cases) {
    HeadCollector h;
    collect(h, "/", c.fields);
    EXPECT_EQ(h.check_request(c.http10), c.request_ok) << h.value(0);
    EXPECT_EQ(h.problem().empty(), c.request_ok) << h.problem();
    HeadCollector r;
    collect(r, "OK", c.fields);
    EXPECT_EQ(r.check_response(), c.response_ok) << r.value(0);
  }
  // Rewriting never drops them either, whatever Connection says.
  HeadCollector h;
  collect(h, "/",
          {{"Host", "x"},
           {"Connection", "Content-Length, Transfer-Encoding, Host, X-A"},
           {"Content-Length", "3"},
           {"X-A", "1"}});
  EXPECT_EQ(request(h, RewriteOptions{}), "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n");
}

// The README says llhttp runs in strict mode: these are the inputs only strict mode refuses
// (with the lenient flags at their default, off).
TEST(HttpHead, LlhttpIsBuiltStrict) {
  EXPECT_EQ(LLHTTP_STRICT_MODE, 1);
  auto parse = [](std::string_view raw, llhttp_type_t type) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    llhttp_t parser;
    llhttp_init(&parser, type, &settings);
    return llhttp_execute(&parser, raw.data(), raw.size());
  };
  EXPECT_NE(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", HTTP_REQUEST), HPE_OK);
  EXPECT_NE(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
                  HTTP_REQUEST),
            HPE_OK);
  EXPECT_NE(
      parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n", HTTP_REQUEST),
      HPE_OK);
  EXPECT_NE(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
                  HTTP_RESPONSE),
            HPE_OK);
  // What strict mode still accepts parses as before.
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3;a=\"b\"\r\nabc\r\n0\r\n\r\n",
                  HTTP_REQUEST),
            HPE_OK);
}

TEST(HttpHead, SimpleResponses) {
  char out[512];
  size_t len = write_simple_response(502, "upstream unreachable\n", true, {}, {}, out, sizeof out);
  EXPECT_EQ(std::string(out, len),
            "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 21\r\n"
            "connection: close\r\n\r\nupstream unreachable\n");
  EXPECT_STREQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_TRUE(is_token("X-Foo"));
  EXPECT_FALSE(is_token("X Foo"));
  EXPECT_FALSE(is_token(""));
}

}  // namespace
}  // namespace faultline::proxy
