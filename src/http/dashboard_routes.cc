// Serves the agent dashboard at "/": the compiled-in files, or a folder (server.dashboard_dir)
// during development. Only known file names are served; there is no directory traversal.
#include <fstream>
#include <iterator>

#include "http/dashboard_assets.h"
#include "http/http_internal.h"

namespace handoffd::http {
namespace {

std::string ContentType(const std::string& path) {
  auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json") || ends(".webmanifest")) return "application/json";
  return "text/plain; charset=utf-8";
}

std::optional<std::string> Load(const Context& ctx, const std::string& path) {
  if (!ctx.options.dashboard_dir.empty()) {
    if (path.find("..") != std::string::npos) return std::nullopt;
    std::ifstream in(ctx.options.dashboard_dir + "/" + path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  const auto& files = EmbeddedDashboard();
  auto it = files.find(path);
  if (it == files.end()) return std::nullopt;
  return it->second;
}

void Serve(Context& ctx, const std::string& path, httplib::Response& res) {
  auto body = Load(ctx, path);
  if (!body) return SendError(res, Status::NotFound("no such file"));
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                 "connect-src 'self'; frame-ancestors 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.status = 200;
  res.set_content(*body, ContentType(path).c_str());
}

}  // namespace

void RegisterDashboardRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/", [&ctx](const httplib::Request&, httplib::Response& res) {
    Serve(ctx, "index.html", res);
  });
  server.Get(
      R"(/((?:[A-Za-z0-9_\-]+/)*[A-Za-z0-9_\-.]+\.(?:html|js|mjs|css|svg|json|webmanifest)))",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        Serve(ctx, req.matches[1], res);
      });
}

}  // namespace handoffd::http
