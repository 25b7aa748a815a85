// The web chat visitor routes (API.md "Web chat"): /widget/v1/visitors, conversation, messages,
// handoff, end, typing, presence (also as a sendBeacon text/plain body), read, offline-messages,
// and the widget's public settings. CORS per widget key (widget_cors.h).
#include "http/widget_cors.h"

namespace handoffd::http {
namespace {

using webchat::VisitorMessageJson;
using webchat::VisitorSessionJson;

std::string StringField(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status RequireString(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  if (it != body.end() && !it->is_string() && !it->is_null()) {
    return Status::BadRequest(std::string(key) + " must be a string");
  }
  return Status::Ok();
}

/// Runs `f(visitor, body)` for an authenticated visitor with a parsed JSON body; errors (with
/// CORS headers when the origin is allowed) otherwise.
template <typename F>
httplib::Server::Handler VisitorPost(Context& ctx, F f) {
  return Timed(ctx, "widget", [&ctx, f](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseJsonBody(req);
    const std::string body_token = body.ok() ? StringField(*body, "token") : "";
    auto visitor = AuthenticateVisitor(ctx, req, res, body_token);
    if (!visitor.ok()) return SendError(res, visitor.status());
    if (!body.ok()) return SendError(res, body.status());
    f(*ctx.deps.webchat, *visitor, *body, req, res);
  });
}

void SendStatus(httplib::Response& res, const Status& st) {
  if (!st.ok()) return SendError(res, st);
  res.status = 204;
}

}  // namespace

void RegisterWidgetRoutes(httplib::Server& server, Context& ctx) {
  // Preflight: any origin some widget allows (the widget is not known yet).
  server.Options(R"(/widget/v1/.*)", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto wc = Webchat(ctx);
    if (!wc.ok()) return SendError(res, wc.status());
    if (Status st = CheckAnyOrigin(**wc, req, res); !st.ok()) return SendError(res, st);
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
    res.set_header("Access-Control-Max-Age", "600");
    res.status = 204;
  });

  // The widget's public settings (name, welcome text, buttons, open now), for widget.js.
  server.Get(R"(/widget/v1/widgets/([A-Za-z0-9_-]{1,64}))",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto wc = Webchat(ctx);
               if (!wc.ok()) return SendError(res, wc.status());
               const WebchatWidget* w = (*wc)->FindWidget(req.matches[1]);
               if (w == nullptr) return SendError(res, Status::NotFound("unknown widget key"));
               if (Status st = CheckOrigin(req, res, *w); !st.ok()) return SendError(res, st);
               nlohmann::json buttons = nlohmann::json::array();
               for (const auto& b : w->menu_buttons) {
                 buttons.push_back({{"id", b.id}, {"title", b.title}});
               }
               SendJson(res, 200,
                        {{"key", w->key},
                         {"name", w->name},
                         {"welcome_text", w->welcome_text},
                         {"menu_buttons", buttons},
                         {"open_now", (*wc)->OpenNow(w->key)}});
             });

  Post(
      server, ctx, "/widget/v1/visitors",
      Timed(ctx, "widget", [&ctx](const httplib::Request& req, httplib::Response& res) {
        auto wc = Webchat(ctx);
        if (!wc.ok()) return SendError(res, wc.status());
        auto body = ParseJsonBody(req);
        if (!body.ok()) {
          (void)CheckAnyOrigin(**wc, req, res);
          return SendError(res, body.status());
        }
        const std::string key = StringField(*body, "widget_key");
        const WebchatWidget* w = (*wc)->FindWidget(key);
        if (w == nullptr) {
          if (Status st = CheckAnyOrigin(**wc, req, res); !st.ok()) return SendError(res, st);
          return SendError(res, Status::NotFound("unknown widget key"));
        }
        if (Status st = CheckOrigin(req, res, *w); !st.ok()) return SendError(res, st);
        for (const char* k : {"name", "email"}) {
          if (Status st = RequireString(*body, k); !st.ok()) return SendError(res, st);
        }
        auto created = (*wc)->CreateVisitor(key, StringField(*body, "name"),
                                            StringField(*body, "email"), req.remote_addr);
        if (!created.ok()) return SendError(res, created.status());
        SendJson(res, 201, {{"visitor_id", created->first.id}, {"visitor_token", created->second}});
      }));

  server.Get("/widget/v1/conversation",
             Timed(ctx, "widget", [&ctx](const httplib::Request& req, httplib::Response& res) {
               auto visitor = AuthenticateVisitor(ctx, req, res);
               if (!visitor.ok()) return SendError(res, visitor.status());
               auto conv = ctx.deps.webchat->Conversation(*visitor);
               if (!conv.ok()) return SendError(res, conv.status());
               nlohmann::json messages = nlohmann::json::array();
               for (const Message& m : conv->messages) {
                 if (auto j = VisitorMessageJson(m)) messages.push_back(std::move(*j));
               }
               SendJson(res, 200,
                        {{"session", conv->session ? VisitorSessionJson(*conv->session, conv->queue)
                                                   : nlohmann::json(nullptr)},
                         {"messages", messages},
                         {"open_now", conv->queue.open_now}});
             }));

  Post(
      server, ctx, "/widget/v1/messages",
      VisitorPost(ctx, [](webchat::WebchatService& wc, const Visitor& v, const nlohmann::json& body,
                          const httplib::Request&, httplib::Response& res) {
        const auto it = body.find("content");
        if (it == body.end() || !it->is_string()) {
          return SendError(res, Status::BadRequest("content must be a string"));
        }
        auto m = wc.PostMessage(v, it->get<std::string>());
        if (!m.ok()) return SendError(res, m.status());
        SendJson(res, 201, *VisitorMessageJson(*m));
      }));

  Post(server, ctx, "/widget/v1/handoff",
       VisitorPost(ctx, [](webchat::WebchatService& wc, const Visitor& v, const nlohmann::json&,
                           const httplib::Request&, httplib::Response& res) {
         auto s = wc.Handoff(v);
         if (!s.ok()) return SendError(res, s.status());
         SendJson(res, 201, VisitorSessionJson(*s, wc.Queue(*s)));
       }));

  Post(server, ctx, "/widget/v1/end",
       VisitorPost(ctx, [](webchat::WebchatService& wc, const Visitor& v, const nlohmann::json&,
                           const httplib::Request&, httplib::Response& res) {
         auto s = wc.End(v);
         if (!s.ok()) return SendError(res, s.status());
         SendJson(res, 200, VisitorSessionJson(*s, {}));
       }));

  Post(
      server, ctx, "/widget/v1/typing",
      VisitorPost(ctx, [](webchat::WebchatService& wc, const Visitor& v, const nlohmann::json& body,
                          const httplib::Request&, httplib::Response& res) {
        const auto it = body.find("typing");
        if (it == body.end() || !it->is_boolean()) {
          return SendError(res, Status::BadRequest("typing must be true or false"));
        }
        SendStatus(res, wc.Typing(v, it->get<bool>()));
      }));

  Post(
      server, ctx, "/widget/v1/presence",
      VisitorPost(ctx, [](webchat::WebchatService& wc, const Visitor& v, const nlohmann::json& body,
                          const httplib::Request&, httplib::Response& res) {
        SendStatus(res, wc.Presence(v, StringField(body, "state")));
      }));

  Post(
      server, ctx, "/widget/v1/read",
      VisitorPost(ctx, [](webchat::WebchatService& wc, const Visitor& v, const nlohmann::json& body,
                          const httplib::Request&, httplib::Response& res) {
        const auto it = body.find("up_to_message_id");
        if (it == body.end() || !it->is_number_integer()) {
          return SendError(res, Status::BadRequest("up_to_message_id must be a message id"));
        }
        SendStatus(res, wc.Read(v, it->get<int64_t>()));
      }));

  // The offline form: by a visitor (bearer token) or by anyone on an allowed origin naming the
  // widget (`widget_key`), so a page can show the form before creating a visitor.
  Post(
      server, ctx, "/widget/v1/offline-messages",
      Timed(ctx, "widget", [&ctx](const httplib::Request& req, httplib::Response& res) {
        auto wc = Webchat(ctx);
        if (!wc.ok()) return SendError(res, wc.status());
        auto body = ParseJsonBody(req);
        std::string key = body.ok() ? StringField(*body, "widget_key") : "";
        std::optional<int64_t> visitor_id;
        if (VisitorToken(req)) {
          auto visitor = AuthenticateVisitor(ctx, req, res);
          if (!visitor.ok()) return SendError(res, visitor.status());
          key = visitor->widget_key;
          visitor_id = visitor->id;
        } else {
          const WebchatWidget* w = (*wc)->FindWidget(key);
          if (w == nullptr) {
            if (Status st = CheckAnyOrigin(**wc, req, res); !st.ok()) return SendError(res, st);
            return SendError(res, Status::Unauthorized("visitor token or widget_key required"));
          }
          if (Status st = CheckOrigin(req, res, *w); !st.ok()) return SendError(res, st);
        }
        if (!body.ok()) return SendError(res, body.status());
        for (const char* k : {"name", "email", "message"}) {
          if (Status st = RequireString(*body, k); !st.ok()) return SendError(res, st);
        }
        auto stored = (*wc)->LeaveOfflineMessage(key, visitor_id, StringField(*body, "name"),
                                                 StringField(*body, "email"),
                                                 StringField(*body, "message"), req.remote_addr);
        if (!stored.ok()) return SendError(res, stored.status());
        SendJson(res, 201, {{"id", stored->id}, {"created_at", FormatRfc3339(stored->created_at)}});
      }));
}

}  // namespace handoffd::http
