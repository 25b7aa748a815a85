// What agents send on WhatsApp beyond plain replies (API.md "WhatsApp: window, templates,
// media, read, typing"): free text with a quoted reply, attachments, templates, reactions, read
// receipts and the typing indicator, with the 24-hour customer service window and
// Idempotency-Key. Each send is one transaction (message, outbox item, message.created event).
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/agent.h"
#include "domain/message.h"
#include "domain/message_template.h"
#include "router/session_service.h"
#include "store/store.h"

namespace handoffd {

struct AgentSendsOptions {
  /// whatsapp.templates.
  std::vector<MessageTemplate> templates;
  /// Typing indicators per session are sent at most this often (facts §10: ~20 s).
  Duration typing_interval = std::chrono::seconds(20);
  /// A repeated Idempotency-Key within this time returns the first message.
  Duration idempotency_window = std::chrono::hours(24);
  /// Called after a commit that queued outbox items.
  std::function<void()> on_outbox;
  /// Called after a commit that wrote events.
  std::function<void()> on_events;
};

/// Options common to agent sends.
struct SendOptions {
  /// A message id of the same session to quote (sent as context.message_id).
  std::optional<int64_t> reply_to;
  /// The request's Idempotency-Key header (at most 255 characters; empty: none).
  std::string idempotency_key;
};

/// An agent send's result: the message, and whether it is the first one of a repeated
/// Idempotency-Key (then nothing was sent now).
struct SendOutcome {
  Message message;
  bool repeated = false;
};

/// An attachment already stored under media.dir (content-addressed).
struct StoredAttachment {
  std::string path;
  std::string sha256;
  int64_t size_bytes = 0;
  std::string mime_type;
  std::string filename;
  /// image|video|audio|document (Meta's type for the media type).
  std::string media_type;
};

class AgentSends {
 public:
  AgentSends(Store& store, const Clock& clock, SessionService& sessions, AgentSendsOptions options);

  /// Free text (API.md POST .../messages): the rules of SessionService::Reply, plus kWindowClosed
  /// when the window is closed (or never opened), kBadRequest for an unknown reply_to.
  Result<SendOutcome> Text(int64_t session_id, const Agent& actor, const std::string& content,
                           const SendOptions& options);
  /// An attachment (MESSAGE type = its media_type, metadata with media_status ready, media_url,
  /// size_bytes, sha256, mime_type, filename, caption). Same rules as Text.
  Result<SendOutcome> Attachment(int64_t session_id, const Agent& actor,
                                 const StoredAttachment& file, const std::string& caption,
                                 const SendOptions& options);
  /// A configured template with its body parameters (MESSAGE type template, content the filled
  /// body). Allowed with the window closed, on an active session of the actor (supervisor: any
  /// active) or a waiting one; kBadRequest for an unknown template or a wrong parameter count.
  Result<SendOutcome> Template(int64_t session_id, const Agent& actor, const std::string& name,
                               const std::string& language,
                               const std::vector<std::string>& parameters,
                               const SendOptions& options);
  /// A reaction to message `message_id` of the session (empty emoji removes it). Rules of Text
  /// (the window included); kBadRequest when the message has no channel id yet.
  Result<Message> React(int64_t session_id, const Agent& actor, int64_t message_id,
                        const std::string& emoji);
  /// Marks the customer's messages read on the channel, once per last inbound message; kOk
  /// without sending when already done or nothing came in. Needs the session readable and open.
  Status Read(int64_t session_id, const Agent& actor);
  /// Sends the typing indicator (with a read receipt of the last inbound message), at most once
  /// per typing_interval per session; extra calls are absorbed (kOk).
  Status Typing(int64_t session_id, const Agent& actor);

  const std::vector<MessageTemplate>& templates() const { return options_.templates; }

 private:
  /// Runs `queue` for a session the actor may write to (active and theirs; supervisors any
  /// active; `allow_waiting` also waiting), after the Idempotency-Key check.
  Result<SendOutcome> Send(int64_t session_id, const Agent& actor, const SendOptions& options,
                           bool needs_window, bool allow_waiting,
                           const std::function<Result<Message>(StoreTx&, const Session&)>& queue);
  Status SendRead(int64_t session_id, const Agent& actor, bool typing);

  Store& store_;
  const Clock& clock_;
  SessionService& sessions_;
  AgentSendsOptions options_;
  std::mutex mu_;
  std::map<int64_t, int64_t> read_up_to_;     // session -> last inbound message id marked read
  std::map<int64_t, TimePoint> typing_sent_;  // session -> last typing indicator
};

/// True while WhatsApp's customer service window of `s` is open at `now` (24 h after the
/// customer's last message; closed when the customer never wrote).
bool WindowOpen(const Session& s, TimePoint now);

}  // namespace handoffd
