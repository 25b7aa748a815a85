// WhatsApp agent actions (API.md "WhatsApp: window, templates, media, read, typing"):
// templates, attachments (multipart, parsed by cpp-httplib, streamed to media.dir), reactions,
// read receipts, typing, and the media files themselves (GET /api/media/{message_id}).
#include <cstdio>
#include <memory>

#include "http/http_internal.h"
#include "media/media_files.h"
#include "media/media_types.h"
#include "router/agent_sends.h"

namespace handoffd::http {
namespace {

using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Agent&)>;

// Longest caption part read from a multipart body (Meta allows 1024 characters).
constexpr size_t kMaxCaptionBytes = 4096;

httplib::Server::Handler Authed(Context& ctx, Handler f) {
  return Timed(ctx, "api", [&ctx, f](const httplib::Request& req, httplib::Response& res) {
    auto agent = Authenticate(ctx, req);
    if (!agent.ok()) return SendError(res, agent.status());
    f(req, res, *agent);
  });
}

// 201 with the new MESSAGE, or 200 with the first one of a repeated Idempotency-Key.
void SendOutcomeJson(httplib::Response& res, const SendOutcome& out) {
  SendJson(res, out.repeated ? 200 : 201, MessageJson(out.message));
}

// RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name percent-encoded.
std::string Disposition(const std::string& kind, const std::string& filename) {
  std::string ascii;
  std::string encoded;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    ascii.push_back(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? static_cast<char>(c) : '_');
    if (plain) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 15]);
    }
  }
  if (filename.empty()) return kind;
  return kind + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// Receives POST .../attachments: the `file` part streams into a temporary file under media.dir
// while it is hashed; `caption` is kept (bounded); other parts are ignored.
void Attachments(Context& ctx, AgentSends& sends, const httplib::Request& req,
                 httplib::Response& res, const httplib::ContentReader& reader) {
  auto agent = Authenticate(ctx, req);
  if (!agent.ok()) {
    res.set_header("Connection", "close");
    return SendError(res, agent.status());
  }
  if (!req.is_multipart_form_data()) {
    res.set_header("Connection", "close");
    return SendError(res, Status(ErrorCode::kUnsupportedMediaType,
                                 "attachments are sent as multipart/form-data (file, caption)"));
  }
  auto session_id = ParseInt(req.matches[1]);
  if (!session_id) {
    res.set_header("Connection", "close");
    return SendError(res, Status::NotFound("session not found"));
  }
  MediaFiles files(ctx.options.media_dir);
  auto temp = files.TempPath();
  if (!temp.ok()) {
    res.set_header("Connection", "close");
    return SendError(res, temp.status());
  }
  struct Upload {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
    Sha256 hash;
    int64_t size = 0;
    std::string part;
    std::string mime_type;
    std::string filename;
    std::string caption;
    bool seen_file = false;
    std::optional<Status> error;
  } up;
  const int64_t max_bytes = ctx.options.media_max_bytes;
  const bool read = reader(
      [&](const httplib::MultipartFormData& part) {
        up.part = part.name;
        if (part.name == "file") {
          if (up.seen_file) {
            up.error = Status::BadRequest("only one file per attachment");
            return false;
          }
          up.seen_file = true;
          up.mime_type = part.content_type;
          up.filename = part.filename;
          up.file.reset(std::fopen(temp->c_str(), "wb"));
          if (!up.file) {
            up.error = Status::Unavailable("cannot write the media directory");
            return false;
          }
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (up.part == "file" && up.file) {
          if (up.size + static_cast<int64_t>(n) > max_bytes) {
            up.error = Status(ErrorCode::kPayloadTooLarge, "the file is over media.max_bytes");
            return false;
          }
          if (std::fwrite(data, 1, n, up.file.get()) != n) {
            up.error = Status::Unavailable("cannot write the media directory");
            return false;
          }
          up.hash.Update(data, n);
          up.size += static_cast<int64_t>(n);
        } else if (up.part == "caption") {
          if (up.caption.size() + n > kMaxCaptionBytes) {
            up.error = Status::BadRequest("caption must be at most 1024 characters");
            return false;
          }
          up.caption.append(data, n);
        }
        return true;
      });
  const bool closed = up.file ? std::fclose(up.file.release()) == 0 : true;
  auto fail = [&](const Status& st) {
    MediaFiles::Remove(*temp);
    res.set_header("Connection", "close");
    SendError(res, st);
  };
  if (up.error) return fail(*up.error);
  if (res.status == 413) {
    return fail(Status(ErrorCode::kPayloadTooLarge, "request body too large"));
  }
  if (!read) return fail(Status::BadRequest("malformed multipart body"));
  if (!closed) return fail(Status::Unavailable("cannot write the media directory"));
  if (!up.seen_file) return fail(Status::BadRequest("the multipart body needs a part named file"));
  if (up.size == 0) return fail(Status::BadRequest("the file is empty"));
  std::string mime = BaseMediaType(up.mime_type);
  if (mime.empty()) mime = "application/octet-stream";
  const AttachmentKind kind = ClassifyAttachment(mime);
  if (up.size > kind.max_bytes) {
    return fail(Status(ErrorCode::kPayloadTooLarge,
                       kind.media_type + " files may be at most " +
                           std::to_string(kind.max_bytes / (1024 * 1024)) + " MB on WhatsApp"));
  }
  const std::string sha = up.hash.HexDigest();
  auto stored = files.Commit(*temp, sha);
  if (!stored.ok()) return fail(stored.status());
  StoredAttachment file{*stored, sha, up.size, mime, up.filename, kind.media_type};
  if (file.filename.size() > 240) file.filename.resize(240);
  SendOptions options;
  options.idempotency_key = req.get_header_value("Idempotency-Key");
  auto out = sends.Attachment(*session_id, *agent, file, up.caption, options);
  if (!out.ok()) return SendError(res, out.status());
  ctx.deps.log.Info("message.queued", {{"session_id", *session_id},
                                       {"message_id", out->message.id},
                                       {"type", kind.media_type},
                                       {"bytes", up.size}});
  SendOutcomeJson(res, *out);
}

}  // namespace

void RegisterWhatsAppRoutes(httplib::Server& server, Context& ctx) {
  if (ctx.deps.sends == nullptr) return;
  AgentSends& sends = *ctx.deps.sends;
  const std::string base = "/api/agent/sessions";

  server.Get("/api/templates",
             Authed(ctx, [&sends](const httplib::Request&, httplib::Response& res, const Agent&) {
               nlohmann::json list = nlohmann::json::array();
               for (const MessageTemplate& t : sends.templates()) {
                 list.push_back({{"name", t.name},
                                 {"language", t.language},
                                 {"body", t.body},
                                 {"parameters", TemplateParameterCount(t.body)}});
               }
               SendJson(res, 200, {{"templates", list}});
             }));

  Post(server, ctx, base + R"(/([^/]+)/template)",
       Authed(ctx, [&sends](const httplib::Request& req, httplib::Response& res,
                            const Agent& agent) {
         auto id = ParseInt(req.matches[1]);
         if (!id) return SendError(res, Status::NotFound("session not found"));
         auto body = ParseJsonBody(req);
         if (!body.ok()) return SendError(res, body.status());
         const auto& name = (*body)["name"];
         if (!name.is_string() || name.get<std::string>().empty()) {
           return SendError(res, Status::BadRequest("name is required"));
         }
         std::string language;
         if (body->contains("language") && !(*body)["language"].is_null()) {
           if (!(*body)["language"].is_string()) {
             return SendError(res, Status::BadRequest("language must be a string"));
           }
           language = (*body)["language"].get<std::string>();
         }
         std::vector<std::string> parameters;
         if (body->contains("parameters") && !(*body)["parameters"].is_null()) {
           const auto& p = (*body)["parameters"];
           if (!p.is_array() || p.size() > 100) {
             return SendError(res, Status::BadRequest("parameters must be an array of strings"));
           }
           for (const auto& v : p) {
             if (v.is_string()) {
               parameters.push_back(v.get<std::string>());
             } else if (v.is_number()) {
               parameters.push_back(v.dump());
             } else {
               return SendError(res, Status::BadRequest("parameters must be an array of strings"));
             }
           }
         }
         SendOptions options;
         options.idempotency_key = req.get_header_value("Idempotency-Key");
         auto out =
             sends.Template(*id, agent, name.get<std::string>(), language, parameters, options);
         if (!out.ok()) return SendError(res, out.status());
         SendOutcomeJson(res, *out);
       }));

  Post(server, ctx, base + R"(/([^/]+)/read)",
       Authed(ctx,
              [&sends](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
                auto id = ParseInt(req.matches[1]);
                if (!id) return SendError(res, Status::NotFound("session not found"));
                Status st = sends.Read(*id, agent);
                if (!st.ok()) return SendError(res, st);
                res.status = 204;
              }));

  // POST .../typing: webchat_agent_routes.cc (one route for both channels).

  Post(server, ctx, base + R"(/([^/]+)/messages/([^/]+)/reaction)",
       Authed(ctx,
              [&sends](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
                auto id = ParseInt(req.matches[1]);
                if (!id) return SendError(res, Status::NotFound("session not found"));
                auto message_id = ParseInt(req.matches[2]);
                if (!message_id) return SendError(res, Status::NotFound("message not found"));
                auto body = ParseJsonBody(req);
                if (!body.ok()) return SendError(res, body.status());
                std::string emoji;
                if (body->contains("emoji") && !(*body)["emoji"].is_null()) {
                  if (!(*body)["emoji"].is_string()) {
                    return SendError(res, Status::BadRequest("emoji must be a string"));
                  }
                  emoji = (*body)["emoji"].get<std::string>();
                }
                auto m = sends.React(*id, agent, *message_id, emoji);
                if (!m.ok()) return SendError(res, m.status());
                SendJson(res, 201, MessageJson(*m));
              }));

  // Multipart: read by httplib's own parser, bounded by media.max_bytes (not max_body_bytes).
  server.Post(
      base + R"(/([^/]+)/attachments)",
      [&ctx, &sends](const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) {
        const auto start = std::chrono::steady_clock::now();
        Attachments(ctx, sends, req, res, reader);
        ctx.deps.metrics.ObserveRequest(
            "api", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      });

  server.Get(
      R"(/api/media/([^/]+))",
      Authed(ctx, [&ctx](const httplib::Request& req, httplib::Response& res, const Agent& agent) {
        auto id = ParseInt(req.matches[1]);
        const Status not_found = Status::NotFound("media not found");
        if (!id) return SendError(res, not_found);
        auto m = ctx.deps.store.GetMessage(*id);
        if (!m.ok()) return SendError(res, m.status());
        if (!m->has_value() || !(*m)->session_id) return SendError(res, not_found);
        auto s = ctx.deps.sessions.Readable(*(*m)->session_id, agent);
        if (!s.ok()) return SendError(res, s.status());
        const auto meta = nlohmann::json::parse((*m)->metadata, nullptr, false);
        if (!meta.is_object() || meta.value("media_status", "") != "ready" ||
            !meta.contains("sha256") || !meta["sha256"].is_string()) {
          return SendError(res, Status::NotFound("media not downloaded"));
        }
        MediaFiles files(ctx.options.media_dir);
        const std::string path = files.PathOf(meta["sha256"].get<std::string>());
        std::shared_ptr<std::FILE> f(path.empty() ? nullptr : std::fopen(path.c_str(), "rb"),
                                     [](std::FILE* p) {
                                       if (p != nullptr) std::fclose(p);
                                     });
        if (!f) return SendError(res, Status::NotFound("media file missing"));
        std::fseek(f.get(), 0, SEEK_END);
        const long size = std::ftell(f.get());
        std::fseek(f.get(), 0, SEEK_SET);
        std::string mime = meta.value("mime_type", "");
        if (mime.empty()) mime = "application/octet-stream";
        std::string filename;
        if (meta.contains("filename") && meta["filename"].is_string()) {
          filename = meta["filename"].get<std::string>();
        }
        if ((*m)->type == "document") {
          res.set_header("Content-Disposition", Disposition("attachment", filename));
        } else {
          res.set_header("Content-Disposition", Disposition("inline", filename));
        }
        res.set_header("Cache-Control", "private, max-age=86400");
        res.set_content_provider(
            static_cast<size_t>(size), mime,
            [f](size_t offset, size_t length, httplib::DataSink& sink) {
              char buf[65536];
              if (std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) != 0) {
                return false;
              }
              const size_t n = std::fread(buf, 1, std::min(length, sizeof buf), f.get());
              if (n == 0) return false;
              return sink.write(buf, n);
            });
      }));
}

}  // namespace handoffd::http
