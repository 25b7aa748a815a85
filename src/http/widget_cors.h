// Internal to src/http: CORS and visitor authentication of the web chat visitor routes
// (API.md "Web chat": answered only for a widget's allowed_origins, 403 for any other Origin).
#pragma once

#include <optional>
#include <string>

#include "channels/webchat/webchat_service.h"
#include "http/http_internal.h"

namespace handoffd::http {

/// The web chat service, or kNotFound when the channel is off (no widgets configured).
Result<webchat::WebchatService*> Webchat(Context& ctx);

/// Sets the CORS answer headers for `origin` (Allow-Origin, Vary, Expose-Headers).
void SetCorsHeaders(httplib::Response& res, const std::string& origin);

/// Checks the request's `Origin` against `widget` (no Origin: not a browser, allowed) and sets
/// the CORS headers when allowed. kForbidden otherwise.
Status CheckOrigin(const httplib::Request& req, httplib::Response& res,
                   const WebchatWidget& widget);

/// Checks that the request's `Origin` (if any) belongs to some widget, and sets the CORS
/// headers; kForbidden otherwise. Used before the widget is known.
Status CheckAnyOrigin(webchat::WebchatService& wc, const httplib::Request& req,
                      httplib::Response& res);

/// The visitor token: "Authorization: Bearer T", else ?token= (event stream, polling,
/// sendBeacon), else `body_token` (a sendBeacon body's "token").
std::optional<std::string> VisitorToken(const httplib::Request& req,
                                        const std::string& body_token = "");

/// Authenticates the visitor of the request and checks the Origin against its widget.
/// 401 without a valid token, 403 for a foreign Origin.
Result<Visitor> AuthenticateVisitor(Context& ctx, const httplib::Request& req,
                                    httplib::Response& res, const std::string& body_token = "");

void RegisterWidgetRoutes(httplib::Server& server, Context& ctx);
void RegisterWidgetEventRoutes(httplib::Server& server, Context& ctx);
void RegisterWebchatAgentRoutes(httplib::Server& server, Context& ctx);
void RegisterWidgetAssetRoutes(httplib::Server& server, Context& ctx);

}  // namespace handoffd::http
