// Request smuggling and parser strictness on the HTTP/1.1 path, judged by what a lenient
// origin receives: raw bytes go to the real proxy, the client must get a 400 and a closed
// connection, and a raw TCP origin records exactly the bytes it was sent, so any request
// the proxy let through (a second, smuggled one included) is visible. The response side is
// judged by what the client receives from a raw origin that sends a malformed response.
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// Every case carries this request after the malformed part: the origin must never see it.
constexpr std::string_view kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

// A lenient origin: records every byte and answers "ok" once per blank line it sees, reading
// no body framing at all (whatever the proxy sends as a head gets an answer).
TcpHandler lenient_origin() {
  return [](int fd, TcpUpstream& server) {
    std::string seen;
    char buf[16 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      server.record(std::string_view(buf, static_cast<size_t>(n)));
      seen.append(buf, static_cast<size_t>(n));
      for (size_t at; (at = seen.find("\r\n\r\n")) != std::string::npos;) {
        seen.erase(0, at + 4);
        constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        if (send_all(fd, kOk, Clock::now() + 5s) != IoStatus::kOk) return;
      }
    }
  };
}

struct RequestCase {
  const char* name;
  std::string bytes;     // sent in one write, followed by kSmuggled
  bool head_level;       // refused before anything is forwarded
  const char* why = "";  // expected in the 400 body, when the proxy names the reason
};

std::string chunked_post(std::string_view extra_headers, std::string_view body) {
  return "POST /up HTTP/1.1\r\nHost: x\r\n" + std::string(extra_headers) +
         "Transfer-Encoding: chunked\r\n\r\n" + std::string(body);
}

std::vector<RequestCase> request_cases() {
  std::string smuggled(kSmuggled);
  std::string smuggled_len = std::to_string(smuggled.size());
  return {
      // Item 8: a framing header named in Connection must not be dropped as hop-by-hop.
      {"connection_names_content_length",
       "POST /up HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\nContent-Length: " +
           smuggled_len + "\r\n\r\n" + smuggled,
       true, "Content-Length"},
      {"connection_names_content_length_among_others",
       "POST /up HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nConnection: x-a, "
       "content-length\r\nContent-Length: " +
           smuggled_len + "\r\n\r\n" + smuggled,
       true, "Content-Length"},
      {"connection_names_transfer_encoding",
       chunked_post("Connection: Transfer-Encoding\r\n", "5\r\nhello\r\n0\r\n\r\n"), true,
       "Transfer-Encoding"},
      {"connection_names_host", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close, Host\r\n\r\n",
       true, "Host"},
      // Item 9: an empty field name.
      {"empty_header_name", "GET / HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n", true, "empty"},
      // Item 10: what llhttp's strict mode and our own checks refuse.
      {"bare_lf", "GET / HTTP/1.1\nHost: x\n\n", true},
      {"obs_fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", true, "obs-fold"},
      {"obs_fold_of_empty_value", "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\ttwo\r\n\r\n", true,
       "obs-fold"},
      {"whitespace_line_after_request_line", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", true},
      {"space_before_colon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello", true},
      {"tab_before_colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\t: 1\r\n\r\n", true},
      {"control_char_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01z\r\n\r\n", true},
      {"del_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fz\r\n\r\n", true},
      {"lone_cr_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rz\r\n\r\n", true},
      {"control_char_in_target", "GET /a\x01z HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"content_length_and_transfer_encoding",
       "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       true},
      {"duplicate_differing_content_length",
       "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", true},
      // llhttp refuses identical duplicates too (RFC 9112 §6.3 allows either).
      {"duplicate_identical_content_length",
       "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", true},
      {"content_length_list", "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
       true},
      {"signed_content_length", "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc",
       true},
      {"transfer_encoding_chunked_identity",
       "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       true},
      {"transfer_encoding_not_chunked",
       "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello", true},
      {"transfer_encoding_twice",
       "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       true},
      {"transfer_encoding_vertical_tab",
       "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\x0b"
       "chunked\r\n\r\n0\r\n\r\n",
       true},
      {"http10_with_transfer_encoding",
       "POST /up HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       true, "HTTP/1.0"},
      {"unknown_http_version", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", true},
      // Body framing: the head may have gone upstream, the rest must not.
      {"chunk_size_overflow", chunked_post("", "fffffffffffffffff1\r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_size_not_hex", chunked_post("", "zz\r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_size_with_space", chunked_post("", "5 \r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_size_bare_lf", chunked_post("", "5\nhello\r\n0\r\n\r\n"), false},
      {"chunk_extension_control_char", chunked_post("", "5;a\x01=b\r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_extension_bare_lf", chunked_post("", "5;a\nhello\r\n0\r\n\r\n"), false},
      {"chunk_data_without_crlf", chunked_post("", "5\r\nhelloXX0\r\n\r\n"), false},
  };
}

// Each case on its own connection of one proxy; the origin's record is checked per case.
TEST(HttpSmuggling, MalformedRequestsAre400AndNothingSmuggledReachesTheOrigin) {
  TcpUpstream origin(lenient_origin());
  START_PROXY(proxy, http_config(origin.address(), "response_timeout = \"3s\"\n"));
  auto to = proxy.listener("main");
  for (const RequestCase& c : request_cases()) {
    SCOPED_TRACE(c.name);
    size_t recorded_before = origin.received_bytes().size();
    RawClient client(to);
    ASSERT_TRUE(client.connected());
    client.send(c.bytes + std::string(kSmuggled));
    auto r = client.read_response("POST", 5s);
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 400) << r;
    if (*c.why) {
      EXPECT_NE(r.body.find(c.why), std::string::npos) << r.body;
    }
    auto rest = client.read_until_close(3s);
    EXPECT_NE(rest.io, IoStatus::kTimeout) << "connection left open after the 400";
    EXPECT_TRUE(rest.bytes.empty()) << "more after the 400: " << rest.bytes;
    // Give a forwarded byte time to land before judging what the origin saw.
    std::this_thread::sleep_for(100ms);
    std::string seen = origin.received_bytes().substr(recorded_before);
    EXPECT_EQ(seen.find("/smuggled"), std::string::npos) << "the origin received:\n" << seen;
    if (c.head_level) {
      EXPECT_EQ(seen, "") << "a refused request reached the origin";
    }
  }
}

// Item 4: the verdict on a head does not depend on how its bytes are split into reads. A field
// name longer than max_header_bytes that ends in an invalid character was a 400 in one read
// (llhttp reports the character without passing on the name) and a 431 when a read ended
// inside the name. The limit is now reached, at one fixed byte, before the bad character.
TEST(HttpSmuggling, HeadVerdictDoesNotDependOnReadSplitting) {
  TcpUpstream origin(lenient_origin());
  START_PROXY(proxy, http_config(origin.address(), "max_header_bytes = \"4KiB\"\n"));
  const std::string first = "GET / HTTP/1.1\r\nHost: x\r\nX-" + std::string(4500, 'n');
  const std::string rest = std::string(500, 'n') + "\": v\r\n\r\n";
  for (bool split : {false, true}) {
    SCOPED_TRACE(split ? "two reads" : "one read");
    RawClient client(proxy.listener("main"));
    ASSERT_TRUE(client.connected());
    if (split) {
      client.send(first);
      std::this_thread::sleep_for(200ms);  // the proxy reads the first part on its own
      client.send(rest);
    } else {
      client.send(first + rest);
    }
    auto r = client.read_response("GET", 5s);
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 431) << r;
  }
  EXPECT_EQ(origin.received_bytes(), "");
}

// The same shapes done right pass, and headers that Connection may name still go.
TEST(HttpSmuggling, WellFormedNeighboursStillPass) {
  TcpUpstream origin(lenient_origin());
  START_PROXY(proxy, http_config(origin.address()));
  auto to = proxy.listener("main");
  const std::vector<std::string> ok = {
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: TE\r\nTE: trailers\r\n\r\n",
      chunked_post("", "5;name=\"v\"\r\nhello\r\n0\r\n\r\n"),
      "GET / HTTP/1.0\r\nHost: x\r\n\r\n",
  };
  for (const std::string& raw : ok) {
    size_t before = origin.received_bytes().size();
    auto r = one_request(to, raw, 5s);
    ASSERT_TRUE(r.complete()) << r << " for:\n" << raw;
    EXPECT_EQ(r.status(), 200) << raw;
    ASSERT_TRUE(eventually([&] { return origin.received_bytes().size() > before; }));
    std::string seen = origin.received_bytes().substr(before);
    EXPECT_EQ(seen.find("X-Hop"), std::string::npos) << seen;
  }
}

// A raw origin answering each request with the response its path names (/0, /1, ...), on
// fresh and pooled connections alike (requests carry no body).
TcpHandler scripted_origin(std::vector<std::string> responses) {
  return [responses = std::move(responses)](int fd, TcpUpstream&) {
    std::string seen;
    char buf[4096];
    for (;;) {
      size_t end = seen.find("\r\n\r\n");
      if (end == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        seen.append(buf, static_cast<size_t>(n));
        continue;
      }
      size_t index = std::stoul(seen.substr(seen.find('/') + 1));
      seen.erase(0, end + 4);
      if (index >= responses.size()) return;
      if (send_all(fd, responses[index], Clock::now() + 5s) != IoStatus::kOk) return;
    }
  };
}

struct ResponseCase {
  const char* name;
  std::string bytes;
  bool body_level;  // found after the head was relayed: the client sees a cut response
};

TEST(HttpSmuggling, MalformedResponsesAreNotReframedTowardTheClient) {
  std::vector<ResponseCase> cases = {
      {"connection_names_content_length",
       "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello", false},
      {"connection_names_transfer_encoding",
       "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       false},
      {"empty_header_name", "HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 5\r\n\r\nhello", false},
      {"obs_fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello", false},
      {"bare_lf", "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", false},
      {"content_length_and_transfer_encoding",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       false},
      {"duplicate_differing_content_length",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", false},
      {"space_before_colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", false},
      {"chunk_data_without_crlf",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", true},
      {"chunk_size_overflow",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nhello", true},
  };
  std::vector<std::string> responses;
  for (const auto& c : cases) responses.push_back(c.bytes);
  responses.push_back("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");  // control
  TcpUpstream origin(scripted_origin(responses));
  START_PROXY(proxy, http_config(origin.address()));
  auto to = proxy.listener("main");

  auto control = one_request(to, get_request("/" + std::to_string(cases.size())), 5s);
  ASSERT_EQ(control.status(), 200) << control;
  EXPECT_EQ(control.body, "hello");

  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    RawClient client(to);
    ASSERT_TRUE(client.connected());
    client.send(get_request("/" + std::to_string(i)));
    auto r = client.read_response("GET", 5s);
    if (cases[i].body_level) {
      EXPECT_FALSE(r.complete()) << "a malformed body was relayed as complete: " << r;
    } else {
      ASSERT_TRUE(r.complete()) << r;
      EXPECT_EQ(r.status(), 502) << r;
    }
    auto rest = client.read_until_close(3s);
    EXPECT_NE(rest.io, IoStatus::kTimeout) << "connection left open";
  }
}

}  // namespace
}  // namespace faultline::harness
