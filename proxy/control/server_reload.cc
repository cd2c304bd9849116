// Server: reloads that do not come through the admin API (SIGHUP, the config file watch) and
// the expiry audit. Both land in the audit trail like API changes do.
#include <algorithm>

#include "proxy/control/config_watch.h"
#include "proxy/control/server.h"
#include "proxy/log.h"

namespace faultline::proxy {

void Server::reload_and_audit(const char* client) {
  admin::Outcome outcome = reload();
  audit_.record(client, "reload", {}, outcome.ok() ? "ok" : "error: " + outcome.error);
}

void Server::start_config_watch() {
  const config::Config& cfg = *config_;
  if (!cfg.runtime.watch_config) return;
  if (cfg.file.empty()) {
    log::main().warn("runtime.watch_config: no config file to watch (built-in config)");
    return;
  }
  config_watch_ = std::make_unique<ConfigWatch>(&loop_, cfg.file, [this] {
    log::main().info("config file changed: reloading {}", config()->file);
    reload_and_audit("watch");
  });
  if (auto st = config_watch_->start(); !st) {
    // Not fatal: SIGHUP and POST /v1/reload still work.
    log::main().error("runtime.watch_config: {}; reload with SIGHUP instead", st.error());
    return;
  }
  log::main().info("watching {} for config changes", config_watch_->directory());
  watch_tls_files();
}

namespace {
// The certificate, key and CA files `cfg` names, each once.
std::vector<std::string> tls_files(const config::Config& cfg) {
  std::vector<std::string> files;
  for (const auto& l : cfg.listeners) {
    for (const std::string* f :
         {&l.tls.cert_file, &l.tls.key_file, &l.tls.client_ca_file, &l.upstream_tls.ca_file,
          &l.upstream_tls.cert_file, &l.upstream_tls.key_file}) {
      if (!f->empty() && std::find(files.begin(), files.end(), *f) == files.end())
        files.push_back(*f);
    }
  }
  return files;
}
}  // namespace

void Server::watch_tls_files() {
  if (!config_watch_ || config_watch_->closed() || draining_) return;
  // Certificates and keys: a change (a renewal, a Kubernetes Secret's `..data` swap) reloads,
  // and a bad file is refused like any failed reload. The set follows the running config, so
  // files a reload names are watched from then on and files it no longer names are not.
  const std::vector<std::string> files = tls_files(*config());
  for (auto it = tls_watches_.begin(); it != tls_watches_.end();) {
    if (std::find(files.begin(), files.end(), (*it)->path()) != files.end()) {
      ++it;
      continue;
    }
    (*it)->close();  // its handles close on the loop; the object waits for that
    retired_tls_watches_.push_back(std::move(*it));
    it = tls_watches_.erase(it);
  }
  std::erase_if(retired_tls_watches_, [](const auto& w) { return w->closed(); });
  for (const std::string& file : files) {
    if (std::any_of(tls_watches_.begin(), tls_watches_.end(),
                    [&](const auto& w) { return w->path() == file; }))
      continue;
    auto watch = std::make_unique<ConfigWatch>(&loop_, file, [this, file] {
      log::main().info("TLS file {} changed: reloading {}", file, config()->file);
      reload_and_audit("watch");
    });
    if (auto st = watch->start(); !st) {
      log::main().error("runtime.watch_config: {}; reload with SIGHUP instead", st.error());
      continue;
    }
    tls_watches_.push_back(std::move(watch));
  }
}

void Server::stop_config_watch() {
  if (config_watch_) config_watch_->close();
  for (auto& watch : tls_watches_) watch->close();
}

void Server::audit_expiries() {
  ActiveConfigPtr snap = snapshot();
  if (!snap || !snap->faults) return;
  expiry_audit_.check(*snap->faults, faults::Clock::now(), audit_);
}

}  // namespace faultline::proxy
