#include "proxy/compat/api.h"

#include <cctype>
#include <type_traits>

#include "config/value.h"
#include "proxy/http/status_reason.h"

namespace faultline::proxy::toxiproxy {

namespace {

using Reply = ToxiproxyApi::Reply;

constexpr const char* kPlainText = "text/plain; charset=utf-8";
// Toxiproxy never closes an idle connection; faultline's tcp listeners do after idle_timeout.
constexpr config::Duration kProxyIdleTimeout = std::chrono::hours(24 * 365);

// Go's http.Error: the JSON error as plain text, with a newline.
Reply api_error(int status, const std::string& message) {
  Reply r;
  r.status = status;
  r.content_type = kPlainText;
  r.body = Json{{"error", message}, {"status", status}}.dump() + "\n";
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

Reply json_reply(int status, const Json& body) {
  Reply r;
  r.status = status;
  r.body = body.dump();
  return r;
}

Reply no_content() {
  Reply r;
  r.status = 204;
  return r;
}

// "bad request body: ..." as Go's JSON decoder words the common cases.
std::string decode_error(const std::string& body) {
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  if (i == body.size()) return "bad request body: EOF";
  return "bad request body: invalid character '" + std::string(1, body[i]) +
         "' looking for beginning of value";
}

std::optional<Json> parse_body(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// The kind of a JSON value as Go's decoder names it in its errors.
const char* go_kind(const Json& value) {
  return value.is_array()     ? "array"
         : value.is_object()  ? "object"
         : value.is_string()  ? "string"
         : value.is_boolean() ? "bool"
                              : "number";
}

std::string go_type_error(const Json& value, const std::string& go_type) {
  return std::string("bad request body: json: cannot unmarshal ") + go_kind(value) +
         " into Go value of type " + go_type;
}

// Reads a string or bool field of a proxy as Go does: absent or null keeps `out`; another type
// is an error.
template <class T>
bool read_field(const Json& j, const char* key, T& out, std::string& error) {
  constexpr bool kString = std::is_same_v<T, std::string>;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (kString ? !it->is_string() : !it->is_boolean()) {
    error = std::string("bad request body: json: cannot unmarshal ") + go_kind(*it) +
            " into Go struct field Proxy." + key + " of type " + (kString ? "string" : "bool");
    return false;
  }
  out = it->get<T>();
  return true;
}

std::string url_decode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= target.size()) {
    size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    parts.push_back(url_decode(target.substr(start, end - start)));
    start = end + 1;
  }
  return parts;
}

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  return out.substr(0, 40);
}

}  // namespace

std::string ToxiproxyApi::refusal(int status, const std::string& message) {
  std::string body = message + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

ServerAnswer ToxiproxyApi::answer(const ServerRequest& request, bool keep_alive) {
  Reply r = handle(request.method, request.target, request.body, request.header("user-agent"));
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  if (r.status != 204) {
    out += "Content-Type: " + r.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (r.status != 204) out += r.body;
  return {std::move(out), !keep_alive};
}

Reply ToxiproxyApi::handle(const std::string& method, const std::string& target,
                           const std::string& body, std::string_view user_agent) {
  // Toxiproxy's guard against a web page driving it from a browser.
  if (user_agent.starts_with("Mozilla/")) {
    Reply r;
    r.status = 403;
    r.content_type = kPlainText;
    r.body = "User agent not allowed\n";
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  }
  const std::vector<std::string> p = split_path(target);
  auto not_allowed = [] {
    Reply r;
    r.status = 405;
    r.content_type = kPlainText;
    return r;
  };
  auto not_found = [] {
    Reply r;
    r.status = 404;
    r.content_type = kPlainText;
    r.body = "404 page not found\n";
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  };
  const bool update = method == "POST" || method == "PATCH";
  if (p.size() == 1 && p[0] == "version") {
    if (method != "GET") return not_allowed();
    Reply r;
    r.content_type = kPlainText;
    r.body = kApiVersion;
    return r;
  }
  if (p.size() == 1 && p[0] == "reset") return method == "POST" ? reset() : not_allowed();
  if (p.size() == 1 && p[0] == "populate") return method == "POST" ? populate(body) : not_allowed();
  if (p.empty() || p[0] != "proxies" || p.size() > 4) return not_found();
  if (p.size() == 1) {
    if (method == "GET") return proxy_index();
    if (method == "POST") return proxy_create(body);
    return not_allowed();
  }
  if (p.size() == 3 && p[2] != "toxics") return not_found();
  if (p.size() == 4 && p[2] != "toxics") return not_found();
  const bool known_method = (p.size() == 3 ? method == "GET" || method == "POST"
                                           : method == "GET" || update || method == "DELETE");
  if (!known_method) return not_allowed();
  auto found = proxies_.find(p[1]);
  if (found == proxies_.end()) return api_error(404, "proxy not found");
  Proxy& proxy = found->second;
  if (p.size() == 2) {
    if (method == "GET") return json_reply(200, proxy_json(proxy));
    if (method == "DELETE") return proxy_delete(proxy.name);
    return proxy_update(proxy, body);
  }
  if (p.size() == 3) {
    if (method == "GET") return json_reply(200, toxics_json(proxy));
    return toxic_create(proxy, body);
  }
  Toxic* toxic = nullptr;
  for (auto& t : proxy.toxics)
    if (t.name == p[3]) toxic = &t;
  if (!toxic) return api_error(404, "toxic not found");
  if (method == "GET") return json_reply(200, toxic_json(*toxic));
  if (method == "DELETE") return toxic_delete(proxy, toxic->name);
  return toxic_update(proxy, *toxic, body);
}

Json ToxiproxyApi::toxics_json(const Proxy& proxy) const {
  // Toxiproxy lists the upstream chain, then the downstream one.
  Json out = Json::array();
  for (const char* stream : {"upstream", "downstream"})
    for (const auto& t : proxy.toxics)
      if (t.stream == stream) out.push_back(toxic_json(t));
  return out;
}

Json ToxiproxyApi::proxy_json(const Proxy& proxy) const {
  return Json{{"name", proxy.name},
              {"listen", proxy.listen},
              {"upstream", proxy.upstream},
              {"enabled", proxy.enabled},
              {"toxics", toxics_json(proxy)}};
}

Reply ToxiproxyApi::proxy_index() const {
  Json out = Json::object();
  for (const auto& [name, proxy] : proxies_) out[name] = proxy_json(proxy);
  return json_reply(200, out);
}

std::string ToxiproxyApi::apply(std::map<std::string, Proxy>& proxies) {
  std::vector<config::ListenerConfig> desired;
  for (const auto& [name, proxy] : proxies) {
    config::ListenerConfig l;
    l.name = name;
    l.protocol = config::Protocol::kTcp;
    l.enabled = proxy.enabled;
    l.idle_timeout = kProxyIdleTimeout;
    auto listen = config::parse_host_port(proxy.listen.starts_with(":") ? "0.0.0.0" + proxy.listen
                                                                        : proxy.listen);
    if (!listen) return "listen tcp " + proxy.listen + ": " + listen.error();
    auto upstream = config::parse_host_port(proxy.upstream);
    if (!upstream) return "upstream " + proxy.upstream + ": " + upstream.error();
    l.listen = *listen;
    l.upstream = *upstream;
    desired.push_back(std::move(l));
  }
  if (std::string error = backend_.set_listeners(std::move(desired)); !error.empty()) return error;
  for (auto& [name, proxy] : proxies) {
    if (!proxy.enabled) continue;
    // The bound address, with a wildcard host kept as asked (Go prints "[::]:PORT" there).
    std::string bound = backend_.listener_address(name);
    auto asked = config::parse_host_port(proxy.listen.starts_with(":") ? "0.0.0.0" + proxy.listen
                                                                       : proxy.listen);
    auto got = config::parse_host_port(bound);
    if (!got) continue;
    if (asked && (asked->host == "0.0.0.0" || asked->host == "::"))
      proxy.listen = (asked->host == "::" ? "[::]" : asked->host) + ":" + std::to_string(got->port);
    else
      proxy.listen = bound;
  }
  return {};
}

std::string ToxiproxyApi::experiment_name(const std::string& proxy, const std::string& toxic) {
  return "toxiproxy-" + slug(proxy) + "-" + slug(toxic) + "-" + std::to_string(next_experiment_++);
}

std::string ToxiproxyApi::arm(const Proxy& proxy, Toxic& toxic) {
  std::string error;
  if (toxic.experiment.empty()) toxic.experiment = experiment_name(proxy.name, toxic.name);
  auto experiment =
      toxic_experiment(toxic, proxy.name, toxic.experiment, backend_.toxic_ttl(), error);
  if (!error.empty()) return error;
  if (!experiment) {  // no effect: no experiment
    disarm(toxic);
    return {};
  }
  return backend_.put_experiment(std::move(*experiment));
}

void ToxiproxyApi::disarm(Toxic& toxic) {
  if (!toxic.experiment.empty()) backend_.remove_experiment(toxic.experiment);
  toxic.experiment.clear();
}

Reply ToxiproxyApi::proxy_create(const std::string& body) {
  auto j = parse_body(body);
  if (!j) return api_error(400, decode_error(body));
  if (!j->is_object()) return api_error(400, go_type_error(*j, "toxiproxy.Proxy"));
  Proxy proxy;
  std::string error;
  if (!read_field(*j, "name", proxy.name, error) ||
      !read_field(*j, "listen", proxy.listen, error) ||
      !read_field(*j, "upstream", proxy.upstream, error) ||
      !read_field(*j, "enabled", proxy.enabled, error))
    return api_error(400, error);
  if (proxy.name.empty()) return api_error(400, "missing required field: name");
  if (proxy.upstream.empty()) return api_error(400, "missing required field: upstream");
  if (proxy.listen.empty()) proxy.listen = "127.0.0.1:0";
  if (proxies_.count(proxy.name)) return api_error(409, "proxy already exists");
  auto next = proxies_;
  next[proxy.name] = proxy;
  if (std::string failed = apply(next); !failed.empty()) {
    backend_.audit("toxiproxy.proxy.create", proxy.name, "error: " + failed);
    return api_error(failed.find("already exists") != std::string::npos ? 409 : 500, failed);
  }
  proxies_ = std::move(next);
  backend_.audit("toxiproxy.proxy.create", proxy.name, "ok");
  return json_reply(201, proxy_json(proxies_.at(proxy.name)));
}

Reply ToxiproxyApi::populate(const std::string& body) {
  auto failed = [](int status, const std::string& message) {
    Reply r =
        json_reply(status, Json{{"error", message}, {"status", status}, {"proxies", nullptr}});
    return r;
  };
  auto j = parse_body(body);
  if (!j) return failed(400, decode_error(body));
  if (!j->is_array())
    return failed(
        400,
        go_type_error(*j, "[]struct { toxiproxy.Proxy; Enabled *bool \"json:\\\"enabled\\\"\" }"));
  // Everything is checked before anything is created.
  std::vector<Proxy> input;
  for (size_t i = 0; i < j->size(); ++i) {
    const Json& item = (*j)[i];
    if (!item.is_object()) return failed(400, go_type_error(item, "toxiproxy.Proxy"));
    Proxy proxy;
    std::string error;
    if (!read_field(item, "name", proxy.name, error) ||
        !read_field(item, "listen", proxy.listen, error) ||
        !read_field(item, "upstream", proxy.upstream, error) ||
        !read_field(item, "enabled", proxy.enabled, error))
      return failed(400, error);
    const std::string at = " at proxy " + std::to_string(i + 1);
    if (proxy.name.empty()) return failed(400, "missing required field: name" + at);
    if (proxy.upstream.empty()) return failed(400, "missing required field: upstream" + at);
    for (const auto& earlier : input)
      if (earlier.name == proxy.name)
        return failed(500, "duplicate proxy name \"" + proxy.name + "\"");
    if (proxy.listen.empty()) proxy.listen = "127.0.0.1:0";
    input.push_back(std::move(proxy));
  }
  auto next = proxies_;
  std::vector<std::string> replaced;
  for (auto& proxy : input) {
    auto it = next.find(proxy.name);
    // Toxiproxy keeps a proxy with the same listen and upstream as it is, toxics included.
    if (it != next.end() && it->second.listen == proxy.listen &&
        it->second.upstream == proxy.upstream)
      continue;
    if (it != next.end()) replaced.push_back(proxy.name);
    next[proxy.name] = proxy;
  }
  // A replaced proxy's toxics go with it: their experiments first, so that none names a
  // listener that is gone.
  for (const auto& name : replaced)
    for (auto& t : proxies_.at(name).toxics) disarm(t);
  if (std::string error = apply(next); !error.empty()) {
    for (const auto& name : replaced)
      for (auto& t : proxies_.at(name).toxics) arm(proxies_.at(name), t);
    backend_.audit("toxiproxy.populate", "", "error: " + error);
    return failed(error.find("already exists") != std::string::npos ? 409 : 500, error);
  }
  proxies_ = std::move(next);
  Json out = Json::array();
  for (const auto& proxy : input) out.push_back(proxy_json(proxies_.at(proxy.name)));
  backend_.audit("toxiproxy.populate", "", "ok: " + std::to_string(input.size()) + " proxies");
  return json_reply(201, Json{{"proxies", out}});
}

Reply ToxiproxyApi::reset() {
  auto next = proxies_;
  for (auto& [name, proxy] : next) {
    proxy.enabled = true;
    for (auto& t : proxy.toxics) disarm(t);
    proxy.toxics.clear();
  }
  for (auto& [name, proxy] : proxies_)
    for (auto& t : proxy.toxics) t.experiment.clear();  // removed above, through the copy
  if (std::string error = apply(next); !error.empty()) {
    // The toxics are gone either way, as in Toxiproxy (it stops at the first failed start).
    for (auto& [name, proxy] : proxies_) proxy.toxics.clear();
    backend_.audit("toxiproxy.reset", "", "error: " + error);
    return api_error(500, error);
  }
  proxies_ = std::move(next);
  backend_.audit("toxiproxy.reset", "", "ok");
  return no_content();
}

Reply ToxiproxyApi::proxy_update(Proxy& proxy, const std::string& body) {
  auto j = parse_body(body);
  if (!j) return api_error(400, decode_error(body));
  if (!j->is_object()) return api_error(400, go_type_error(*j, "toxiproxy.Proxy"));
  Proxy wanted = proxy;
  std::string error;
  if (!read_field(*j, "listen", wanted.listen, error) ||
      !read_field(*j, "upstream", wanted.upstream, error) ||
      !read_field(*j, "enabled", wanted.enabled, error))
    return api_error(400, error);
  auto next = proxies_;
  next[proxy.name] = wanted;
  if (std::string failed = apply(next); !failed.empty()) {
    backend_.audit("toxiproxy.proxy.update", proxy.name, "error: " + failed);
    return api_error(500, failed);
  }
  const std::string name = proxy.name;
  proxies_ = std::move(next);
  backend_.audit("toxiproxy.proxy.update", name, "ok");
  return json_reply(200, proxy_json(proxies_.at(name)));
}

Reply ToxiproxyApi::proxy_delete(const std::string& proxy_name) {
  // A copy: the caller's name may live in the entry this replaces (ASan: use after free).
  const std::string name = proxy_name;
  for (auto& t : proxies_.at(name).toxics) disarm(t);
  auto next = proxies_;
  next.erase(name);
  if (std::string failed = apply(next); !failed.empty()) {
    backend_.audit("toxiproxy.proxy.delete", name, "error: " + failed);
    return api_error(500, failed);
  }
  proxies_ = std::move(next);
  backend_.audit("toxiproxy.proxy.delete", name, "ok");
  return no_content();
}

Reply ToxiproxyApi::toxic_create(Proxy& proxy, const std::string& body) {
  auto j = parse_body(body);
  if (!j) return api_error(400, decode_error(body));
  if (!j->is_object()) return api_error(400, go_type_error(*j, "toxics.ToxicWrapper"));
  Toxic toxic;
  std::string error;
  if (!read_field(*j, "name", toxic.name, error) || !read_field(*j, "type", toxic.type, error) ||
      !read_field(*j, "stream", toxic.stream, error))
    return api_error(400, error);
  if (auto it = j->find("toxicity"); it != j->end() && !it->is_null()) {
    if (!it->is_number()) return api_error(400, go_type_error(*it, "float32"));
    toxic.toxicity = it->get<double>();
  }
  if (toxic.stream != "upstream" && toxic.stream != "downstream")
    return api_error(400, "stream was invalid, can be either upstream or downstream");
  if (toxic.name.empty()) toxic.name = toxic.type + "_" + toxic.stream;
  auto defaults = default_attributes(toxic.type);
  if (!defaults) return api_error(400, "invalid toxic type");
  for (const auto& t : proxy.toxics)
    if (t.name == toxic.name) return api_error(409, "toxic already exists");
  toxic.attributes = *defaults;
  if (auto it = j->find("attributes"); it != j->end()) {
    if (std::string bad = merge_attributes(toxic.type, *it, toxic.attributes); !bad.empty())
      return api_error(400, "bad request body: " + bad);
  }
  if (std::string failed = arm(proxy, toxic); !failed.empty()) {
    backend_.audit("toxiproxy.toxic.create", proxy.name + "/" + toxic.name, "error: " + failed);
    return api_error(400, "bad request body: " + failed);
  }
  proxy.toxics.push_back(toxic);
  backend_.audit("toxiproxy.toxic.create", proxy.name + "/" + toxic.name, "ok");
  return json_reply(200, toxic_json(toxic));
}

Reply ToxiproxyApi::toxic_update(Proxy& proxy, Toxic& toxic, const std::string& body) {
  auto j = parse_body(body);
  if (!j) return api_error(400, decode_error(body));
  if (!j->is_object())
    return api_error(400,
                     go_type_error(*j, "struct { Attributes interface {}; Toxicity float32 }"));
  // Only the attributes and the toxicity change (Toxiproxy ignores the rest).
  Toxic next = toxic;
  if (auto it = j->find("toxicity"); it != j->end() && !it->is_null()) {
    if (!it->is_number()) return api_error(400, go_type_error(*it, "float32"));
    next.toxicity = it->get<double>();
  }
  if (auto it = j->find("attributes"); it != j->end()) {
    if (std::string bad = merge_attributes(next.type, *it, next.attributes); !bad.empty())
      return api_error(400, "bad request body: " + bad);
  }
  if (std::string failed = arm(proxy, next); !failed.empty()) {
    backend_.audit("toxiproxy.toxic.update", proxy.name + "/" + toxic.name, "error: " + failed);
    return api_error(400, "bad request body: " + failed);
  }
  toxic = std::move(next);
  backend_.audit("toxiproxy.toxic.update", proxy.name + "/" + toxic.name, "ok");
  return json_reply(200, toxic_json(toxic));
}

Reply ToxiproxyApi::toxic_delete(Proxy& proxy, std::string name) {
  for (auto it = proxy.toxics.begin(); it != proxy.toxics.end(); ++it) {
    if (it->name != name) continue;
    disarm(*it);
    proxy.toxics.erase(it);
    break;
  }
  backend_.audit("toxiproxy.toxic.delete", proxy.name + "/" + name, "ok");
  return no_content();
}

}  // namespace faultline::proxy::toxiproxy
