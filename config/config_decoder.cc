// The config file: TOML -> Node -> Config, section by section, collecting every error.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "config/ascii.h"
#include "config/field_reader.h"
#include "config/loader.h"
#include "config/validate.h"

namespace faultline::config {
namespace {

// A Kubernetes secret is a few dozen bytes; anything far larger is the wrong file.
constexpr size_t kMaxTokenFileBytes = 64 * 1024;

std::string trim(std::string text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

// Relative token files are read next to the config file, so a config directory can be moved
// as a whole.
std::string resolve_next_to(const std::string& config_file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  size_t slash = config_file.rfind('/');
  if (slash == std::string::npos) return path;
  return config_file.substr(0, slash + 1) + path;
}

bool valid_listener_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// Looks up a table section; reports a non-table value. nullptr when absent or wrong.
const Node* section(const FieldReader& root, std::string_view key) {
  const Node* node = root.get(key);
  if (node == nullptr || !expect_table(*node, root.path(key), root.diags())) return nullptr;
  return node;
}

void read_token_file(FieldReader& admin, const std::string& config_file, AdminConfig& out) {
  const std::string path = resolve_next_to(config_file, out.token_file);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    admin.error("token_file", "cannot read \"" + path + "\": " + std::strerror(errno));
    return;
  }
  std::string contents;
  contents.resize(kMaxTokenFileBytes + 1);
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (in.bad()) {
    admin.error("token_file", "cannot read \"" + path + "\": " + std::strerror(errno));
    return;
  }
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > kMaxTokenFileBytes) {
    admin.error("token_file", "\"" + path + "\" is larger than 64KiB; not a token file");
    return;
  }
  out.token = trim(std::move(contents));
  // An empty token means "no auth": refuse it rather than silently open the admin API.
  if (out.token.empty()) admin.error("token_file", "\"" + path + "\" is empty");
}

// `[admin] hosts`: names (or IP literals) the admin API accepts in Host besides loopback and
// this machine's own addresses (SPEC §7).
void read_admin_hosts(FieldReader& admin, AdminConfig& out) {
  if (!admin.read_strings("hosts", out.hosts)) return;
  for (size_t i = 0; i < out.hosts.size(); ++i) {
    const std::string& host = out.hosts[i];
    const bool ip6 = host.size() > 2 && host.front() == '[' && host.back() == ']';
    bool ok = !host.empty();
    for (char c : ip6 ? host.substr(1, host.size() - 2) : host) {
      const bool name_char = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                             c == '_' || (ip6 && c == ':');
      ok = ok && name_char;
    }
    if (!ok) {
      admin.diags().error(admin.get("hosts")->items[i], index_path("admin.hosts", i),
                          "expected a host name or address without scheme or port (like "
                          "\"faultline.example.com\"), got \"" +
                              host + "\"");
    }
  }
}

void decode_admin(const FieldReader& root, const std::string& file, AdminConfig& out) {
  const Node* node = section(root, "admin");
  if (node == nullptr) return;
  FieldReader admin(*node, "admin", root.diags());
  admin.reject_unknown({"listen", "token", "token_file", "hosts"});
  admin.read("listen", out.listen);
  read_admin_hosts(admin, out);
  admin.read("token", out.token);
  if (!admin.read("token_file", out.token_file)) return;
  if (admin.get("token") != nullptr) {
    admin.error("token_file", "set either token or token_file, not both");
    return;
  }
  if (out.token_file.empty()) {
    admin.error("token_file", "must not be empty (leave it out for no auth)");
    return;
  }
  read_token_file(admin, file, out);
}

void decode_log(const FieldReader& root, LogConfig& out) {
  const Node* node = section(root, "log");
  if (node == nullptr) return;
  FieldReader log(*node, "log", root.diags());
  log.reject_unknown({"level", "format", "access_log"});
  log.read_enum<LogLevel>("level",
                          {{"trace", LogLevel::kTrace},
                           {"debug", LogLevel::kDebug},
                           {"info", LogLevel::kInfo},
                           {"warn", LogLevel::kWarn},
                           {"error", LogLevel::kError}},
                          out.level);
  log.read_enum<LogFormat>("format", {{"json", LogFormat::kJson}, {"text", LogFormat::kText}},
                           out.format);
  log.read("access_log", out.access_log);
}

// The halt flag is written there when an operator needs it most; find out now, not then.
void check_state_dir(FieldReader& runtime, const std::string& dir) {
  struct stat info {};
  if (dir.empty()) {
    runtime.error("state_dir", "must not be empty (leave it out to keep the halt in memory)");
  } else if (::stat(dir.c_str(), &info) != 0) {
    runtime.error("state_dir", "\"" + dir + "\": " + std::strerror(errno));
  } else if (!S_ISDIR(info.st_mode)) {
    runtime.error("state_dir", "\"" + dir + "\" is not a directory");
  } else if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    runtime.error("state_dir", "\"" + dir + "\" is not writable: " + std::strerror(errno));
  }
}

void decode_runtime(const FieldReader& root, RuntimeConfig& out) {
  const Node* node = section(root, "runtime");
  if (node == nullptr) return;
  FieldReader runtime(*node, "runtime", root.diags());
  runtime.reject_unknown({"workers", "drain_timeout", "seed", "watch_config", "state_dir"});
  int64_t value = 0;
  if (runtime.read_integer("workers", 0, 256, value)) out.workers = static_cast<unsigned>(value);
  runtime.read("drain_timeout", out.drain_timeout);
  if (runtime.read_integer("seed", 0, INT64_MAX, value)) out.seed = static_cast<uint64_t>(value);
  runtime.read("watch_config", out.watch_config);
  if (runtime.read("state_dir", out.state_dir)) check_state_dir(runtime, out.state_dir);
}

void decode_safety(const FieldReader& root, SafetyConfig& out) {
  const Node* node = section(root, "safety");
  if (node == nullptr) return;
  FieldReader safety(*node, "safety", root.diags());
  safety.reject_unknown({"exclude_paths", "max_delay", "default_duration", "max_duration",
                         "max_cpu_cores", "max_memory", "stop_conditions",
                         "max_goaway_per_second"});
  if (safety.read_strings("exclude_paths", out.exclude_paths)) {
    for (size_t i = 0; i < out.exclude_paths.size(); ++i) {
      if (out.exclude_paths[i].starts_with('/')) continue;
      root.diags().error(safety.get("exclude_paths")->items[i],
                         index_path("safety.exclude_paths", i), "must start with \"/\"");
    }
  }
  for (auto [key, value] : {std::pair<std::string_view, Duration*>{"max_delay", &out.max_delay},
                            {"default_duration", &out.default_duration},
                            {"max_duration", &out.max_duration}}) {
    if (safety.read(key, *value) && value->count() <= 0)
      safety.error(key, "must be greater than 0");
  }
  if (out.default_duration > out.max_duration)
    safety.error("default_duration", format_duration(out.default_duration) +
                                         " exceeds max_duration (" +
                                         format_duration(out.max_duration) + ")");
  double cores = 0;
  if (safety.read_number("max_cpu_cores", 0, 64, cores)) {
    if (cores <= 0)
      safety.error("max_cpu_cores", "must be greater than 0");
    else
      out.max_cpu_cores = cores;
  }
  if (safety.read("max_memory", out.max_memory) && out.max_memory.bytes == 0)
    safety.error("max_memory", "must be greater than 0");
  int64_t goaways = 0;
  if (safety.read_integer("max_goaway_per_second", 1, 10000, goaways))
    out.max_goaway_per_second = static_cast<uint32_t>(goaways);
}

// The time series keeps 10 minutes (proxy/timeseries.h); a longer window could not be read.
constexpr Duration kMaxStopWindow = std::chrono::minutes(10);

StopCondition decode_stop_condition(const Node& table, const std::string& path,
                                    const Config& config, Diagnostics& diags) {
  StopCondition out;
  FieldReader fields(table, path, diags);
  fields.reject_unknown({"name", "listener", "metric", "above", "window", "min_requests"});
  if (fields.require("name")) fields.read("name", out.name);
  if (fields.read("listener", out.listener)) {
    const bool known = std::any_of(config.listeners.begin(), config.listeners.end(),
                                   [&](const ListenerConfig& l) { return l.name == out.listener; });
    if (!known) fields.error("listener", "no listener named \"" + out.listener + "\"");
  }
  const bool metric_ok = fields.require("metric") &&
                         fields.read_enum<StopMetric>("metric",
                                                      {{"error_rate", StopMetric::kErrorRate},
                                                       {"p99", StopMetric::kP99},
                                                       {"p50", StopMetric::kP50}},
                                                      out.metric);
  // `above` is a fraction or a duration depending on the metric.
  if (fields.require("above") && metric_ok) {
    if (out.metric == StopMetric::kErrorRate) {
      if (fields.read_number("above", 0, 1, out.above_fraction) && out.above_fraction >= 1)
        fields.error("above", "an error rate above 1 can never hold; use a fraction below 1");
    } else if (fields.read("above", out.above_latency) && out.above_latency.count() <= 0) {
      fields.error("above", "must be greater than 0");
    }
  }
  if (fields.read("window", out.window)) {
    if (out.window < std::chrono::seconds(1))
      fields.error("window", "must be at least 1s");
    else if (out.window > kMaxStopWindow)
      fields.error("window", "at most 10m (the time series keeps 10 minutes)");
  }
  int64_t min_requests = 0;
  if (fields.read_integer("min_requests", 1, 1'000'000'000, min_requests))
    out.min_requests = static_cast<uint64_t>(min_requests);
  return out;
}

// After listeners: a condition names one.
void decode_stop_conditions(const FieldReader& root, Config& config) {
  const Node* safety = root.get("safety");
  if (safety == nullptr || !safety->is_table()) return;
  const Node* node = safety->find("stop_conditions");
  if (node == nullptr) return;
  Diagnostics& diags = root.diags();
  if (node->kind != Node::Kind::kArray) {
    diags.error(*node, "safety.stop_conditions",
                "expected an array of tables ([[safety.stop_conditions]]), got " +
                    std::string(Node::kind_name(node->kind)));
    return;
  }
  for (size_t i = 0; i < node->items.size(); ++i) {
    const Node& table = node->items[i];
    const std::string path = index_path("safety.stop_conditions", i);
    if (!expect_table(table, path, diags)) continue;
    StopCondition condition = decode_stop_condition(table, path, config, diags);
    for (const auto& earlier : config.safety.stop_conditions) {
      if (!condition.name.empty() && earlier.name == condition.name)
        diags.error(*table.find("name"), join_path(path, "name"),
                    "duplicate stop condition name \"" + condition.name + "\"");
    }
    config.safety.stop_conditions.push_back(std::move(condition));
  }
}

void decode_header_triggers(const FieldReader& triggers, HeaderTriggersConfig& out) {
  const Node* headers_node = section(triggers, "headers");
  if (headers_node == nullptr) return;
  FieldReader headers(*headers_node, "triggers.headers", triggers.diags());
  headers.reject_unknown({"enabled", "token", "allow_from", "strip", "annotate"});
  headers.read("enabled", out.enabled);
  headers.read("token", out.token);
  headers.read_cidrs("allow_from", out.allow_from);
  headers.read("strip", out.strip);
  headers.read("annotate", out.annotate);
}

// SPEC §10.1. The prefix becomes part of header names: a token without a trailing '-'
// ("x-envoy" gives "x-envoy-fault-delay-request"), kept in lower case for matching.
void decode_envoy_headers(const FieldReader& triggers, EnvoyHeadersConfig& out) {
  const Node* node = section(triggers, "envoy_headers");
  if (node == nullptr) return;
  FieldReader envoy(*node, "triggers.envoy_headers", triggers.diags());
  envoy.reject_unknown({"enabled", "prefix", "abort_percentage", "delay_percentage",
                        "throughput_percentage", "strip"});
  envoy.read("enabled", out.enabled);
  if (envoy.read("prefix", out.prefix)) {
    bool token = !out.prefix.empty() && out.prefix.back() != '-';
    std::string lower;
    for (const char c : out.prefix) {
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      token = token && (letter || (c >= '0' && c <= '9') || c == '-' || c == '_');
      lower += ascii_lower(c);
    }
    if (!token)
      envoy.error("prefix",
                  "expected a header name prefix like \"x-envoy\" (letters, digits, '-' and '_', "
                  "not ending in '-'), got \"" +
                      out.prefix + "\"");
    out.prefix = std::move(lower);
  }
  envoy.read_number("abort_percentage", 0, 100, out.abort_percentage);
  envoy.read_number("delay_percentage", 0, 100, out.delay_percentage);
  envoy.read_number("throughput_percentage", 0, 100, out.throughput_percentage);
  envoy.read("strip", out.strip);
}

void decode_triggers(const FieldReader& root, Config& config) {
  const Node* node = section(root, "triggers");
  if (node == nullptr) return;
  FieldReader triggers(*node, "triggers", root.diags());
  triggers.reject_unknown({"headers", "envoy_headers"});
  decode_header_triggers(triggers, config.header_triggers);
  decode_envoy_headers(triggers, config.envoy_headers);
}

// [compat.toxiproxy] (SPEC §10.2).
void decode_compat(const FieldReader& root, const Config& config, CompatConfig& out) {
  const Node* node = section(root, "compat");
  if (node == nullptr) return;
  FieldReader compat(*node, "compat", root.diags());
  compat.reject_unknown({"toxiproxy"});
  if (const Node* toxi_node = section(compat, "toxiproxy")) {
    FieldReader toxi(*toxi_node, "compat.toxiproxy", root.diags());
    toxi.reject_unknown({"enabled", "listen", "toxic_ttl"});
    toxi.read("enabled", out.toxiproxy.enabled);
    toxi.read("listen", out.toxiproxy.listen);
    if (toxi.read("toxic_ttl", out.toxiproxy.toxic_ttl)) {
      if (out.toxiproxy.toxic_ttl.count() <= 0) toxi.error("toxic_ttl", "must be greater than 0");
      // Toxics are experiments: the same ceiling holds.
      else if (out.toxiproxy.toxic_ttl > config.safety.max_duration)
        toxi.error("toxic_ttl", "exceeds safety.max_duration (" +
                                    format_duration(config.safety.max_duration) + ")");
    }
    if (out.toxiproxy.enabled && out.toxiproxy.listen.port != 0 &&
        out.toxiproxy.listen == config.admin.listen)
      toxi.error("listen", out.toxiproxy.listen.to_string() + " is already used by admin.listen");
  }
}

// A file key of a TLS table: read, resolved next to the config file, its position kept.
void read_tls_file(FieldReader& fields, std::string_view key, std::string& out, SourcePos& pos) {
  if (!fields.read(key, out)) return;
  if (const Node* n = fields.get(key)) pos = n->pos;
  if (out.empty()) return;
  out = resolve_next_to(fields.diags().file(), out);
}

void decode_tls(const Node& node, const std::string& path, Diagnostics& diags, TlsConfig& out) {
  out.pos = node.pos;
  if (!expect_table(node, path, diags)) return;
  out.enabled = true;
  FieldReader fields(node, path, diags);
  fields.reject_unknown({"cert_file", "key_file", "client_ca_file", "min_version", "alpn"});
  if (fields.require("cert_file")) read_tls_file(fields, "cert_file", out.cert_file, out.cert_pos);
  if (fields.require("key_file")) read_tls_file(fields, "key_file", out.key_file, out.key_pos);
  read_tls_file(fields, "client_ca_file", out.client_ca_file, out.client_ca_pos);
  if (fields.get("cert_file") && out.cert_file.empty())
    fields.error("cert_file", "must not be empty");
  if (fields.get("key_file") && out.key_file.empty()) fields.error("key_file", "must not be empty");
  fields.read_enum<TlsVersion>("min_version", {{"1.2", TlsVersion::k12}, {"1.3", TlsVersion::k13}},
                               out.min_version);
  if (fields.read_strings("alpn", out.alpn)) {
    for (const auto& name : out.alpn)
      if (name != "h2" && name != "http/1.1") {
        fields.error("alpn", "expected protocols from h2, http/1.1; got \"" + name + "\"");
        break;
      }
  }
}

void decode_upstream_tls(const Node& node, const std::string& path, Diagnostics& diags,
                         UpstreamTlsConfig& out) {
  out.pos = node.pos;
  if (!expect_table(node, path, diags)) return;
  FieldReader fields(node, path, diags);
  fields.reject_unknown({"enabled", "server_name", "ca_file", "verify", "cert_file", "key_file"});
  fields.read("enabled", out.enabled);  // SPEC §9: off unless enabled = true
  fields.read("server_name", out.server_name);
  read_tls_file(fields, "ca_file", out.ca_file, out.ca_pos);
  fields.read("verify", out.verify);
  read_tls_file(fields, "cert_file", out.cert_file, out.cert_pos);
  read_tls_file(fields, "key_file", out.key_file, out.key_pos);
  if (out.cert_file.empty() != out.key_file.empty())
    fields.error(out.cert_file.empty() ? "key_file" : "cert_file",
                 "cert_file and key_file go together (the client certificate and its key)");
}

ListenerConfig decode_listener(const Node& table, const std::string& path, Diagnostics& diags) {
  ListenerConfig out;
  out.pos = table.pos;
  if (!expect_table(table, path, diags)) return out;
  FieldReader fields(table, path, diags);
  fields.reject_unknown({"name", "listen", "upstream", "protocol", "connect_timeout",
                         "response_timeout", "idle_timeout", "header_timeout", "max_connections",
                         "max_header_bytes", "upstream_idle_timeout", "forwarded_for", "tls",
                         "upstream_tls", "upstream_protocol", "h2_max_concurrent_streams",
                         "h2_initial_window", "enabled"});
  fields.read("enabled", out.enabled);
  if (fields.require("name") && fields.read("name", out.name) && !valid_listener_name(out.name))
    fields.error("name", "must be non-empty and use only a-z, 0-9 and '-'");
  if (fields.require("listen")) fields.read("listen", out.listen);
  if (fields.require("upstream")) fields.read("upstream", out.upstream);
  fields.read_enum<Protocol>("protocol", {{"http", Protocol::kHttp}, {"tcp", Protocol::kTcp}},
                             out.protocol);
  for (auto [key, value] :
       {std::pair<std::string_view, Duration*>{"connect_timeout", &out.connect_timeout},
        {"response_timeout", &out.response_timeout},
        {"idle_timeout", &out.idle_timeout},
        {"header_timeout", &out.header_timeout},
        {"upstream_idle_timeout", &out.upstream_idle_timeout}}) {
    if (fields.read(key, *value) && value->count() <= 0)
      fields.error(key, "must be greater than 0");
  }
  fields.read("forwarded_for", out.forwarded_for);
  int64_t max_connections = 0;
  if (fields.read_integer("max_connections", 1, UINT32_MAX, max_connections)) {
    out.max_connections = static_cast<uint32_t>(max_connections);
    out.max_connections_set = true;
  }
  ByteSize header_bytes;
  if (fields.read("max_header_bytes", header_bytes)) {
    if (header_bytes.bytes < 1024 || header_bytes.bytes > 1024 * 1024)
      fields.error("max_header_bytes", "must be between 1KiB and 1MiB");
    else
      out.max_header_bytes = header_bytes;
  }
  if (const Node* tls = fields.get("tls")) decode_tls(*tls, fields.path("tls"), diags, out.tls);
  if (const Node* tls = fields.get("upstream_tls"))
    decode_upstream_tls(*tls, fields.path("upstream_tls"), diags, out.upstream_tls);
  fields.read_enum<UpstreamProtocol>("upstream_protocol",
                                     {{"auto", UpstreamProtocol::kAuto},
                                      {"http1", UpstreamProtocol::kHttp1},
                                      {"http2", UpstreamProtocol::kHttp2}},
                                     out.upstream_protocol);
  int64_t streams = 0;
  if (fields.read_integer("h2_max_concurrent_streams", 1, 10000, streams))
    out.h2_max_concurrent_streams = static_cast<uint32_t>(streams);
  ByteSize window;
  if (fields.read("h2_initial_window", window)) {
    // RFC 9113 §6.9.2: at most 2^31-1; below 1KiB a stream would crawl.
    if (window.bytes < 1024 || window.bytes > (1u << 30))
      fields.error("h2_initial_window", "must be between 1KiB and 1GiB");
    else
      out.h2_initial_window = window;
  }
  if (out.protocol == Protocol::kTcp) {
    // A tcp listener relays a byte stream: no request head, no response, so these keys would
    // be silently ignored. Refuse them when written; their defaults stay silent.
    for (std::string_view key :
         {"response_timeout", "header_timeout", "upstream_idle_timeout", "max_header_bytes",
          "forwarded_for", "upstream_protocol", "h2_max_concurrent_streams", "h2_initial_window"}) {
      if (fields.get(key) != nullptr)
        fields.error(key,
                     "applies to http listeners only: a tcp listener relays bytes, with no "
                     "request or response (idle_timeout bounds a silent tcp connection)");
    }
  }
  return out;
}

// A fixed port used twice would only fail at bind time; say so at load time instead.
bool same_fixed_address(const HostPort& a, const HostPort& b) {
  return a.port != 0 && a == b;
}

void decode_listeners(const FieldReader& root, Config& config) {
  const Node* node = root.get("listeners");
  if (node == nullptr) return;
  Diagnostics& diags = root.diags();
  if (node->kind != Node::Kind::kArray) {
    diags.error(*node, "listeners",
                "expected an array of tables ([[listeners]]), got " +
                    std::string(Node::kind_name(node->kind)));
    return;
  }
  for (size_t i = 0; i < node->items.size(); ++i) {
    const Node& table = node->items[i];
    const std::string path = index_path("listeners", i);
    ListenerConfig listener = decode_listener(table, path, diags);
    for (const auto& earlier : config.listeners) {
      if (!listener.name.empty() && earlier.name == listener.name)
        diags.error(table.find("name") ? *table.find("name") : table, join_path(path, "name"),
                    "duplicate listener name \"" + listener.name + "\"");
      if (same_fixed_address(earlier.listen, listener.listen))
        diags.error(
            table.find("listen") ? *table.find("listen") : table, join_path(path, "listen"),
            listener.listen.to_string() + " is already used by listener \"" + earlier.name + "\"");
    }
    if (same_fixed_address(config.admin.listen, listener.listen))
      diags.error(table.find("listen") ? *table.find("listen") : table, join_path(path, "listen"),
                  listener.listen.to_string() + " is already used by admin.listen");
    config.listeners.push_back(std::move(listener));
  }
}

void decode_experiments(const FieldReader& root, Config& config) {
  const Node* node = root.get("experiments");
  if (node == nullptr) return;
  Diagnostics& diags = root.diags();
  if (node->kind != Node::Kind::kArray) {
    diags.error(*node, "experiments",
                "expected an array of tables ([[experiments]]), got " +
                    std::string(Node::kind_name(node->kind)));
    return;
  }
  for (size_t i = 0; i < node->items.size(); ++i) {
    const Node& table = node->items[i];
    ExperimentConfig experiment = decode_experiment(table, index_path("experiments", i), diags);
    if (!table.is_table()) continue;
    validate_experiment(experiment, config, diags, &table);
    for (const auto& earlier : config.experiments) {
      if (!experiment.name.empty() && earlier.name == experiment.name)
        diags.error(*table.find("name"), join_path(experiment.path, "name"),
                    "duplicate experiment name \"" + experiment.name + "\"");
    }
    config.experiments.push_back(std::move(experiment));
  }
}

std::optional<Config> decode_config(const Node& root, const std::string& file, Diagnostics& diags) {
  Config config;
  config.file = file;
  if (!expect_table(root, "", diags)) return std::nullopt;
  FieldReader fields(root, "", diags);
  fields.reject_unknown(
      {"admin", "log", "runtime", "safety", "triggers", "listeners", "experiments", "compat"});
  decode_admin(fields, file, config.admin);
  decode_log(fields, config.log);
  decode_runtime(fields, config.runtime);
  decode_safety(fields, config.safety);
  decode_triggers(fields, config);
  decode_listeners(fields, config);
  decode_stop_conditions(fields, config);
  decode_experiments(fields, config);  // after listeners and safety: it checks against them
  decode_compat(fields, config, config.compat);  // after admin and safety
  return config;
}

}  // namespace

std::optional<Config> decode_string(std::string_view toml_text, const std::string& name,
                                    Diagnostics& diags) {
  if (diags.file().empty()) diags.set_file(name);  // errors must name the file
  auto root = parse_toml(toml_text, name, diags);
  if (!root) return std::nullopt;
  // Decoding goes section by section; users read errors top to bottom, so sort them.
  Diagnostics found(diags.file());
  auto config = decode_config(*root, name, found);
  append_by_position(found, diags);
  return config;
}

std::optional<Config> load_string(std::string_view toml_text, const std::string& name,
                                  Diagnostics& diags) {
  const size_t before = diags.items().size();
  auto config = decode_string(toml_text, name, diags);
  if (diags.items().size() != before) return std::nullopt;
  return config;
}

std::optional<Config> decode_file(const std::string& path, Diagnostics& diags) {
  if (diags.file().empty()) diags.set_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error(SourcePos{}, "", std::string("cannot open config file: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    diags.error(SourcePos{}, "", std::string("cannot read config file: ") + std::strerror(errno));
    return std::nullopt;
  }
  return decode_string(text, path, diags);
}

std::optional<Config> load_file(const std::string& path, Diagnostics& diags) {
  const size_t before = diags.items().size();
  auto config = decode_file(path, diags);
  if (diags.items().size() != before) return std::nullopt;
  return config;
}

}  // namespace faultline::config
