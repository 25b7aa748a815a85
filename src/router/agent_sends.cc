#include "router/agent_sends.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "outbox/outbox_payload.h"
#include "router/conversation.h"

namespace handoffd {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxText = 4096;
constexpr size_t kMaxCaption = 1024;
constexpr size_t kMaxIdempotencyKey = 255;

Status NotFoundSession(int64_t id) {
  return Status::NotFound("session " + std::to_string(id) + " not found");
}

OutboxItem ItemFor(const Session& s, std::optional<int64_t> message_id,
                   const OutboxPayload& payload, TimePoint now) {
  OutboxItem item;
  item.message_id = message_id;
  item.channel = s.channel;
  item.phone_number_id = s.phone_number_id;
  item.recipient = s.phone_number;
  item.payload = EncodeOutboxPayload(payload);
  item.next_attempt_at = now;
  item.created_at = now;
  return item;
}

Message AgentMessage(const Session& s, const Agent& actor, std::string type, std::string content,
                     const json& metadata, TimePoint now) {
  Message m;
  m.session_id = s.id;
  m.contact_id = s.contact_id;
  m.sender_type = SenderType::kAgent;
  m.sender_id = std::to_string(actor.id);
  m.direction = Direction::kOut;
  m.type = std::move(type);
  m.content = std::move(content);
  m.metadata = metadata.dump();
  m.delivery_status = DeliveryStatus::kQueued;
  m.created_at = now;
  return m;
}

// The quoted message's channel id: a message of this session that has one.
Result<std::string> QuotedChannelId(StoreTx& tx, const Session& s, int64_t message_id,
                                    const char* what) {
  HANDOFFD_ASSIGN_OR_RETURN(auto target, tx.GetMessage(message_id));
  if (!target || target->session_id != s.id) {
    return Status::BadRequest(std::string(what) + " must be a message of this session");
  }
  if (!target->channel_message_id || target->channel_message_id->empty()) {
    return Status::BadRequest(std::string(what) + " names a message not yet on WhatsApp");
  }
  return *target->channel_message_id;
}

// Inserts `m`, queues `payload` for it and publishes message.created.
Result<Message> Queue(StoreTx& tx, const Session& s, const Message& m, const OutboxPayload& payload,
                      TimePoint now) {
  HANDOFFD_ASSIGN_OR_RETURN(auto inserted, tx.InsertMessage(m));
  if (!inserted) return Status::Internal("outbound message not inserted");
  HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(ItemFor(s, inserted->id, payload, now)));
  HANDOFFD_RETURN_IF_ERROR(PublishMessage(tx, *inserted, s, now));
  return *inserted;
}

}  // namespace

bool WindowOpen(const Session& s, TimePoint now) {
  return s.last_customer_message_at.has_value() &&
         now < *s.last_customer_message_at + kServiceWindow;
}

AgentSends::AgentSends(Store& store, const Clock& clock, SessionService& sessions,
                       AgentSendsOptions options)
    : store_(store), clock_(clock), sessions_(sessions), options_(std::move(options)) {}

Result<SendOutcome> AgentSends::Send(
    int64_t session_id, const Agent& actor, const SendOptions& options, bool needs_window,
    bool allow_waiting, const std::function<Result<Message>(StoreTx&, const Session&)>& queue) {
  if (options.idempotency_key.size() > kMaxIdempotencyKey) {
    return Status::BadRequest("Idempotency-Key must be at most 255 characters");
  }
  const TimePoint now = clock_.Now();
  SendOutcome out;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    out = SendOutcome{};
    HANDOFFD_ASSIGN_OR_RETURN(auto locked, tx.LockSession(session_id));
    if (!locked) return NotFoundSession(session_id);
    const Session& s = *locked;
    const std::string id = std::to_string(session_id);
    if (!options.idempotency_key.empty()) {
      HANDOFFD_ASSIGN_OR_RETURN(auto first,
                                tx.FindIdempotentMessage(session_id, options.idempotency_key));
      if (first) {
        if (now - first->created_at < options_.idempotency_window) {
          out.message = *first;
          out.repeated = true;
          return Status::Ok();
        }
        // Older than the window: the key may be used again.
        HANDOFFD_RETURN_IF_ERROR(tx.SetIdempotencyKey(first->id, std::nullopt));
      }
    }
    const bool waiting_ok = allow_waiting && s.status == SessionStatus::kWaiting;
    if (!waiting_ok) {
      if (s.status != SessionStatus::kActive) {
        return Status::Conflict("session " + id + " is not active");
      }
      if (!IsSupervisor(actor.role) && s.agent_id != actor.id) {
        return Status::Conflict("session " + id + " is assigned to another agent");
      }
    }
    if (needs_window && s.channel == "whatsapp" && !WindowOpen(s, now)) {
      return Status(ErrorCode::kWindowClosed,
                    s.last_customer_message_at
                        ? "the 24-hour customer service window of session " + id +
                              " has closed: send a template"
                        : "the customer of session " + id + " has not written: send a template");
    }
    HANDOFFD_ASSIGN_OR_RETURN(auto m, queue(tx, s));
    if (!options.idempotency_key.empty()) {
      HANDOFFD_RETURN_IF_ERROR(tx.SetIdempotencyKey(m.id, options.idempotency_key));
    }
    out.message = std::move(m);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!out.repeated) {
    if (options_.on_outbox) options_.on_outbox();
    if (options_.on_events) options_.on_events();
  }
  return out;
}

Result<SendOutcome> AgentSends::Text(int64_t session_id, const Agent& actor,
                                     const std::string& content, const SendOptions& options) {
  if (NormalizeKeyword(content).empty()) return Status::BadRequest("content must not be empty");
  if (CodePointCount(content) > kMaxText) {
    return Status::BadRequest("content must be at most 4096 characters");
  }
  return Send(session_id, actor, options, true, false,
              [&](StoreTx& tx, const Session& s) -> Result<Message> {
                const TimePoint now = clock_.Now();
                json meta = json::object();
                OutboxPayload payload = OutboxPayload::Text(content);
                if (options.reply_to) {
                  HANDOFFD_ASSIGN_OR_RETURN(payload.context,
                                            QuotedChannelId(tx, s, *options.reply_to, "reply_to"));
                  meta["reply_to"] = *options.reply_to;
                }
                return Queue(tx, s, AgentMessage(s, actor, "text", content, meta, now), payload,
                             now);
              });
}

Result<SendOutcome> AgentSends::Attachment(int64_t session_id, const Agent& actor,
                                           const StoredAttachment& file, const std::string& caption,
                                           const SendOptions& options) {
  if (CodePointCount(caption) > kMaxCaption) {
    return Status::BadRequest("caption must be at most 1024 characters");
  }
  return Send(session_id, actor, options, true, false,
              [&](StoreTx& tx, const Session& s) -> Result<Message> {
                const TimePoint now = clock_.Now();
                json meta = {{"mime_type", file.mime_type},
                             {"filename", file.filename.empty() ? json() : json(file.filename)},
                             {"size_bytes", file.size_bytes},
                             {"sha256", file.sha256},
                             {"media_status", "ready"}};
                if (!caption.empty()) meta["caption"] = caption;
                OutboxPayload payload;
                payload.kind = OutboxPayload::Kind::kMedia;
                payload.media_type = file.media_type;
                payload.path = file.path;
                payload.mime_type = file.mime_type;
                payload.filename = file.filename;
                payload.caption = caption;
                if (options.reply_to) {
                  HANDOFFD_ASSIGN_OR_RETURN(payload.context,
                                            QuotedChannelId(tx, s, *options.reply_to, "reply_to"));
                  meta["reply_to"] = *options.reply_to;
                }
                HANDOFFD_ASSIGN_OR_RETURN(
                    auto inserted,
                    tx.InsertMessage(AgentMessage(s, actor, file.media_type, caption, meta, now)));
                if (!inserted) return Status::Internal("outbound message not inserted");
                meta["media_url"] = "/api/media/" + std::to_string(inserted->id);
                HANDOFFD_ASSIGN_OR_RETURN(
                    auto updated, tx.UpdateMedia(inserted->id, meta.dump(), "ready", 0, {}));
                if (!updated) return Status::Internal("outbound message vanished");
                HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(ItemFor(s, updated->id, payload, now)));
                HANDOFFD_RETURN_IF_ERROR(PublishMessage(tx, *updated, s, now));
                return *updated;
              });
}

Result<SendOutcome> AgentSends::Template(int64_t session_id, const Agent& actor,
                                         const std::string& name, const std::string& language,
                                         const std::vector<std::string>& parameters,
                                         const SendOptions& options) {
  const MessageTemplate* found = nullptr;
  for (const MessageTemplate& t : options_.templates) {
    if (t.name == name && (language.empty() || t.language == language)) {
      found = &t;
      break;
    }
  }
  if (found == nullptr) {
    return Status::BadRequest("unknown template " + name + " (" + language + ")");
  }
  const int expected = TemplateParameterCount(found->body);
  if (static_cast<int>(parameters.size()) != expected) {
    return Status::BadRequest("template " + name + " takes " + std::to_string(expected) +
                              " parameters, got " + std::to_string(parameters.size()));
  }
  for (const std::string& p : parameters) {
    if (NormalizeKeyword(p).empty()) return Status::BadRequest("parameters must not be empty");
    if (CodePointCount(p) > kMaxCaption) {
      return Status::BadRequest("parameters must be at most 1024 characters");
    }
  }
  const MessageTemplate tmpl = *found;
  return Send(
      session_id, actor, options, false, true,
      [&](StoreTx& tx, const Session& s) -> Result<Message> {
        const TimePoint now = clock_.Now();
        json meta = {
            {"template",
             {{"name", tmpl.name}, {"language", tmpl.language}, {"parameters", parameters}}}};
        OutboxPayload payload;
        payload.kind = OutboxPayload::Kind::kTemplate;
        payload.template_name = tmpl.name;
        payload.language = tmpl.language;
        payload.parameters = parameters;
        return Queue(
            tx, s,
            AgentMessage(s, actor, "template", FillTemplate(tmpl.body, parameters), meta, now),
            payload, now);
      });
}

Result<Message> AgentSends::React(int64_t session_id, const Agent& actor, int64_t message_id,
                                  const std::string& emoji) {
  if (CodePointCount(emoji) > 10 || emoji.size() > 64) {
    return Status::BadRequest("emoji must be a single emoji");
  }
  auto out = Send(
      session_id, actor, SendOptions{}, true, false,
      [&](StoreTx& tx, const Session& s) -> Result<Message> {
        const TimePoint now = clock_.Now();
        OutboxPayload payload;
        payload.kind = OutboxPayload::Kind::kReaction;
        HANDOFFD_ASSIGN_OR_RETURN(payload.target, QuotedChannelId(tx, s, message_id, "message"));
        payload.emoji = emoji;
        json meta = {{"message_id", message_id}, {"emoji", emoji}};
        return Queue(tx, s, AgentMessage(s, actor, "reaction", emoji, meta, now), payload, now);
      });
  if (!out.ok()) return out.status();
  return out->message;
}

Status AgentSends::Read(int64_t session_id, const Agent& actor) {
  return SendRead(session_id, actor, false);
}

Status AgentSends::Typing(int64_t session_id, const Agent& actor) {
  return SendRead(session_id, actor, true);
}

Status AgentSends::SendRead(int64_t session_id, const Agent& actor, bool typing) {
  HANDOFFD_ASSIGN_OR_RETURN(auto readable, sessions_.Readable(session_id, actor));
  if (!IsOpen(readable.status)) {
    return Status::Conflict("session " + std::to_string(session_id) + " has ended");
  }
  const TimePoint now = clock_.Now();
  if (typing) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = typing_sent_.find(session_id);
    if (it != typing_sent_.end() && now - it->second < options_.typing_interval) {
      return Status::Ok();  // absorbed: the indicator shown lasts about 25 s
    }
    typing_sent_[session_id] = now;
  }
  bool queued = false;
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    queued = false;
    HANDOFFD_ASSIGN_OR_RETURN(auto s, tx.LockSession(session_id));
    if (!s) return NotFoundSession(session_id);
    HANDOFFD_ASSIGN_OR_RETURN(auto last, tx.LastInboundMessage(session_id));
    if (!last || !last->channel_message_id || last->channel_message_id->empty()) {
      return Status::Ok();
    }
    {
      // Checked and recorded under the session lock, so concurrent calls queue one receipt.
      std::lock_guard<std::mutex> lock(mu_);
      int64_t& up_to = read_up_to_[session_id];
      if (!typing && up_to >= last->id) return Status::Ok();
      up_to = std::max(up_to, last->id);
    }
    OutboxPayload payload;
    payload.kind = OutboxPayload::Kind::kRead;
    payload.target = *last->channel_message_id;
    payload.typing = typing;
    HANDOFFD_RETURN_IF_ERROR(tx.Enqueue(ItemFor(*s, std::nullopt, payload, now)));
    queued = true;
    return Status::Ok();
  });
  if (!st.ok()) {
    if (typing) {
      std::lock_guard<std::mutex> lock(mu_);
      typing_sent_.erase(session_id);
    }
    return st;
  }
  if (queued && options_.on_outbox) options_.on_outbox();
  return Status::Ok();
}

}  // namespace handoffd
