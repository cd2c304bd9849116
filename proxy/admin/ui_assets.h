#pragma once
// The web console's files (proxy/admin/ui/), embedded at build time (embed_ui.cmake), and how
// GET /ui/... answers with them: content type and the headers every page needs (a strict CSP).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::proxy::admin {

struct UiFile {
  std::string_view name;  // "index.html", "console.js", ...
  std::string_view body;
};

// Every embedded file (generated source).
const std::vector<UiFile>& ui_files();

// The file a path under /ui/ names ("" = index.html); nullopt for anything else.
std::optional<UiFile> find_ui_file(std::string_view name);

// "text/html; charset=utf-8", "text/javascript; charset=utf-8", ... by extension.
std::string_view ui_content_type(std::string_view name);

// No inline script or style, nothing from another origin, no framing, no referrer.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The headers sent with every console file.
std::vector<std::pair<std::string, std::string>> ui_headers();

}  // namespace faultline::proxy::admin
