#pragma once
// The config schema as plain structs with SPEC §2 defaults. Produced by the loader
// (config/loader.h) from TOML or JSON; immutable once loaded.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/node.h"
#include "config/value.h"

namespace faultline::config {

using namespace std::chrono_literals;

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat { kJson, kText };
enum class Protocol { kHttp, kTcp };
enum class Trigger { kAlways, kHeader };
// SPEC §8: the HTTP version a request is forwarded in; auto = the one it arrived in.
enum class UpstreamProtocol { kAuto, kHttp1, kHttp2 };

struct AdminConfig {
  HostPort listen{"127.0.0.1", 9901};
  std::string token;               // resolved: token_file contents (trimmed) when token_file is set
  std::string token_file;          // as written
  std::vector<std::string> hosts;  // accepted in Host besides loopback and own addresses
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kJson;
  bool access_log = true;
};

struct RuntimeConfig {
  unsigned workers = 0;  // 0 = one per core
  Duration drain_timeout = 10s;
  uint64_t seed = 0;  // 0 = random
  // Extension to SPEC §2: reload when the config file changes (also follows Kubernetes
  // ConfigMap symlink swaps). Off by default; read at start-up.
  bool watch_config = false;
  // SPEC §7: a writable directory where the kill switch is kept, so a halt survives a restart.
  // Empty: the halt lives in memory only.
  std::string state_dir;
};

// [[safety.stop_conditions]] (SPEC §11): halt when requests that no fault touched do worse
// than `above` over `window`.
enum class StopMetric { kErrorRate, kP99, kP50 };
struct StopCondition {
  std::string name;
  std::string listener;  // empty = every listener
  StopMetric metric = StopMetric::kErrorRate;
  double above_fraction = 0;  // error_rate
  Duration above_latency{0};  // p99, p50
  Duration window = std::chrono::seconds(30);
  uint64_t min_requests = 20;
};

struct SafetyConfig {
  std::vector<std::string> exclude_paths{"/healthz", "/readyz", "/livez", "/metrics"};
  Duration max_delay = 30s;
  Duration default_duration = 15min;
  Duration max_duration = 4h;
  double max_cpu_cores = 1;
  ByteSize max_memory{512ULL * 1024 * 1024};  // SPEC §12: cap on memory faults' summed size
  std::vector<StopCondition> stop_conditions;
  // SPEC §8: goaway faults per second, process-wide (Go clients reconnect in a tight loop).
  uint32_t max_goaway_per_second = 10;
};

struct HeaderTriggersConfig {
  bool enabled = false;
  std::string token;
  std::vector<Cidr> allow_from;  // empty = any
  bool strip = true;
  bool annotate = true;
};

// SPEC §10.1 [triggers.envoy_headers]: Envoy's fault headers (PREFIX-fault-*). The
// percentages cap the numerators the -percentage headers may ask for.
struct EnvoyHeadersConfig {
  bool enabled = false;
  std::string prefix = "x-envoy";  // lower case once decoded
  double abort_percentage = 100.0;
  double delay_percentage = 100.0;
  double throughput_percentage = 100.0;
  bool strip = true;  // remove PREFIX-fault-* request headers before forwarding
};

// SPEC §9 [listeners.tls]: terminate TLS from clients. File paths are resolved next to the
// config file; `*_pos` is where the key naming the file was written (for start-up errors).
enum class TlsVersion { k12, k13 };
struct TlsConfig {
  bool enabled = false;  // the table is present
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // set: require client certificates signed by it (mTLS)
  TlsVersion min_version = TlsVersion::k12;
  std::vector<std::string> alpn{"h2", "http/1.1"};  // offered where the listener serves it
  SourcePos pos, cert_pos, key_pos, client_ca_pos;
};

// SPEC §9 [listeners.upstream_tls]: originate TLS to the upstream.
struct UpstreamTlsConfig {
  bool enabled = false;
  std::string server_name;  // SNI and the name verified; empty: the upstream host
  std::string ca_file;      // empty: the system trust store
  bool verify = true;
  std::string cert_file;  // client certificate for upstream mTLS
  std::string key_file;
  SourcePos pos, ca_pos, cert_pos, key_pos;
};

struct ListenerConfig {
  std::string name;
  HostPort listen;
  HostPort upstream;
  Protocol protocol = Protocol::kHttp;
  Duration connect_timeout = 2s;
  Duration response_timeout = 30s;
  Duration idle_timeout = 60s;
  Duration header_timeout = 10s;
  // Once the upstream has started a response: the longest silence between its bytes.
  Duration upstream_idle_timeout = 60s;
  // Append the client's address to X-Forwarded-For (an extension; off: bytes pass unchanged).
  bool forwarded_for = false;
  uint32_t max_connections = 10000;
  bool max_connections_set = false;  // written in the file; else it may shrink to the fd limit
  ByteSize max_header_bytes{64 * 1024};
  TlsConfig tls;
  UpstreamTlsConfig upstream_tls;
  // SPEC §8 (http listeners): the upstream's HTTP version, and what bounds an HTTP/2
  // connection's memory (streams x window).
  UpstreamProtocol upstream_protocol = UpstreamProtocol::kAuto;
  uint32_t h2_max_concurrent_streams = 100;
  ByteSize h2_initial_window{64 * 1024};
  SourcePos pos;
  // `enabled = false`: the listener keeps its name (experiments may name it) but has no socket.
  bool enabled = true;
  // Set by the running proxy, never read from a file. Listener indices never move (sessions,
  // counters and compiled experiments are indexed by them), so a removed listener stays as a
  // retired slot; a listener created at runtime (Toxiproxy API) survives reloads and is left
  // out of experiments that name no listener.
  bool retired = false;
  bool api_created = false;
  // What an experiment without `listeners` applies to.
  bool in_default_scope() const { return !retired && !api_created; }
};

struct SampleBy {
  enum class Kind { kRandom, kTrace, kHeader };
  Kind kind = Kind::kRandom;
  std::string header;  // lower-cased, for kHeader
};

struct MatchConfig {
  std::vector<std::string> paths;                            // globs; empty = any
  std::vector<std::string> methods;                          // upper-cased; empty = any
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased name; "*" = present
  std::vector<Cidr> sources;                                 // empty = any
  std::vector<std::string> sni;  // TLS server-name globs, lower-cased (TLS faults); empty = any
  double percentage = 100.0;
  SampleBy sample_by;
};

// A fault as written: its type and its raw table. Fault kinds (faults/kinds/*.cc) decode and
// validate their own keys, so adding a kind does not touch config/.
struct FaultConfig {
  std::string type;
  Node params;       // the whole table, including "type" and "percentage"
  std::string path;  // key path of the table, e.g. "experiments[0].faults[1]" or "faults[1]"
};

struct ExperimentConfig {
  std::string name;
  std::string description;
  std::vector<std::string> listeners;  // empty = every listener
  Trigger trigger = Trigger::kAlways;
  std::optional<Duration> duration;
  uint32_t max_active = 0;
  bool dry_run = false;
  // start = "paused": deployed ahead of time, injects nothing and its clock (duration) does not
  // run until it is resumed.
  bool start_paused = false;
  MatchConfig match;
  std::vector<FaultConfig> faults;
  std::string path;  // "experiments[0]" in a file, "" for an API body
  SourcePos pos;
  // Set by the proxy for experiments a compatibility API made ("toxiproxy": a toxic); shown as
  // their source. Never read from a file or an admin body.
  std::string origin;
};

// SPEC §10.2 [compat.toxiproxy]: Toxiproxy 2.x's REST API, off by default.
struct ToxiproxyConfig {
  bool enabled = false;
  HostPort listen{"127.0.0.1", 8474};
  Duration toxic_ttl = 1h;  // each toxic is an experiment that expires after this
};

struct CompatConfig {
  ToxiproxyConfig toxiproxy;
};

struct Config {
  std::string file;  // where it was loaded from; empty for built-in configs (demo)
  AdminConfig admin;
  LogConfig log;
  RuntimeConfig runtime;
  SafetyConfig safety;
  HeaderTriggersConfig header_triggers;
  EnvoyHeadersConfig envoy_headers;
  std::vector<ListenerConfig> listeners;
  std::vector<ExperimentConfig> experiments;
  CompatConfig compat;
};

}  // namespace faultline::config
