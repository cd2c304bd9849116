#include "tests/integration/admin/admin_support.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>

namespace faultline::harness::admin_test {

std::string ApiReply::str(const std::string& key) const {
  if (!json.is_object()) return {};
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::ostream& operator<<(std::ostream& os, const ApiReply& r) {
  return os << "HTTP " << r.status() << " io=" << static_cast<int>(r.http.io)
            << " body=" << r.body();
}

ApiReply api(const Endpoint& admin, const ApiCall& call) {
  std::vector<Header> headers{{"Connection", "close"}};
  if (!call.token.empty()) headers.push_back({"Authorization", "Bearer " + call.token});
  if (!call.body.empty() && !call.content_type.empty())
    headers.push_back({"Content-Type", call.content_type});
  for (const auto& h : call.extra_headers) headers.push_back(h);
  ApiReply reply;
  RawClient client(admin);
  if (!client.connected()) {
    reply.http.io = IoStatus::kError;
    reply.http.err = client.connect_errno();
  } else {
    // make_request frames the body (Content-Length, also 0 for a bodyless POST or PUT).
    reply.http =
        client.request(make_request(call.method, call.path, headers, call.body), Millis(15000));
  }
  reply.received_at = Clock::now();
  reply.json = nlohmann::json::parse(reply.http.body, nullptr, /*allow_exceptions=*/false);
  return reply;
}

ApiReply api_get(const Endpoint& admin, const std::string& path, const std::string& token) {
  ApiCall call;
  call.path = path;
  call.token = token;
  return api(admin, call);
}

ApiReply api_send(const Endpoint& admin, const std::string& method, const std::string& path,
                  const std::string& body, const std::string& token) {
  ApiCall call;
  call.method = method;
  call.path = path;
  call.body = body;
  call.token = token;
  return api(admin, call);
}

std::string scrape(const Endpoint& admin) {
  ApiReply r = api_get(admin, "/metrics");
  return r.status() == 200 ? r.body() : std::string();
}

namespace {

// Parses `{a="x",b="y"}` (with the text format's escapes) into a map.
bool parse_labels(std::string_view text, std::map<std::string, std::string>& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ',' || text[i] == ' ') {
      ++i;
      continue;
    }
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    std::string key(text.substr(i, eq - i));
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\' && j + 1 < text.size()) {
        ++j;
        value += text[j] == 'n' ? '\n' : text[j];
      } else {
        value += text[j];
      }
    }
    if (j >= text.size()) return false;
    out[key] = value;
    i = j + 1;
  }
  return true;
}

}  // namespace

std::optional<double> metric(const std::string& exposition, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    std::string_view rest = std::string_view(line).substr(name.size());
    std::map<std::string, std::string> found;
    if (!rest.empty() && rest[0] == '{') {
      const size_t close = rest.rfind('}');
      if (close == std::string_view::npos) continue;
      if (!parse_labels(rest.substr(1, close - 1), found)) continue;
      rest = rest.substr(close + 1);
    }
    if (rest.empty() || rest[0] != ' ') continue;  // a longer metric name
    if (found != labels) continue;
    std::string value(rest.substr(1));
    if (const size_t space = value.find(' '); space != std::string::npos) value.resize(space);
    if (value == "+Inf") return std::numeric_limits<double>::infinity();
    try {
      return std::stod(value);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

HttpResponse proxy_get(const Endpoint& listener, const std::string& path,
                       const std::vector<Header>& headers, Millis timeout) {
  RawClient client(listener);
  if (!client.connected()) {
    HttpResponse r;
    r.io = IoStatus::kError;
    r.err = client.connect_errno();
    return r;
  }
  std::vector<Header> all{{"Connection", "close"}};
  all.insert(all.end(), headers.begin(), headers.end());
  return client.request(get_request(path, all), timeout);
}

void replace_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".next";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << content;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << "rename " << tmp;
}

std::string closed_port_address() {
  uint16_t port = 0;
  { Fd fd = listen_tcp(0, 1, &port); }
  return "127.0.0.1:" + std::to_string(port);
}

CommandResult run_ctl(const Endpoint& admin, const std::vector<std::string>& args,
                      const std::string& token, Millis timeout) {
  std::vector<std::string> argv{"ctl", "--admin", "http://" + admin.str()};
  if (!token.empty()) {
    argv.push_back("--token");
    argv.push_back(token);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  // An inherited $FAULTLINE_TOKEN must not stand in for a missing --token.
  return run_faultline(argv, timeout, {"FAULTLINE_TOKEN=", "FAULTLINE_ADMIN="});
}

std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  char zulu = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, &zulu) != 8 ||
      zulu != 'Z')
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(millis);
}

std::string proxy_config(const std::string& upstream, const std::string& tail,
                         const std::string& admin_extra, int workers) {
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = upstream;
  spec.listeners.push_back(listener);
  spec.workers = workers;
  spec.admin_extra = admin_extra;
  spec.tail = tail;
  return config_toml(spec);
}

}  // namespace faultline::harness::admin_test
