// `faultline ctl add NAME --type KIND ...` (issue 12 item 6) against a live proxy: the
// experiment it creates has the effect a client sees, every fault type can be added with its
// flags, and bad flags fail with ctl's exit codes (2 usage, 1 the API refused).
#include <set>

#include "tests/harness/tcp_upstream.h"
#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

constexpr const char* kToken = "ctl-add-token";

std::string describe(const CommandResult& r) {
  return "exit " + (r.status ? r.status->str() : std::string("(timeout)")) + "\nstdout:\n" + r.out +
         "stderr:\n" + r.err;
}

int exit_code(const CommandResult& r) {
  return r.status && r.status->exited ? r.status->code : -1;
}

class CtlAdd : public ::testing::Test {
 protected:
  void SetUp() override {
    ConfigSpec spec;
    ListenerSpec http;
    http.upstream = up_.address();
    ListenerSpec tcp;
    tcp.name = "tcp";
    tcp.protocol = "tcp";
    tcp.upstream = tcp_up_.address();
    spec.listeners = {http, tcp};
    spec.admin_extra = std::string("token = \"") + kToken + "\"\n";
    proxy_ = std::make_unique<ProxyProcess>(config_toml(spec));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
  }
  CommandResult ctl(std::vector<std::string> args) { return run_ctl(admin_, args, kToken); }
  void add_ok(const std::vector<std::string>& args) {
    std::vector<std::string> line{"add"};
    line.insert(line.end(), args.begin(), args.end());
    const CommandResult r = ctl(line);
    ASSERT_EQ(exit_code(r), 0) << describe(r);
    EXPECT_NE(r.out.find("experiment " + args[0] + " created"), std::string::npos) << describe(r);
  }
  nlohmann::json definition(const std::string& name) {
    const ApiReply r = api_get(admin_, "/v1/experiments/" + name, kToken);
    EXPECT_EQ(r.status(), 200) << r;
    return r.json;
  }
  Endpoint main() const { return proxy_->listener("main"); }

  HttpUpstream up_;
  TcpUpstream tcp_up_{tcp_handlers::source(10000, /*after_first_byte=*/true)};
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
};

TEST_F(CtlAdd, LatencyDelaysTheRequests) {
  add_ok({"slow", "--type", "latency", "--delay", "400ms", "--listener", "main", "--percentage",
          "100", "--duration", "5m"});
  const nlohmann::json view = definition("slow");
  EXPECT_EQ(view["faults"][0]["delay"], "400ms") << view.dump();
  EXPECT_EQ(view["listeners"], nlohmann::json::array({"main"})) << view.dump();
  EXPECT_EQ(view["source"], "api");
  const auto r = proxy_get(main(), "/");
  EXPECT_EQ(r.status(), 200) << r;
  EXPECT_GE(r.elapsed.count(), 400);
}

TEST_F(CtlAdd, AbortWithBodyHeadersAndMatch) {
  add_ok({"errors", "--type", "abort", "--status", "503", "--body", "down", "--header",
          "retry-after=7", "--path", "/api/*", "--method", "GET", "--ttl", "10m", "--listener",
          "main"});
  auto r = proxy_get(main(), "/api/cart");
  EXPECT_EQ(r.status(), 503) << r;
  EXPECT_EQ(r.body, "down");
  ASSERT_NE(r.head.find("retry-after"), nullptr);
  EXPECT_EQ(*r.head.find("retry-after"), "7");
  EXPECT_EQ(proxy_get(main(), "/other").status(), 200) << "--path did not narrow the match";
}

// SPEC §8 over HTTP/1.1: a gRPC call gets grpc-status in the headers of an empty 200.
TEST_F(CtlAdd, GrpcAbortAnswersGrpcCalls) {
  add_ok({"grpc-down", "--type", "abort", "--grpc-status", "14", "--grpc-message", "try later",
          "--path", "/pkg.Svc/*", "--listener", "main"});
  RawClient client(main());
  const auto r = client.request(make_request(
      "POST", "/pkg.Svc/Call", {{"Content-Type", "application/grpc"}, {"TE", "trailers"}},
      std::string("\0\0\0\0\0", 5)));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  ASSERT_TRUE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(*r.head.find("grpc-status"), "14");
  EXPECT_EQ(up_.requests_seen(), 0u);
}

TEST_F(CtlAdd, ResetAndStallEndTheRequest) {
  add_ok({"resets", "--type", "reset", "--phase", "request", "--path", "/reset", "--listener",
          "main"});
  auto r = proxy_get(main(), "/reset");
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
  add_ok({"stalls", "--type", "stall", "--stall-for", "300ms", "--path", "/stall", "--listener",
          "main"});
  r = proxy_get(main(), "/stall");
  EXPECT_FALSE(r.complete()) << r;
  EXPECT_GE(r.elapsed.count(), 300);
}

TEST_F(CtlAdd, TcpLimitDataClosesAfterTheBytes) {
  add_ok({"cut", "--type", "limit_data", "--bytes", "1000", "--listener", "tcp", "--direction",
          "downstream"});
  RawClient client(proxy_->listener("tcp"));
  ASSERT_EQ(client.send("g"), IoStatus::kOk);
  const auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kOk) << to_string(d.io);
  EXPECT_EQ(d.bytes.size(), 1000u);
}

// reset phase data (Toxiproxy's reset_peer): the upstream's bytes are dropped and the client
// is reset --delay after the first of them.
TEST_F(CtlAdd, TcpResetOnDataResetsAfterTheDelay) {
  add_ok({"peer-reset", "--type", "reset", "--phase", "data", "--delay", "300ms", "--direction",
          "downstream", "--listener", "tcp"});
  RawClient client(proxy_->listener("tcp"));
  const auto start = Clock::now();
  ASSERT_EQ(client.send("g"), IoStatus::kOk);
  const auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kReset) << to_string(d.io);
  EXPECT_EQ(d.bytes.size(), 0u);
  EXPECT_GE(std::chrono::duration_cast<Millis>(Clock::now() - start).count(), 300);
}

// Every fault type of the catalogue can be created with its own flags.
TEST_F(CtlAdd, EveryFaultTypeHasItsFlags) {
  const std::vector<std::vector<std::string>> every = {
      {"k-latency", "--type", "latency", "--delay", "1ms", "--jitter", "1ms", "--distribution",
       "normal", "--phase", "response", "--listener", "main"},
      {"k-abort", "--type", "abort", "--status", "418", "--path", "/never", "--listener", "main"},
      {"k-reset", "--type", "reset", "--phase", "response", "--after-bytes", "10", "--path",
       "/never", "--listener", "main"},
      {"k-stall", "--type", "stall", "--stall-for", "1s", "--path", "/never", "--listener", "main"},
      {"k-bandwidth", "--type", "bandwidth", "--rate", "1MiB/s", "--direction", "upstream",
       "--path", "/never", "--listener", "main"},
      {"k-slow-close", "--type", "slow_close", "--delay", "1ms", "--path", "/never", "--listener",
       "main"},
      {"k-cpu", "--type", "cpu", "--cores", "0.1", "--load", "1", "--paused"},
      {"k-memory", "--type", "memory", "--size", "1MiB", "--ramp", "1s", "--paused"},
      {"k-blackhole", "--type", "blackhole", "--close-after", "1s", "--direction", "upstream",
       "--listener", "tcp", "--match-percentage", "0"},
      {"k-limit-data", "--type", "limit_data", "--bytes", "5", "--listener", "tcp",
       "--match-percentage", "0"},
      {"k-goaway", "--type", "goaway", "--code", "enhance_your_calm", "--graceful", "false",
       "--listener", "main", "--match-percentage", "0"},
      {"k-slice", "--type", "slice", "--average-size", "10", "--size-variation", "2", "--delay",
       "1ms", "--listener", "tcp", "--match-percentage", "0"},
  };
  std::set<std::string> types;
  for (const auto& args : every) {
    add_ok(args);
    types.insert(args[2]);
  }
  // Keys without a flag of their own go through --set.
  add_ok({"k-set", "--type", "latency", "--set", "delay=2ms", "--set", "phase=request",
          "--listener", "main", "--dry-run"});
  EXPECT_EQ(definition("k-set")["faults"][0]["delay"], "2ms");
  EXPECT_EQ(definition("k-set")["dry_run"], true);
  EXPECT_EQ(definition("k-cpu")["faults"][0]["cores"], 0.1);
  EXPECT_EQ(definition("k-reset")["faults"][0]["after_bytes"], 10);
  EXPECT_EQ(definition("k-stall")["faults"][0]["duration"], "1s");
  EXPECT_EQ(definition("k-goaway")["faults"][0]["graceful"], false);
  // `add --help` names the types --type takes.
  const CommandResult help = ctl({"add", "--help"});
  EXPECT_EQ(exit_code(help), 0) << describe(help);
  for (const std::string& type : types)
    EXPECT_NE(help.out.find(type), std::string::npos) << type << " not in --help";
}

TEST_F(CtlAdd, ExistingNamesAre409UnlessReplace) {
  add_ok({"twice", "--type", "abort", "--status", "500", "--path", "/twice", "--listener", "main"});
  CommandResult again =
      ctl({"add", "twice", "--type", "abort", "--status", "502", "--listener", "main"});
  EXPECT_EQ(exit_code(again), 1) << describe(again);
  EXPECT_NE(again.err.find("409"), std::string::npos) << describe(again);
  EXPECT_EQ(proxy_get(main(), "/twice").status(), 500);
  CommandResult replaced = ctl({"add", "twice", "--type", "abort", "--status", "502", "--path",
                                "/twice", "--replace", "--listener", "main"});
  EXPECT_EQ(exit_code(replaced), 0) << describe(replaced);
  EXPECT_NE(replaced.out.find("experiment twice replaced"), std::string::npos)
      << describe(replaced);
  EXPECT_EQ(proxy_get(main(), "/twice").status(), 502);
}

TEST_F(CtlAdd, BadFlagsFailWithCtlsExitCodes) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"add", "x"}, 2, "--type"},
      {{"add", "x", "--type", "latncy", "--delay", "1s"}, 2, "unknown fault type \"latncy\""},
      {{"add", "x", "--type", "abort", "--status", "five"}, 2, "--status expects a number"},
      {{"add", "x", "--type", "goaway", "--graceful", "yes"},
       2,
       "--graceful expects true or false"},
      {{"add", "x", "--type", "latency", "--dealy", "1s"}, 2, "unknown option \"--dealy\""},
      {{"add", "x", "--type", "abort", "--header", "retry-after"},
       2,
       "--header expects NAME=VALUE"},
      {{"add", "--type", "latency", "--delay", "1s"}, 2, "add needs NAME"},
      // The API refuses what the server validates: exit 1, naming the field.
      {{"add", "x", "--type", "latency", "--delay", "soon"}, 1, "faults[0].delay"},
      {{"add", "x", "--type", "abort", "--status", "700", "--listener", "main"},
       1,
       "faults[0].status"},
      {{"add", "x", "--type", "latency", "--delay", "1s", "--listener", "nope"}, 1, "listeners"},
      {{"add", "Bad_Name", "--type", "latency", "--delay", "1s"}, 1, "name"},
  };
  for (const Case& c : cases) {
    const CommandResult r = ctl(c.args);
    EXPECT_EQ(exit_code(r), c.code) << describe(r);
    EXPECT_NE(r.err.find(c.says), std::string::npos) << "expected \"" << c.says << "\"\n"
                                                     << describe(r);
  }
  // Nothing was created by the failures.
  EXPECT_EQ(api_get(admin_, "/v1/experiments/x", kToken).status(), 404);
  // --json: the error is JSON on stdout, with the exit code.
  const CommandResult json = ctl({"--json", "add", "x", "--type", "latency", "--delay", "soon"});
  EXPECT_EQ(exit_code(json), 1) << describe(json);
  const nlohmann::json j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << describe(json);
  EXPECT_EQ(j["field"], "faults[0].delay") << describe(json);
  EXPECT_EQ(j["exit_code"], 1);
}

}  // namespace
}  // namespace faultline::harness::admin_test
