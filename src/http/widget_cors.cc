#include "http/widget_cors.h"

namespace handoffd::http {

Result<webchat::WebchatService*> Webchat(Context& ctx) {
  if (ctx.deps.webchat == nullptr) return Status::NotFound("web chat is not configured");
  return ctx.deps.webchat;
}

void SetCorsHeaders(httplib::Response& res, const std::string& origin) {
  // Set once: a browser refuses a response with two Allow-Origin values.
  if (res.has_header("Access-Control-Allow-Origin")) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "Retry-After");
}

namespace {

// handoffd's own pages (GET /widget/demo) may use every widget.
bool OwnOrigin(const httplib::Request& req, const std::string& origin) {
  const std::string host = req.get_header_value("Host");
  return !host.empty() && (origin == "http://" + host || origin == "https://" + host);
}

}  // namespace

Status CheckOrigin(const httplib::Request& req, httplib::Response& res,
                   const WebchatWidget& widget) {
  if (!req.has_header("Origin")) return Status::Ok();
  const std::string origin = req.get_header_value("Origin");
  if (!webchat::WebchatService::OriginAllowed(widget, origin) && !OwnOrigin(req, origin)) {
    return Status::Forbidden("origin not allowed for this widget");
  }
  SetCorsHeaders(res, origin);
  return Status::Ok();
}

Status CheckAnyOrigin(webchat::WebchatService& wc, const httplib::Request& req,
                      httplib::Response& res) {
  if (!req.has_header("Origin")) return Status::Ok();
  const std::string origin = req.get_header_value("Origin");
  if (!wc.AnyWidgetAllows(origin) && !OwnOrigin(req, origin))
    return Status::Forbidden("origin not allowed");
  SetCorsHeaders(res, origin);
  return Status::Ok();
}

std::optional<std::string> VisitorToken(const httplib::Request& req,
                                        const std::string& body_token) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0 && auth.size() > 7) return auth.substr(7);
  if (req.has_param("token")) return req.get_param_value("token");
  if (!body_token.empty()) return body_token;
  return std::nullopt;
}

Result<Visitor> AuthenticateVisitor(Context& ctx, const httplib::Request& req,
                                    httplib::Response& res, const std::string& body_token) {
  HANDOFFD_ASSIGN_OR_RETURN(auto wc, Webchat(ctx));
  HANDOFFD_RETURN_IF_ERROR(CheckAnyOrigin(*wc, req, res));
  const auto token = VisitorToken(req, body_token);
  if (!token) return Status::Unauthorized("visitor token required");
  HANDOFFD_ASSIGN_OR_RETURN(auto visitor, wc->Authenticate(*token));
  const WebchatWidget* widget = wc->FindWidget(visitor.widget_key);
  if (widget == nullptr) return Status::Forbidden("this widget no longer exists");
  HANDOFFD_RETURN_IF_ERROR(CheckOrigin(req, res, *widget));
  return visitor;
}

}  // namespace handoffd::http
