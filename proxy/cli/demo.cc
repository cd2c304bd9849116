// `faultline demo`: everything in one process, nothing to install or write.
#include <cstdio>
#include <string_view>
#include <thread>

#include "config/loader.h"
#include "faults/config_check.h"
#include "faults/snapshot.h"
#include "proxy/cli/cli.h"
#include "proxy/cli/simple_http_server.h"
#include "proxy/control/server.h"

namespace faultline::proxy {

namespace {

// /api/bytes/N answers N KiB, so that a bandwidth limit has a body large enough to see.
constexpr size_t kMaxDemoKiB = 1024;

// N of /api/bytes/N when it is a whole number in 1..kMaxDemoKiB, else 0.
size_t demo_kib(std::string_view n) {
  if (n.empty() || n.size() > 4) return 0;
  size_t value = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  return value <= kMaxDemoKiB ? value : 0;
}

// The embedded upstream: a tiny JSON service on its own loop thread.
class DemoUpstream {
 public:
  Status start() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<DemoUpstream*>(a->data);
      uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
      self->server_->close([] {});
    });
    stop_.data = this;
    server_ = std::make_unique<SimpleHttpServer>(&loop_, handle);
    if (auto st = server_->listen("127.0.0.1", 0); !st) return st;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
    return Ok{};
  }
  void stop() {
    uv_async_send(&stop_);
    thread_.join();
    server_.reset();
    uv_loop_close(&loop_);
  }
  uint16_t port() const { return server_->port(); }

 private:
  static SimpleResponse handle(const SimpleRequest& req) {
    SimpleResponse r;
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/") {
      r.body =
          "hello from the faultline demo upstream\n"
          "try /api/items, /api/items/1, POST /api/echo, /api/bytes/64 (64 KiB)\n";
    } else if (path == "/api/items") {
      r.content_type = "application/json";
      r.body =
          R"({"items":[{"id":1,"name":"anvil"},{"id":2,"name":"rocket skates"},{"id":3,"name":"giant magnet"}]})";
    } else if (path.rfind("/api/items/", 0) == 0) {
      r.content_type = "application/json";
      r.body = R"({"id":")" + path.substr(11) + R"(","name":"item )" + path.substr(11) + R"("})";
    } else if (path.rfind("/api/bytes/", 0) == 0 && demo_kib(path.substr(11)) != 0) {
      r.content_type = "application/octet-stream";
      r.body.assign(demo_kib(path.substr(11)) * 1024, 'x');
    } else if (path == "/api/echo") {
      r.content_type = req.header("content-type").empty() ? "application/octet-stream"
                                                          : req.header("content-type");
      r.body = req.body;
    } else if (path == "/healthz") {
      r.body = "ok\n";
    } else {
      r.status = 404;
      r.content_type = "application/json";
      r.body = R"({"error":"not found"})";
    }
    return r;
  }

  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::unique_ptr<SimpleHttpServer> server_;
  std::thread thread_;
};

void print_guide(const ReadyInfo& info, uint16_t upstream_port) {
  std::string proxy = info.listeners.empty() ? "127.0.0.1:15001" : info.listeners[0].second;
  std::printf(
      "faultline demo is running\n"
      "  proxy     http://%s  ->  embedded upstream http://127.0.0.1:%u\n"
      "  admin     http://%s\n\n"
      "Plain pass-through:\n"
      "  curl -i http://%s/api/items\n"
      "Per-request faults with headers (header triggers are enabled in the demo):\n"
      "  curl -i -H 'x-chaos-delay: 500ms' http://%s/api/items\n"
      "  curl -i -H 'x-chaos-abort: 503' http://%s/api/items\n"
      "  curl -o /dev/null -w '%%{size_download} bytes in %%{time_total}s\\n' \\\n"
      "       -H 'x-chaos-bandwidth: 16KiB/s' http://%s/api/bytes/64\n"
      "      (64 KiB at 16 KiB/s: about 4 s instead of a few ms)\n"
      "  curl -i -H 'x-chaos-reset: request' http://%s/api/items\n"
      "Sample experiments (opt in per request):\n"
      "  curl -i -H 'x-chaos-experiment: slow-items' http://%s/api/items\n"
      "Admin API:\n"
      "  curl http://%s/readyz\n"
      "  curl http://%s/v1/status\n"
      "  faultline ctl ls        (also: status, get NAME, pause NAME, halt, unhalt, events)\n\n"
      "Ctrl-C drains in-flight requests and exits.\n",
      proxy.c_str(), upstream_port, info.admin.c_str(), proxy.c_str(), proxy.c_str(), proxy.c_str(),
      proxy.c_str(), proxy.c_str(), proxy.c_str(), info.admin.c_str(), info.admin.c_str());
  std::fflush(stdout);
}

}  // namespace

int demo_command() {
  DemoUpstream upstream;
  if (auto st = upstream.start(); !st) {
    std::fprintf(stderr, "faultline demo: upstream: %s\n", st.error().c_str());
    return 1;
  }
  // The demo's config, as a user would write it.
  std::string toml = R"(
[admin]
listen = "127.0.0.1:9901"
[log]
level = "info"
format = "text"
access_log = true
[runtime]
workers = 1
drain_timeout = "5s"
[triggers.headers]
enabled = true
[[listeners]]
name = "demo"
listen = "127.0.0.1:15001"
upstream = "127.0.0.1:UPSTREAM_PORT"
[[experiments]]
name = "slow-items"
description = "opt in with: x-chaos-experiment: slow-items"
trigger = "header"
[experiments.match]
paths = ["/api/items*"]
[[experiments.faults]]
type = "latency"
delay = "300ms"
jitter = "50ms"
[[experiments.faults]]
type = "abort"
status = 503
body = "injected by faultline demo"
percentage = 30.0
[[experiments]]
name = "trickle-echo"
description = "opt in with: x-chaos-experiment: trickle-echo"
trigger = "header"
[experiments.match]
paths = ["/api/echo"]
methods = ["POST"]
[[experiments.faults]]
type = "bandwidth"
rate = "4KiB/s"
direction = "both"
)";
  toml.replace(toml.find("UPSTREAM_PORT"), 13, std::to_string(upstream.port()));
  config::Diagnostics diags("demo.toml");
  auto loaded = faults::load_checked_config_string(toml, "demo.toml", diags);  // as `run` does
  if (!loaded || !diags.ok()) {
    for (const auto& d : diags.items())
      std::fprintf(stderr, "faultline demo: %s\n", d.format().c_str());
    upstream.stop();
    return 1;
  }
  auto cfg = std::make_shared<const config::Config>(std::move(*loaded));
  uint16_t port = upstream.port();
  Server::Options options;
  options.on_ready = [port](const ReadyInfo& info) { print_guide(info, port); };
  int rc;
  {
    Server server(cfg, std::move(options));
    rc = server.run();
  }
  upstream.stop();
  return rc;
}

}  // namespace faultline::proxy
