// GET /widget.js (the embeddable web chat widget, for any site) and GET /widget/demo?key=KEY (a
// page embedding it, for trying a widget).
#include "http/widget_assets.h"
#include "http/widget_cors.h"

namespace handoffd::http {
namespace {

const std::string* Asset(const std::string& name) {
  const auto& files = EmbeddedWidget();
  auto it = files.find(name);
  return it == files.end() ? nullptr : &it->second;
}

bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

void RegisterWidgetAssetRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/widget.js", [](const httplib::Request&, httplib::Response& res) {
    const std::string* js = Asset("widget.js");
    if (js == nullptr) return SendError(res, Status::NotFound("no widget"));
    // Loaded by other sites' pages: cacheable, and readable cross-origin.
    res.set_header("Cache-Control", "public, max-age=300");
    res.set_header("Access-Control-Allow-Origin", "*");
    res.set_header("Cross-Origin-Resource-Policy", "cross-origin");
    res.status = 200;
    res.set_content(*js, "text/javascript; charset=utf-8");
  });
  server.Get("/widget/demo", [&ctx](const httplib::Request& req, httplib::Response& res) {
    const std::string key = req.get_param_value("key");
    if (!ValidKey(key) || ctx.deps.webchat == nullptr ||
        ctx.deps.webchat->FindWidget(key) == nullptr) {
      return SendError(res, Status::NotFound("unknown widget key"));
    }
    const std::string* page = Asset("demo.html");
    if (page == nullptr) return SendError(res, Status::NotFound("no demo page"));
    std::string html = *page;
    const std::string var = "{{WIDGET_KEY}}";
    for (size_t p = html.find(var); p != std::string::npos; p = html.find(var, p + key.size())) {
      html.replace(p, var.size(), key);
    }
    res.set_header("Referrer-Policy", "no-referrer");
    res.status = 200;
    res.set_content(html, "text/html; charset=utf-8");
  });
}

}  // namespace handoffd::http
