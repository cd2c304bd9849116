#pragma once
// Toxiproxy 2.x's REST API (SPEC §10.2) as a Handler on the HTTP/1.1 server engine: its routes,
// JSON shapes, status codes, error bodies and content types, and its refusal of browsers.
// Proxies are TCP listeners the Backend creates at runtime; toxics are experiments. The state
// (proxies and their toxics) lives here, on the API's own loop thread.
#include <map>
#include <string>
#include <vector>

#include "proxy/compat/backend.h"
#include "proxy/compat/toxics.h"
#include "proxy/http/server_engine.h"

namespace faultline::proxy::toxiproxy {

// What GET /version answers: the Toxiproxy API level this emulates (clients compare it).
inline constexpr const char* kApiVersion = "2.12.0";

class ToxiproxyApi final : public HttpServerEngine::Handler {
 public:
  explicit ToxiproxyApi(Backend& backend) : backend_(backend) {}

  ServerAnswer answer(const ServerRequest& request, bool keep_alive) override;
  std::string refusal(int status, const std::string& message) override;

  struct Reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  // Routing and the endpoints, without the wire format (tests call it directly too).
  Reply handle(const std::string& method, const std::string& path, const std::string& body,
               std::string_view user_agent);

 private:
  struct Proxy {
    std::string name;
    std::string listen;
    std::string upstream;
    bool enabled = true;
    std::vector<Toxic> toxics;  // in order of creation
  };

  Reply proxy_index() const;
  Reply proxy_create(const std::string& body);
  Reply populate(const std::string& body);
  Reply reset();
  Reply proxy_update(Proxy& proxy, const std::string& body);
  Reply proxy_delete(const std::string& name);
  Reply toxic_create(Proxy& proxy, const std::string& body);
  Reply toxic_update(Proxy& proxy, Toxic& toxic, const std::string& body);
  Reply toxic_delete(Proxy& proxy, std::string name);  // a copy: the toxic goes

  Json proxy_json(const Proxy& proxy) const;
  Json toxics_json(const Proxy& proxy) const;
  // Applies `proxies` (the wanted set) to the listeners; "" or the bind error. On success the
  // listen addresses of enabled proxies are the bound ones.
  std::string apply(std::map<std::string, Proxy>& proxies);
  // Gives the toxic its effect (an experiment) or takes it away; "" or the error.
  std::string arm(const Proxy& proxy, Toxic& toxic);
  void disarm(Toxic& toxic);
  std::string experiment_name(const std::string& proxy, const std::string& toxic);

  Backend& backend_;
  std::map<std::string, Proxy> proxies_;  // by name: GET /proxies lists them sorted, as Go does
  uint64_t next_experiment_ = 1;
};

}  // namespace faultline::proxy::toxiproxy
