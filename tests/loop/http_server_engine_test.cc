// The HTTP/1.1 server engine (proxy/http/server_engine.h) that the admin API, the demo's
// upstream and the Toxiproxy API run on: what reaches the Handler, keep-alive and pipelining in
// order, the refusals it asks the Handler to word, and that a limit of 0 means none.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "proxy/http/server_engine.h"
#include "proxy/log.h"
#include "tests/loop/admin_live_server.h"

namespace faultline::proxy {
namespace {

class Echo : public HttpServerEngine::Handler {
 public:
  ServerAnswer answer(const ServerRequest& r, bool keep_alive) override {
    ++answered;
    const std::string body = r.method + " " + r.target +
                             " x-test=" + std::string(r.header("X-TEST")) + " body=" + r.body +
                             " client=" + r.client + (r.http10 ? " http10" : "");
    std::string out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    return {out + "\r\n" + body, !keep_alive};
  }
  std::string refusal(int status, const std::string& message) override {
    return "HTTP/1.1 " + std::to_string(status) +
           " No\r\nContent-Length: " + std::to_string(message.size()) +
           "\r\nConnection: close\r\n\r\n" + message;
  }
  std::atomic<int> answered{0};
};

// An engine on its own loop thread.
class Served {
 public:
  explicit Served(HttpServerEngine::Limits limits) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<Served*>(a->data);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
      self->engine_->close([] {});
    });
    stop_.data = this;
    engine_ = std::make_unique<HttpServerEngine>(&loop_, handler, limits, &log::main, "test");
    EXPECT_TRUE(engine_->listen(config::HostPort{"127.0.0.1", 0}).ok());
    port_ = engine_->port();
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~Served() {
    uv_async_send(&stop_);
    thread_.join();
    engine_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  uint16_t port() const { return port_; }
  Echo handler;

 private:
  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::unique_ptr<HttpServerEngine> engine_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST(HttpServerEngine, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  Served served{HttpServerEngine::Limits{}};
  admin::testing::RawClient c(served.port());
  ASSERT_TRUE(c.connected());
  c.send(
      "POST /a HTTP/1.1\r\nHost: x\r\nX-Test: one\r\nContent-Length: 3\r\n\r\nabc"
      "GET /b HTTP/1.1\r\nHost: x\r\nx-test: two\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  EXPECT_EQ(c.read_response().body, "POST /a x-test=one body=abc client=127.0.0.1");
  EXPECT_EQ(c.read_response().body, "GET /b x-test=two body= client=127.0.0.1");
  EXPECT_EQ(c.read_response().body, "GET /c x-test= body=hi client=127.0.0.1");
  EXPECT_EQ(served.handler.answered.load(), 3);
}

TEST(HttpServerEngine, Http10WithoutKeepAliveIsAnsweredAndClosed) {
  Served served{HttpServerEngine::Limits{}};
  admin::testing::RawClient c(served.port());
  c.send("GET /old HTTP/1.0\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.body, "GET /old x-test= body= client=127.0.0.1 http10");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServerEngine, RefusalsAreWordedByTheHandler) {
  HttpServerEngine::Limits limits;
  limits.max_body_bytes = 10;
  limits.max_header_bytes = 256;
  Served served{limits};
  {
    admin::testing::RawClient c(served.port());
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n");
    auto r = c.read_response();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body, "request body larger than 10 bytes");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    admin::testing::RawClient c(served.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 431);
  }
  {
    admin::testing::RawClient c(served.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 400);
  }
  EXPECT_EQ(served.handler.answered.load(), 0);
}

TEST(HttpServerEngine, ATimeoutOfZeroIsNone) {
  HttpServerEngine::Limits limits;
  limits.idle_timeout_ms = 0;
  limits.request_timeout_ms = 0;
  Served quiet{limits};
  HttpServerEngine::Limits short_idle;
  short_idle.idle_timeout_ms = 100;
  Served strict{short_idle};
  admin::testing::RawClient kept(quiet.port(), /*timeout_ms=*/600);
  admin::testing::RawClient dropped(strict.port(), /*timeout_ms=*/3000);
  ASSERT_TRUE(kept.connected() && dropped.connected());
  EXPECT_TRUE(dropped.closed_by_peer()) << "idle_timeout_ms = 100 did not close";
  EXPECT_FALSE(kept.closed_by_peer()) << "idle_timeout_ms = 0 closed the connection";
  kept.send("GET /still HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(kept.read_response().status, 200);
}

}  // namespace
}  // namespace faultline::proxy
