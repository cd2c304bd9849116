// Listeners change by a config reload, without a restart (SPEC §10.2, issue 12 point 1): a new
// listener accepts, a removed or disabled one refuses new connections and closes the open
// ones at once, a moved one answers on its new address only, and a bind failure is a reload
// error that leaves the running config in place. Checked from the client's side.
#include <cerrno>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

std::string abort_experiment(const std::string& name, const std::string& path, int status) {
  return "[[experiments]]\nname = \"" + name + "\"\n[experiments.match]\npaths = [\"" + path +
         "\"]\n[[experiments.faults]]\ntype = \"abort\"\nstatus = " + std::to_string(status) + "\n";
}

// The bound address /v1/status reports for listener `name`, if it has one.
std::optional<Endpoint> status_address(const Endpoint& admin, const std::string& name) {
  ApiReply status = api_get(admin, "/v1/status");
  if (status.status() != 200 || status.json.is_discarded()) return std::nullopt;
  for (const auto& l : status.json["listeners"]) {
    if (l.value("name", "") == name && l.contains("address"))
      return Endpoint::parse(l["address"].get<std::string>());
  }
  return std::nullopt;
}

bool listed(const Endpoint& admin, const std::string& name) {
  ApiReply status = api_get(admin, "/v1/status");
  for (const auto& l : status.json["listeners"])
    if (l.value("name", "") == name) return true;
  return false;
}

class ReloadListeners : public ::testing::Test {
 protected:
  ListenerSpec listener(const std::string& name, const std::string& extra = {}) {
    ListenerSpec l;
    l.name = name;
    l.upstream = up_.address();
    l.extra = extra;
    return l;
  }
  void start(std::vector<ListenerSpec> listeners, const std::string& tail = {}) {
    ConfigSpec spec;
    spec.listeners = std::move(listeners);
    spec.workers = 2;  // every worker must take the change
    spec.tail = tail;
    proxy_ = std::make_unique<ProxyProcess>(config_toml(spec));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
  }
  ApiReply reload_with(std::vector<ListenerSpec> listeners, const std::string& tail = {}) {
    ConfigSpec spec;
    spec.listeners = std::move(listeners);
    spec.workers = 2;
    spec.tail = tail;
    replace_file(proxy_->config_path(), config_toml(spec));
    return api_send(admin_, "POST", "/v1/reload");
  }

  HttpUpstream up_;
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
};

TEST_F(ReloadListeners, AListenerAddedByAReloadAccepts) {
  start({listener("main")});
  EXPECT_FALSE(listed(admin_, "extra"));
  ApiReply added = reload_with({listener("main"), listener("extra")});
  ASSERT_EQ(added.status(), 200) << added;
  std::optional<Endpoint> extra = status_address(admin_, "extra");
  ASSERT_TRUE(extra) << api_get(admin_, "/v1/status");
  // Several connections, so that each worker's accept is exercised.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(proxy_get(*extra, "/x").status(), 200) << i;
  EXPECT_EQ(proxy_get(proxy_->listener("main"), "/x").status(), 200);
}

TEST_F(ReloadListeners, ARemovedListenerRefusesAndClosesItsOpenConnections) {
  start({listener("main"), listener("extra")});
  const Endpoint extra = proxy_->listener("extra");
  RawClient open(extra);
  ASSERT_TRUE(open.connected());
  HttpResponse first = open.request(get_request("/keep"));  // keep-alive: stays open
  ASSERT_EQ(first.status(), 200);

  ApiReply removed = reload_with({listener("main")});
  ASSERT_EQ(removed.status(), 200) << removed;
  // The reload answers once the listener's sockets are closed: refused at once.
  RawClient late(extra);
  EXPECT_FALSE(late.connected());
  EXPECT_EQ(late.connect_errno(), ECONNREFUSED);
  // The open connection is closed now, not at idle_timeout (60s).
  RawClient::Drained closed = open.read_until_close(Millis(5000));
  EXPECT_NE(closed.io, IoStatus::kTimeout) << "the open connection was left open";
  EXPECT_FALSE(listed(admin_, "extra"));
  EXPECT_EQ(proxy_get(proxy_->listener("main"), "/x").status(), 200);
}

TEST_F(ReloadListeners, ADisabledListenerRefusesAndEnablingItAcceptsAgain) {
  start({listener("main"), listener("extra")});
  const Endpoint before = proxy_->listener("extra");
  RawClient open(before);
  ASSERT_TRUE(open.connected());
  ASSERT_EQ(open.request(get_request("/keep")).status(), 200);

  ApiReply disabled = reload_with({listener("main"), listener("extra", "enabled = false")});
  ASSERT_EQ(disabled.status(), 200) << disabled;
  RawClient refused(before);
  EXPECT_EQ(refused.connect_errno(), ECONNREFUSED);
  EXPECT_NE(open.read_until_close(Millis(5000)).io, IoStatus::kTimeout);
  // Still listed, without an address.
  EXPECT_TRUE(listed(admin_, "extra"));
  EXPECT_FALSE(status_address(admin_, "extra"));

  ApiReply enabled = reload_with({listener("main"), listener("extra")});
  ASSERT_EQ(enabled.status(), 200) << enabled;
  std::optional<Endpoint> after = status_address(admin_, "extra");
  ASSERT_TRUE(after);
  EXPECT_EQ(proxy_get(*after, "/x").status(), 200);
}

TEST_F(ReloadListeners, AChangedListenAddressMovesTheListener) {
  start({listener("main")}, abort_experiment("first", "/first", 501));
  const Endpoint old_address = proxy_->listener("main");
  ListenerSpec moved = listener("main");
  moved.listen = "127.0.0.2:0";
  ApiReply changed = reload_with({moved}, abort_experiment("first", "/first", 501));
  ASSERT_EQ(changed.status(), 200) << changed;
  std::optional<Endpoint> now = status_address(admin_, "main");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->host, "127.0.0.2");
  // Experiments follow the listener by name to its new slot.
  EXPECT_EQ(proxy_get(*now, "/first").status(), 501);
  EXPECT_EQ(RawClient(old_address).connect_errno(), ECONNREFUSED);
}

TEST_F(ReloadListeners, AChangedProtocolAtTheSameAddressKeepsTheAddress) {
  // The fixed port of the running socket: the new tcp listener takes the socket over.
  start({listener("main")});
  const Endpoint address = proxy_->listener("main");
  ListenerSpec fixed = listener("main");
  fixed.listen = address.str();
  ASSERT_EQ(reload_with({fixed}).status(), 200);
  fixed.protocol = "tcp";
  ApiReply changed = reload_with({fixed});
  ASSERT_EQ(changed.status(), 200) << changed;
  // A tcp listener relays the bytes as they are: the upstream answers.
  EXPECT_EQ(proxy_get(address, "/x").status(), 200);
  ApiReply status = api_get(admin_, "/v1/status");
  EXPECT_EQ(status.json["listeners"][0].value("protocol", ""), "tcp") << status;
}

TEST_F(ReloadListeners, ABindFailureIsAReloadErrorAndKeepsTheRunningConfig) {
  start({listener("main")}, abort_experiment("first", "/first", 501));
  uint16_t taken_port = 0;
  Fd taken = listen_tcp(0, 8, &taken_port);  // someone else holds this port
  ListenerSpec extra = listener("extra");
  extra.listen = "127.0.0.1:" + std::to_string(taken_port);
  ApiReply failed =
      reload_with({listener("main"), extra}, abort_experiment("first", "/first", 502));
  EXPECT_EQ(failed.status(), 400) << failed;
  EXPECT_NE(failed.body().find(std::to_string(taken_port)), std::string::npos) << failed;
  // Nothing of it applied: the old experiment still answers, no listener "extra".
  EXPECT_EQ(proxy_get(proxy_->listener("main"), "/first").status(), 501);
  EXPECT_FALSE(listed(admin_, "extra"));
  ApiReply status = api_get(admin_, "/v1/status");
  EXPECT_EQ(status.json["last_reload"].value("result", ""), "error") << status;
}

}  // namespace
}  // namespace faultline::harness::admin_test
