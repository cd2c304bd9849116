// The config file loader: the SPEC example, defaults, and a table of bad configs with the
// exact "file:line:col: path: message" lines users see from `faultline check`.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "config/loader.h"

namespace faultline::config {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> errors_of(const std::string& toml) {
  Diagnostics diags("test.toml");
  auto config = load_string(toml, "test.toml", diags);
  EXPECT_EQ(config.has_value(), diags.ok());
  std::vector<std::string> lines;
  for (const auto& d : diags.items()) lines.push_back(d.format());
  return lines;
}

Config load_ok(const std::string& toml) {
  Diagnostics diags("test.toml");
  auto config = load_string(toml, "test.toml", diags);
  for (const auto& d : diags.items()) ADD_FAILURE() << d.format();
  return config.value_or(Config{});
}

// SPEC §2, verbatim.
constexpr const char* kSpecExample = R"toml([admin]
listen = "127.0.0.1:9901"
token = ""                 # or token_file = "/var/run/secrets/faultline/token"; empty = no auth

[log]
level = "info"             # trace|debug|info|warn|error
format = "json"            # json|text
access_log = true

[runtime]
workers = 0                # event-loop threads; 0 = one per core
drain_timeout = "10s"
seed = 0                   # 0 = random; any other value makes percentages reproducible

[safety]
exclude_paths = ["/healthz", "/readyz", "/livez", "/metrics"]  # never faulted
max_delay = "30s"            # cap for any injected delay or stall
default_duration = "15m"     # TTL for experiments created without one through the API
max_duration = "4h"          # no experiment may run longer
max_cpu_cores = 1            # cap for CPU stress

[triggers.headers]
enabled = false            # per-request header faults are opt-in
token = ""                 # if set, x-chaos-token must match or the headers are ignored
allow_from = []            # CIDRs allowed to use header triggers; empty = any
strip = true               # remove x-chaos-* request headers before forwarding
annotate = true            # add x-chaos-injected to responses that were faulted

[[listeners]]
name = "inbound"
listen = "0.0.0.0:15001"
upstream = "127.0.0.1:8080"
protocol = "http"          # http|tcp
connect_timeout = "2s"
response_timeout = "30s"   # upstream must start its response within this; else 504
idle_timeout = "60s"
header_timeout = "10s"
max_connections = 10000
max_header_bytes = "64KiB"

[[experiments]]
name = "checkout-latency"        # [a-z0-9-], unique
description = "p99 budget check"
listeners = ["inbound"]          # default: every listener
trigger = "always"               # always | header (only requests with x-chaos-experiment: NAME)
duration = "30m"                 # optional in the file; counted from (re)load
max_active = 0                   # cap on requests being faulted at once by this experiment; 0 = none
dry_run = false                  # true: match and count, inject nothing (rehearse the blast radius)
[experiments.match]
paths = ["/api/checkout", "/api/cart/*"]   # glob, * matches any run of characters
methods = ["POST"]
headers = { "x-user-tier" = "beta" }      # exact value, or "*" for present
sources = ["10.0.0.0/8"]                  # client CIDRs
percentage = 25.0                         # of matching requests, 0..100, fractions allowed
sample_by = "random"                      # random | trace (hash of the W3C traceparent trace-id,
                                          # independent of runtime.seed, so every hop and
                                          # every replica decides alike for one trace) |
                                          # "header:NAME" (hash of that header's value: sticky per user)
[[experiments.faults]]
type = "latency"
delay = "500ms"
jitter = "100ms"                 # uniform ± around delay
phase = "request"                # request: before forwarding; response: before relaying the response
percentage = 100.0
[[experiments.faults]]
type = "abort"
status = 503
body = "injected by faultline"
headers = { "retry-after" = "1" }
percentage = 10.0
)toml";

TEST(LoadConfig, SpecExampleLoadsCleanly) {
  Config config = load_ok(kSpecExample);
  EXPECT_EQ(config.file, "test.toml");
  EXPECT_EQ(config.admin.listen, (HostPort{"127.0.0.1", 9901}));
  EXPECT_EQ(config.admin.token, "");
  EXPECT_EQ(config.log.level, LogLevel::kInfo);
  EXPECT_EQ(config.log.format, LogFormat::kJson);
  EXPECT_EQ(config.runtime.drain_timeout, 10s);
  EXPECT_EQ(config.safety.exclude_paths.size(), 4u);
  EXPECT_EQ(config.safety.max_duration, 4h);
  EXPECT_EQ(config.safety.default_duration, 15min);
  EXPECT_EQ(config.safety.max_cpu_cores, 1.0);
  EXPECT_FALSE(config.header_triggers.enabled);

  ASSERT_EQ(config.listeners.size(), 1u);
  const ListenerConfig& listener = config.listeners[0];
  EXPECT_EQ(listener.name, "inbound");
  EXPECT_EQ(listener.listen, (HostPort{"0.0.0.0", 15001}));
  EXPECT_EQ(listener.upstream, (HostPort{"127.0.0.1", 8080}));
  EXPECT_EQ(listener.protocol, Protocol::kHttp);
  EXPECT_EQ(listener.max_header_bytes, ByteSize{65536});
  EXPECT_EQ(listener.pos.line, 29);

  ASSERT_EQ(config.experiments.size(), 1u);
  const ExperimentConfig& experiment = config.experiments[0];
  EXPECT_EQ(experiment.name, "checkout-latency");
  EXPECT_EQ(experiment.path, "experiments[0]");
  EXPECT_EQ(experiment.listeners, std::vector<std::string>{"inbound"});
  EXPECT_EQ(experiment.duration, std::optional<Duration>(30min));
  EXPECT_EQ(experiment.match.paths.size(), 2u);
  EXPECT_EQ(experiment.match.methods, std::vector<std::string>{"POST"});
  ASSERT_EQ(experiment.match.headers.size(), 1u);
  EXPECT_EQ(experiment.match.headers[0].first, "x-user-tier");
  EXPECT_EQ(experiment.match.headers[0].second, "beta");
  ASSERT_EQ(experiment.match.sources.size(), 1u);
  EXPECT_EQ(format_cidr(experiment.match.sources[0]), "10.0.0.0/8");
  EXPECT_EQ(experiment.match.percentage, 25.0);
  EXPECT_EQ(experiment.match.sample_by.kind, SampleBy::Kind::kRandom);

  ASSERT_EQ(experiment.faults.size(), 2u);
  EXPECT_EQ(experiment.faults[0].type, "latency");
  EXPECT_EQ(experiment.faults[0].path, "experiments[0].faults[0]");
  EXPECT_EQ(experiment.faults[1].type, "abort");
  EXPECT_EQ(experiment.faults[1].path, "experiments[0].faults[1]");
  // The raw table keeps every key in written order, with positions for the fault kinds.
  const Node& abort = experiment.faults[1].params;
  ASSERT_EQ(abort.fields.size(), 5u);
  EXPECT_EQ(abort.fields[0].first, "type");
  EXPECT_EQ(abort.fields[1].first, "status");
  EXPECT_EQ(abort.find("status")->integer, 503);
  EXPECT_EQ(abort.find("status")->pos.line, 67);
  EXPECT_EQ(abort.find("status")->pos.column, 1);
  EXPECT_EQ(abort.find("headers")->find("retry-after")->string, "1");
}

TEST(LoadConfig, EmptyFileGetsDefaults) {
  Config config = load_ok("");
  EXPECT_EQ(config.admin.listen, (HostPort{"127.0.0.1", 9901}));
  EXPECT_EQ(config.log.level, LogLevel::kInfo);
  EXPECT_TRUE(config.log.access_log);
  EXPECT_EQ(config.runtime.workers, 0u);
  EXPECT_EQ(config.safety.max_delay, 30s);
  EXPECT_EQ(config.safety.exclude_paths,
            (std::vector<std::string>{"/healthz", "/readyz", "/livez", "/metrics"}));
  EXPECT_TRUE(config.header_triggers.strip);
  EXPECT_TRUE(config.listeners.empty());
  EXPECT_TRUE(config.experiments.empty());
}

// SPEC §10.1: off by default; the prefix is kept in lower case for matching.
TEST(LoadConfig, EnvoyHeaders) {
  const Config defaults = load_ok("");
  EXPECT_FALSE(defaults.envoy_headers.enabled);
  EXPECT_EQ(defaults.envoy_headers.prefix, "x-envoy");
  EXPECT_EQ(defaults.envoy_headers.abort_percentage, 100.0);
  EXPECT_TRUE(defaults.envoy_headers.strip);
  const Config config = load_ok(
      "[triggers.envoy_headers]\nenabled = true\nprefix = \"X-Mesh\"\nabort_percentage = 12.5\n"
      "delay_percentage = 0\nthroughput_percentage = 50\nstrip = false\n");
  EXPECT_TRUE(config.envoy_headers.enabled);
  EXPECT_EQ(config.envoy_headers.prefix, "x-mesh");
  EXPECT_EQ(config.envoy_headers.abort_percentage, 12.5);
  EXPECT_EQ(config.envoy_headers.delay_percentage, 0.0);
  EXPECT_EQ(config.envoy_headers.throughput_percentage, 50.0);
  EXPECT_FALSE(config.envoy_headers.strip);
  EXPECT_FALSE(config.header_triggers.enabled);
}

TEST(LoadConfig, ListenerAndExperimentDefaults) {
  Config config = load_ok(R"(
[[listeners]]
name = "web"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:8080"

[[experiments]]
name = "slow"
[[experiments.faults]]
type = "latency"
delay = "1s"
)");
  ASSERT_EQ(config.listeners.size(), 1u);
  const ListenerConfig& listener = config.listeners[0];
  EXPECT_EQ(listener.protocol, Protocol::kHttp);
  EXPECT_EQ(listener.connect_timeout, 2s);
  EXPECT_EQ(listener.response_timeout, 30s);
  EXPECT_EQ(listener.idle_timeout, 60s);
  EXPECT_EQ(listener.header_timeout, 10s);
  EXPECT_EQ(listener.max_connections, 10000u);
  EXPECT_EQ(listener.max_header_bytes, ByteSize{64 * 1024});
  ASSERT_EQ(config.experiments.size(), 1u);
  const ExperimentConfig& experiment = config.experiments[0];
  EXPECT_TRUE(experiment.listeners.empty());
  EXPECT_EQ(experiment.trigger, Trigger::kAlways);
  EXPECT_FALSE(experiment.duration.has_value());
  EXPECT_EQ(experiment.max_active, 0u);
  EXPECT_FALSE(experiment.dry_run);
  EXPECT_EQ(experiment.match.percentage, 100.0);
  EXPECT_TRUE(experiment.match.paths.empty());
  EXPECT_EQ(experiment.pos.line, 7);
}

TEST(LoadConfig, NormalizesMatchFields) {
  Config config = load_ok(R"(
[[experiments]]
name = "n"
trigger = "header"
faults = [{ type = "abort", status = 500 }]
[experiments.match]
methods = ["post", "Get"]
headers = { "X-User-Tier" = "beta", "X-Debug" = "*" }
sample_by = "header:X-User"
sources = ["::1", "192.168.0.0/16"]
percentage = 12.5
)");
  ASSERT_EQ(config.experiments.size(), 1u);
  const MatchConfig& match = config.experiments[0].match;
  EXPECT_EQ(config.experiments[0].trigger, Trigger::kHeader);
  EXPECT_EQ(match.methods, (std::vector<std::string>{"POST", "GET"}));
  ASSERT_EQ(match.headers.size(), 2u);
  EXPECT_EQ(match.headers[0], (std::pair<std::string, std::string>{"x-user-tier", "beta"}));
  EXPECT_EQ(match.headers[1], (std::pair<std::string, std::string>{"x-debug", "*"}));
  EXPECT_EQ(match.sample_by.kind, SampleBy::Kind::kHeader);
  EXPECT_EQ(match.sample_by.header, "x-user");
  EXPECT_EQ(match.sources.size(), 2u);
  EXPECT_EQ(match.percentage, 12.5);
  ASSERT_EQ(config.experiments[0].faults.size(), 1u);
  EXPECT_EQ(config.experiments[0].faults[0].type, "abort");
}

struct BadConfig {
  const char* name;
  std::string toml;
  std::vector<std::string> errors;
};

class BadConfigTest : public testing::TestWithParam<BadConfig> {};

void PrintTo(const BadConfig& c, std::ostream* os) {
  *os << c.name;
}

TEST_P(BadConfigTest, ReportsEveryErrorWithPosition) {
  EXPECT_EQ(errors_of(GetParam().toml), GetParam().errors);
}

const std::string kListener = R"([[listeners]]
name = "web"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:8080"
)";

const BadConfig kBadConfigs[] = {
    {"syntax_error",
     "[admin\nlisten = 1\n",
     {"test.toml:1:7: Error while parsing table header: expected ']', saw '\\n'"}},
    {"unknown_top_level_key",
     "[admn]\nlisten = \"x\"\n",
     {"test.toml:1:2: admn: unknown key (did you mean \"admin\"?)"}},
    {"unknown_key_no_suggestion", "zzz = 1\n", {"test.toml:1:1: zzz: unknown key"}},
    {"section_not_a_table",
     "log = \"debug\"\n",
     {"test.toml:1:1: log: expected a table, got string"}},
    {"admin_bad_listen",
     "[admin]\nlisten = \"127.0.0.1\"\n",
     {"test.toml:2:1: admin.listen: invalid address \"127.0.0.1\": expected \"host:port\""}},
    {"admin_listen_wrong_type",
     "[admin]\nlisten = 9901\n",
     {"test.toml:2:1: admin.listen: expected an address string like \"127.0.0.1:8080\", got "
      "integer"}},
    {"admin_hosts_with_scheme_or_port",
     "[admin]\nhosts = [\"ok.example\", \"http://x.example\", \"y.example:9901\", \"[::1]\"]\n",
     {"test.toml:2:24: admin.hosts[1]: expected a host name or address without scheme or port "
      "(like \"faultline.example.com\"), got \"http://x.example\"",
      "test.toml:2:44: admin.hosts[2]: expected a host name or address without scheme or port "
      "(like \"faultline.example.com\"), got \"y.example:9901\""}},
    {"admin_hosts_wrong_type",
     "[admin]\nhosts = \"one.example\"\n",
     {"test.toml:2:1: admin.hosts: expected an array of strings, got string"}},
    {"admin_token_and_file",
     "[admin]\ntoken = \"a\"\ntoken_file = \"/x\"\n",
     {"test.toml:3:1: admin.token_file: set either token or token_file, not both"}},
    {"admin_token_file_missing",
     "[admin]\ntoken_file = \"/nonexistent/faultline-token\"\n",
     {"test.toml:2:1: admin.token_file: cannot read \"/nonexistent/faultline-token\": No such "
      "file or directory"}},
    {"tls_old_version_and_unknown_alpn",
     kListener + "[listeners.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
                 "min_version = \"1.1\"\nalpn = [\"spdy/3\"]\n",
     {"test.toml:8:1: listeners[0].tls.min_version: expected one of 1.2|1.3, got \"1.1\"",
      "test.toml:9:1: listeners[0].tls.alpn: expected protocols from h2, http/1.1; got "
      "\"spdy/3\""}},
    {"upstream_tls_cert_without_key",
     kListener + "[listeners.upstream_tls]\nenabled = true\ncert_file = \"c.pem\"\n",
     {"test.toml:7:1: listeners[0].upstream_tls.cert_file: cert_file and key_file go together "
      "(the client certificate and its key)"}},
    {"admin_token_file_empty_path",
     "[admin]\ntoken_file = \"\"\n",
     {"test.toml:2:1: admin.token_file: must not be empty (leave it out for no auth)"}},
    {"log_enums",
     "[log]\nlevel = \"verbose\"\nformat = \"xml\"\naccess_log = \"yes\"\n",
     {"test.toml:2:1: log.level: expected one of trace|debug|info|warn|error, got \"verbose\"",
      "test.toml:3:1: log.format: expected one of json|text, got \"xml\"",
      "test.toml:4:1: log.access_log: expected true or false, got string"}},
    {"runtime_ranges",
     "[runtime]\nworkers = 257\ndrain_timeout = 10\nseed = -1\n",
     {"test.toml:2:1: runtime.workers: must be between 0 and 256",
      "test.toml:3:1: runtime.drain_timeout: expected a duration string like \"250ms\", got "
      "integer",
      "test.toml:4:1: runtime.seed: must be between 0 and 9223372036854775807"}},
    {"runtime_workers_float",
     "[runtime]\nworkers = 1.5\n",
     {"test.toml:2:1: runtime.workers: expected an integer, got float"}},
    {"safety_rules",
     "[safety]\nexclude_paths = [\"/ok\", \"healthz\", 3]\nmax_delay = \"0s\"\n"
     "default_duration = \"5h\"\nmax_cpu_cores = 65\n",
     {"test.toml:2:36: safety.exclude_paths[2]: expected a string, got integer",
      "test.toml:3:1: safety.max_delay: must be greater than 0",
      "test.toml:4:1: safety.default_duration: 5h exceeds max_duration (4h)",
      "test.toml:5:1: safety.max_cpu_cores: must be between 0 and 64"}},
    {"safety_exclude_path_slash",
     "[safety]\nexclude_paths = [\"/ok\", \"healthz\"]\n",
     {"test.toml:2:25: safety.exclude_paths[1]: must start with \"/\""}},
    {"safety_zero_cores_and_bad_duration",
     "[safety]\nmax_cpu_cores = 0\nmax_duration = \"4 h\"\n",
     {"test.toml:2:1: safety.max_cpu_cores: must be greater than 0",
      "test.toml:3:1: safety.max_duration: invalid duration \"4 h\": must not contain spaces"}},
    {"triggers",
     "[triggers]\nheader = {}\n[triggers.headers]\nenabled = 1\nallow_from = "
     "[\"10.0.0.0/8\", \"10.1.0.0/8\"]\nstrip = true\nannotat = false\n",
     {"test.toml:2:1: triggers.header: unknown key (did you mean \"headers\"?)",
      "test.toml:4:1: triggers.headers.enabled: expected true or false, got integer",
      "test.toml:5:29: triggers.headers.allow_from[1]: invalid CIDR \"10.1.0.0/8\": host bits "
      "are set below the prefix; did you mean \"10.0.0.0/8\"?",
      "test.toml:7:1: triggers.headers.annotat: unknown key (did you mean \"annotate\"?)"}},
    {"envoy_headers",
     "[triggers.envoy_headers]\nprefix = \"x-envoy-\"\nabort_percentage = 101.0\n"
     "delay_percentage = -1\nstrp = false\n",
     {"test.toml:2:1: triggers.envoy_headers.prefix: expected a header name prefix like "
      "\"x-envoy\" (letters, digits, '-' and '_', not ending in '-'), got \"x-envoy-\"",
      "test.toml:3:1: triggers.envoy_headers.abort_percentage: must be between 0 and 100",
      "test.toml:4:1: triggers.envoy_headers.delay_percentage: must be between 0 and 100",
      "test.toml:5:1: triggers.envoy_headers.strp: unknown key (did you mean \"strip\"?)"}},
    {"listeners_not_array",
     "listeners = \"web\"\n",
     {"test.toml:1:1: listeners: expected an array of tables ([[listeners]]), got string"}},
    {"listener_missing_keys",
     "[[listeners]]\nname = \"web\"\n",
     {"test.toml:1:1: listeners[0].listen: missing required key",
      "test.toml:1:1: listeners[0].upstream: missing required key"}},
    {"listener_bad_fields",
     "[[listeners]]\nname = \"Web_1\"\nlisten = \"0.0.0.0:99999\"\nupstream = \"[::1]\"\n"
     "protocol = \"udp\"\nconect_timeout = \"1s\"\nidle_timeout = \"0s\"\nmax_connections = 0\n"
     "max_header_bytes = \"512B\"\n",
     {"test.toml:2:1: listeners[0].name: must be non-empty and use only a-z, 0-9 and '-'",
      "test.toml:3:1: listeners[0].listen: invalid address \"0.0.0.0:99999\": port must be a "
      "number 0..65535",
      "test.toml:4:1: listeners[0].upstream: invalid address \"[::1]\": expected \"[ipv6]:port\"",
      "test.toml:5:1: listeners[0].protocol: expected one of http|tcp, got \"udp\"",
      "test.toml:6:1: listeners[0].conect_timeout: unknown key (did you mean "
      "\"connect_timeout\"?)",
      "test.toml:7:1: listeners[0].idle_timeout: must be greater than 0",
      "test.toml:8:1: listeners[0].max_connections: must be between 1 and 4294967295",
      "test.toml:9:1: listeners[0].max_header_bytes: must be between 1KiB and 1MiB"}},
    {"listener_header_bytes_too_big",
     kListener + std::string("max_header_bytes = \"2MiB\"\nresponse_timeout = \"1x\"\n"),
     {"test.toml:5:1: listeners[0].max_header_bytes: must be between 1KiB and 1MiB",
      "test.toml:6:1: listeners[0].response_timeout: invalid duration \"1x\": unknown unit "
      "\"x\" (use ms, s, m or h)"}},
    // A tcp stream has no request or response: HTTP-only keys are refused when written.
    {"listener_http_keys_on_tcp",
     "[[listeners]]\nname = \"raw\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n"
     "protocol = \"tcp\"\nidle_timeout = \"5m\"\nupstream_idle_timeout = \"5s\"\n"
     "forwarded_for = true\n",
     {"test.toml:7:1: listeners[0].upstream_idle_timeout: applies to http listeners only: a tcp "
      "listener relays bytes, with no request or response (idle_timeout bounds a silent tcp "
      "connection)",
      "test.toml:8:1: listeners[0].forwarded_for: applies to http listeners only: a tcp "
      "listener relays bytes, with no request or response (idle_timeout bounds a silent tcp "
      "connection)"}},
    {"listener_duplicates",
     "[[listeners]]\nname = \"a\"\nlisten = \"127.0.0.1:15001\"\nupstream = \"127.0.0.1:1\"\n"
     "[[listeners]]\nname = \"a\"\nlisten = \"127.0.0.1:15001\"\nupstream = \"127.0.0.1:1\"\n"
     "[[listeners]]\nname = \"c\"\nlisten = \"127.0.0.1:9901\"\nupstream = \"127.0.0.1:1\"\n",
     {"test.toml:6:1: listeners[1].name: duplicate listener name \"a\"",
      "test.toml:7:1: listeners[1].listen: 127.0.0.1:15001 is already used by listener \"a\"",
      "test.toml:11:1: listeners[2].listen: 127.0.0.1:9901 is already used by admin.listen"}},
    {"listener_empty_name",
     "[[listeners]]\nname = \"\"\nlisten = \"a:1\"\nupstream = \"b:2\"\n",
     {"test.toml:2:1: listeners[0].name: must be non-empty and use only a-z, 0-9 and '-'"}},
    {"experiments_not_array",
     "[experiments]\nname = \"x\"\n",
     {"test.toml:1:2: experiments: expected an array of tables ([[experiments]]), got table"}},
    {"experiment_missing_name_and_faults",
     "[[experiments]]\ndescription = \"d\"\n",
     {"test.toml:1:1: experiments[0].name: missing required key",
      "test.toml:1:1: experiments[0].faults: missing required key"}},
    {"experiment_bad_fields",
     kListener +
         std::string("[[experiments]]\nname = \"Bad Name\"\nlisteners = [\"web\", \"wbe\"]\n"
                     "trigger = \"sometimes\"\nduration = \"5h\"\nmax_active = -1\n"
                     "dry_run = \"no\"\nfaults = []\n"),
     {"test.toml:6:1: experiments[0].name: must be non-empty and use only a-z, 0-9 and '-'",
      "test.toml:7:21: experiments[0].listeners[1]: no listener named \"wbe\" (did you mean "
      "\"web\"?)",
      "test.toml:8:1: experiments[0].trigger: expected one of always|header, got \"sometimes\"",
      "test.toml:9:1: experiments[0].duration: 5h exceeds safety.max_duration (4h)",
      "test.toml:10:1: experiments[0].max_active: must be between 0 and 4294967295",
      "test.toml:11:1: experiments[0].dry_run: expected true or false, got string",
      "test.toml:12:1: experiments[0].faults: an experiment needs at least one fault"}},
    {"experiment_on_tcp_listener",
     "[[listeners]]\nname = \"raw\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n"
     "protocol = \"tcp\"\n[[experiments]]\nname = \"t\"\nlisteners = [\"raw\"]\n"
     "faults = [{type = \"latency\"}]\n[experiments.match]\nmethods = [\"GET\"]\n",
     {"test.toml:8:14: experiments[0].listeners[0]: listener \"raw\" is tcp, but match.methods "
      "need http requests"}},
    {"experiment_zero_duration",
     "[[experiments]]\nname = \"z\"\nduration = \"0s\"\nfaults = [{type = \"abort\"}]\n",
     {"test.toml:3:1: experiments[0].duration: must be greater than 0"}},
    {"experiment_duplicate_name",
     "[[experiments]]\nname = \"x\"\nfaults = [{type = \"abort\"}]\n"
     "[[experiments]]\nname = \"x\"\nfaults = [{type = \"abort\"}]\n",
     {"test.toml:5:1: experiments[1].name: duplicate experiment name \"x\""}},
    {"experiment_match_errors",
     "[[experiments]]\nname = \"m\"\nfaults = [{type = \"abort\"}]\n[experiments.match]\n"
     "paths = [\"api/*\"]\nmethods = [\"GE T\"]\nheaders = { \"x-a\" = 1, \"bad header\" = \"v\" "
     "}\n"
     "sources = [\"10.0.0.0/33\"]\npercentage = 101\nsample_by = \"header:\"\npath = []\n",
     {"test.toml:5:10: experiments[0].match.paths[0]: must start with \"/\" (a path glob like "
      "\"/api/*\")",
      "test.toml:6:12: experiments[0].match.methods[0]: not an HTTP method",
      "test.toml:7:13: experiments[0].match.headers.x-a: expected a string, got integer",
      "test.toml:7:24: experiments[0].match.headers.bad header: not a valid header name",
      "test.toml:8:12: experiments[0].match.sources[0]: invalid CIDR \"10.0.0.0/33\": prefix "
      "length must be 0..32",
      "test.toml:9:1: experiments[0].match.percentage: must be between 0 and 100",
      "test.toml:10:1: experiments[0].match.sample_by: expected one of random|trace|header:NAME, "
      "got \"header:\"",
      "test.toml:11:1: experiments[0].match.path: unknown key (did you mean \"paths\"?)"}},
    {"experiment_match_not_table",
     "[[experiments]]\nname = \"m\"\nmatch = \"all\"\nfaults = [{type = \"abort\"}]\n",
     {"test.toml:3:1: experiments[0].match: expected a table, got string"}},
    {"fault_shapes",
     "[[experiments]]\nname = \"f\"\nfaults = [1, {delay = \"1s\"}, {type = 5}, {type = \"\"}]\n",
     {"test.toml:3:11: experiments[0].faults[0]: expected a table, got integer",
      "test.toml:3:14: experiments[0].faults[1].type: missing required key",
      "test.toml:3:31: experiments[0].faults[2].type: expected a string, got integer",
      "test.toml:3:43: experiments[0].faults[3].type: must not be empty"}},
    {"faults_not_array",
     "[[experiments]]\nname = \"f\"\nfaults = { type = \"abort\" }\n",
     {"test.toml:3:1: experiments[0].faults: expected an array of fault tables, got table"}},
    // SPEC §7: the halt is written to state_dir when it is needed most; refuse a bad one now.
    {"state_dir_missing",
     "[runtime]\nstate_dir = \"/nonexistent/faultline-state\"\n",
     {"test.toml:2:1: runtime.state_dir: \"/nonexistent/faultline-state\": No such file or "
      "directory"}},
    {"state_dir_not_a_directory",
     "[runtime]\nstate_dir = \"/dev/null\"\n",
     {"test.toml:2:1: runtime.state_dir: \"/dev/null\" is not a directory"}},
    {"state_dir_empty",
     "[runtime]\nstate_dir = \"\"\n",
     {"test.toml:2:1: runtime.state_dir: must not be empty (leave it out to keep the halt in "
      "memory)"}},
    {"experiment_start_unknown",
     "[[experiments]]\nname = \"s\"\nstart = \"later\"\nfaults = [{type = \"abort\"}]\n",
     {"test.toml:3:1: experiments[0].start: expected one of active|paused, got \"later\""}},
    {"dates_rejected",
     "[[experiments]]\nname = \"d\"\nduration = 1979-05-27\n",
     {"test.toml:3:1: experiments[0].duration: dates and times are not supported here; use a "
      "string"}},
};

INSTANTIATE_TEST_SUITE_P(Table, BadConfigTest, testing::ValuesIn(kBadConfigs),
                         [](const testing::TestParamInfo<BadConfig>& info) {
                           return std::string(info.param.name);
                         });

class TokenFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "faultline_config_token_" + std::to_string(::getpid());
    std::string command = "mkdir -p '" + dir_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  void TearDown() override {
    std::string command = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  void write(const std::string& name, const std::string& contents) {
    std::ofstream(dir_ + "/" + name) << contents;
  }
  std::string dir_;
};

TEST_F(TokenFile, IsReadAndTrimmed) {
  write("token", "  s3cret-token\n\n");
  Config config = load_ok("[admin]\ntoken_file = \"" + dir_ + "/token\"\n");
  EXPECT_EQ(config.admin.token, "s3cret-token");
  EXPECT_EQ(config.admin.token_file, dir_ + "/token");
}

TEST_F(TokenFile, RelativePathIsNextToTheConfigFile) {
  write("token", "abc\n");
  write("faultline.toml", "[admin]\ntoken_file = \"token\"\n");
  Diagnostics diags;
  auto config = load_file(dir_ + "/faultline.toml", diags);
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->admin.token, "abc");
  EXPECT_EQ(config->file, dir_ + "/faultline.toml");
}

TEST_F(TokenFile, EmptyFileIsAnError) {
  write("token", " \n");
  EXPECT_EQ(
      errors_of("[admin]\ntoken_file = \"" + dir_ + "/token\"\n"),
      std::vector<std::string>{"test.toml:2:1: admin.token_file: \"" + dir_ + "/token\" is empty"});
}

TEST(LoadFile, MissingFileNamesIt) {
  Diagnostics diags;
  EXPECT_FALSE(load_file("/nonexistent/faultline.toml", diags).has_value());
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].format(),
            "/nonexistent/faultline.toml: cannot open config file: No such file or directory");
}

TEST(LoadFile, ErrorsNameTheFileEvenWithoutExplicitDiagnosticsFile) {
  Diagnostics diags;
  EXPECT_FALSE(load_string("[log]\nlevel = 1\n", "x.toml", diags).has_value());
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].format(), "x.toml:2:1: log.level: expected a string, got integer");
}

// SPEC §7: [runtime] state_dir, a writable directory (here the fixture's temporary one).
TEST_F(TokenFile, StateDirIsAWritableDirectory) {
  Config config = load_ok("[runtime]\nstate_dir = \"" + dir_ + "\"\n");
  EXPECT_EQ(config.runtime.state_dir, dir_);
  EXPECT_TRUE(load_ok("").runtime.state_dir.empty());
}

// SPEC §7: start = "paused" | "active" (default).
TEST(LoadConfig, ExperimentStartPaused) {
  Config config = load_ok(
      "[[experiments]]\nname = \"held\"\nstart = \"paused\"\nfaults = [{type = \"abort\"}]\n"
      "[[experiments]]\nname = \"live\"\nfaults = [{type = \"abort\"}]\n");
  ASSERT_EQ(config.experiments.size(), 2u);
  EXPECT_TRUE(config.experiments[0].start_paused);
  EXPECT_FALSE(config.experiments[1].start_paused);
  EXPECT_NE(experiment_to_json(config.experiments[0]).find("\"start\":\"paused\""),
            std::string::npos);
}

// `check` and `run` share faults::load_checked_config; the config half of "one pass": a
// config with errors still decodes every experiment so their faults can be checked too.
TEST(DecodeString, ReturnsTheConfigWithItsErrors) {
  Diagnostics diags;
  auto config = decode_string(
      "[log]\nlevel = \"loud\"\n[[experiments]]\nname = \"BAD\"\nfaults = [{type = \"abort\"}]\n",
      "test.toml", diags);
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(diags.items().size(), 2u);
  ASSERT_EQ(config->experiments.size(), 1u);
  EXPECT_EQ(config->experiments[0].faults.size(), 1u);
  Diagnostics strict;
  EXPECT_FALSE(load_string("[log]\nlevel = \"loud\"\n", "test.toml", strict).has_value());
}

}  // namespace
}  // namespace faultline::config
