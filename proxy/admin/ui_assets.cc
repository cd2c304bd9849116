#include "proxy/admin/ui_assets.h"

namespace faultline::proxy::admin {

std::optional<UiFile> find_ui_file(std::string_view name) {
  if (name.empty()) name = "index.html";
  for (const UiFile& file : ui_files())
    if (file.name == name) return file;
  return std::nullopt;
}

std::string_view ui_content_type(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::vector<std::pair<std::string, std::string>> ui_headers() {
  return {{"Content-Security-Policy", std::string(kUiContentSecurityPolicy)},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          // A new binary may bring a new console; never run yesterday's script against it.
          {"Cache-Control", "no-cache"}};
}

}  // namespace faultline::proxy::admin
