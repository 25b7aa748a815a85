// Agent tools (API.md "Agent tools and reports"): internal notes, labels, transcripts and canned
// responses. Every route needs a login; reads of a session follow SessionService::Readable.
#include <sstream>

#include "domain/labels.h"
#include "http/http_internal.h"
#include "router/agent_tools.h"
#include "router/conversation.h"

namespace handoffd::http {
namespace {

using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Agent&)>;

constexpr size_t kMaxCannedCodePoints = 4096;

httplib::Server::Handler Authed(Context& ctx, Handler f) {
  return Timed(ctx, "api", [&ctx, f](const httplib::Request& req, httplib::Response& res) {
    auto agent = Authenticate(ctx, req);
    if (!agent.ok()) return SendError(res, agent.status());
    f(req, res, *agent);
  });
}

nlohmann::json CannedJson(const CannedResponse& c) {
  return {{"id", c.id},
          {"shortcut", c.shortcut},
          {"content", c.content},
          {"created_at", FormatRfc3339(c.created_at)},
          {"updated_at", FormatRfc3339(c.updated_at)}};
}

bool IsShortcut(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/// Reads {"shortcut","content"} of a canned response; kBadRequest names what is wrong.
Result<CannedResponse> ReadCanned(const httplib::Request& req) {
  HANDOFFD_ASSIGN_OR_RETURN(auto body, ParseJsonBody(req));
  const auto& shortcut = body["shortcut"];
  const auto& content = body["content"];
  if (!shortcut.is_string() || !IsShortcut(shortcut.get<std::string>())) {
    return Status::BadRequest("shortcut must be 1-32 of a-z, 0-9, _ and -");
  }
  if (!content.is_string() || NormalizeKeyword(content.get<std::string>()).empty() ||
      CodePointCount(content.get<std::string>()) > kMaxCannedCodePoints) {
    return Status::BadRequest("content must be 1-4096 characters");
  }
  CannedResponse c;
  c.shortcut = shortcut.get<std::string>();
  c.content = content.get<std::string>();
  return c;
}

/// "2026-11-21 05:30:00 UTC" (transcripts).
std::string TextTime(TimePoint t) {
  std::string s = FormatRfc3339(t);  // 2026-11-21T05:30:00.123Z
  return s.substr(0, 10) + " " + s.substr(11, 8) + " UTC";
}

std::string SenderLabel(const Message& m, const Session& s) {
  switch (m.sender_type) {
    case SenderType::kCustomer:
      return s.customer_name.empty() ? "Customer" : s.customer_name;
    case SenderType::kAgent: {
      auto meta = nlohmann::json::parse(m.metadata, nullptr, false);
      if (meta.is_object() && meta.contains("author_name") && meta["author_name"].is_string()) {
        return meta["author_name"].get<std::string>();
      }
      return "Agent " + m.sender_id;
    }
    case SenderType::kBot:
      return "Bot";
    case SenderType::kSystem:
      return "System";
  }
  return "";
}

std::string TranscriptText(const Transcript& t) {
  std::ostringstream out;
  const Session& s = t.session;
  out << "Session " << s.id << " (" << s.channel << ") with "
      << (s.customer_name.empty() ? s.phone_number : s.customer_name + " " + s.phone_number)
      << "\n";
  out << "Created: " << TextTime(s.created_at) << "\n";
  if (s.agent_name) out << "Agent: " << *s.agent_name << "\n";
  if (s.ended_at) {
    out << "Ended: " << TextTime(*s.ended_at)
        << (s.end_reason ? std::string(" (") + ToString(*s.end_reason) + ")" : "") << "\n";
  }
  out << "\n";
  for (const Message& m : t.messages) {
    out << "[" << TextTime(m.created_at) << "] " << SenderLabel(m, s);
    if (m.type == "note") out << " (internal note)";
    out << ": " << m.content << "\n";
  }
  return out.str();
}

}  // namespace

void RegisterToolRoutes(httplib::Server& server, Context& ctx) {
  ctx.tools =
      std::make_unique<AgentTools>(ctx.deps.store, ctx.deps.clock, ctx.deps.sessions, [&ctx] {
        if (ctx.deps.events) ctx.deps.events->Notify();
      });
  const std::string base = "/api/agent/sessions";

  Post(server, ctx, base + R"(/([^/]+)/notes)",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto body = ParseJsonBody(req);
         if (!body.ok()) return SendError(res, body.status());
         if (!(*body)["content"].is_string()) {
           return SendError(res, Status::BadRequest("content is required"));
         }
         auto m = ctx.tools->AddNote(*id, agent, (*body)["content"].get<std::string>());
         if (!m.ok()) return SendError(res, m.status());
         ctx.deps.log.Info("note.added",
                           {{"session_id", *id}, {"message_id", m->id}, {"agent_id", agent.id}});
         SendJson(res, 201, MessageJson(*m));
       }));

  Put(server, ctx, base + R"(/([^/]+)/labels)",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("session not found"));
        auto body = ParseJsonBody(req);
        if (!body.ok()) return SendError(res, body.status());
        const auto& list = (*body)["labels"];
        if (!list.is_array() || list.size() > 100) {
          return SendError(res, Status::BadRequest("labels must be an array of strings"));
        }
        std::vector<std::string> labels;
        for (const auto& l : list) {
          if (!l.is_string()) {
            return SendError(res, Status::BadRequest("labels must be an array of strings"));
          }
          labels.push_back(l.get<std::string>());
        }
        auto s = ctx.tools->SetLabels(*id, agent, labels);
        if (!s.ok()) return SendError(res, s.status());
        SendJson(res, 200, SessionJson(*s));
      }));

  server.Get(
      base + R"(/([^/]+)/transcript)",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("session not found"));
        const std::string format =
            req.has_param("format") ? req.get_param_value("format") : std::string("json");
        if (format != "json" && format != "txt") {
          return SendError(res, Status::BadRequest("format must be txt or json"));
        }
        const std::string notes = req.get_param_value("include_notes");
        auto t = ctx.tools->GetTranscript(*id, agent, notes == "true" || notes == "1");
        if (!t.ok()) return SendError(res, t.status());
        const std::string file = "transcript-" + std::to_string(*id) + "." + format;
        res.set_header("Content-Disposition", "attachment; filename=\"" + file + "\"");
        if (format == "txt") {
          res.status = 200;
          res.set_content(TranscriptText(*t), "text/plain; charset=utf-8");
          return;
        }
        nlohmann::json messages = nlohmann::json::array();
        for (const Message& m : t->messages) messages.push_back(MessageJson(m));
        SendJson(res, 200, {{"session", SessionJson(t->session)}, {"messages", messages}});
      }));

  server.Get("/api/canned-responses",
             Authed(ctx, [&ctx](const httplib::Request&, httplib::Response& res, const Agent&) {
               auto list = ctx.deps.store.ListCannedResponses();
               if (!list.ok()) return SendError(res, list.status());
               nlohmann::json out = nlohmann::json::array();
               for (const CannedResponse& c : *list) out.push_back(CannedJson(c));
               SendJson(res, 200, {{"canned_responses", out}});
             }));

  server.Get(R"(/api/canned-responses/([^/]+))",
             Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent&) {
               auto id = ParseInt(req.matches[1]);
               auto c = id ? ctx.deps.store.GetCannedResponse(*id)
                           : Result<std::optional<CannedResponse>>(std::nullopt);
               if (!c.ok()) return SendError(res, c.status());
               if (!c->has_value()) {
                 return SendError(res, Status::NotFound("canned response not found"));
               }
               SendJson(res, 200, CannedJson(**c));
             }));

  Post(server, ctx, "/api/canned-responses",
       Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
         if (!IsSupervisor(agent.role)) {
           return SendError(res, Status::Forbidden("supervisors and admins only"));
         }
         auto in = ReadCanned(req);
         if (!in.ok()) return SendError(res, in.status());
         in->created_by = agent.id;
         auto c = ctx.deps.store.CreateCannedResponse(*in);
         if (!c.ok()) return SendError(res, c.status());
         SendJson(res, 201, CannedJson(*c));
       }));

  Put(server, ctx, R"(/api/canned-responses/([^/]+))",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        if (!IsSupervisor(agent.role)) {
          return SendError(res, Status::Forbidden("supervisors and admins only"));
        }
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("canned response not found"));
        auto in = ReadCanned(req);
        if (!in.ok()) return SendError(res, in.status());
        in->id = *id;
        auto c = ctx.deps.store.UpdateCannedResponse(*in);
        if (!c.ok()) return SendError(res, c.status());
        if (!c->has_value()) return SendError(res, Status::NotFound("canned response not found"));
        SendJson(res, 200, CannedJson(**c));
      }));

  server.Delete(
      R"(/api/canned-responses/([^/]+))",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        if (!IsSupervisor(agent.role)) {
          return SendError(res, Status::Forbidden("supervisors and admins only"));
        }
        auto id = ParseInt(req.matches[1]);
        if (!id) return SendError(res, Status::NotFound("canned response not found"));
        auto gone = ctx.deps.store.DeleteCannedResponse(*id);
        if (!gone.ok()) return SendError(res, gone.status());
        if (!*gone) return SendError(res, Status::NotFound("canned response not found"));
        res.status = 204;
      }));
}

}  // namespace handoffd::http
