// Agent tools on a session (API.md "Agent tools and reports"): internal notes, labels and the
// transcript. Reads follow SessionService::Readable; each write runs in one transaction with its
// real-time event. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/agent.h"
#include "domain/message.h"
#include "domain/session.h"
#include "router/session_service.h"
#include "store/store.h"

namespace handoffd {

/// A session and its messages, for GET .../transcript.
struct Transcript {
  Session session;
  std::vector<Message> messages;  // oldest first
};

class AgentTools {
 public:
  /// `on_events` runs after every commit (wakes the event hub).
  AgentTools(Store& store, const Clock& clock, SessionService& sessions,
             std::function<void()> on_events);

  /// Stores an internal note (type `note`, direction `internal`, delivery `internal`, sender the
  /// author) on a session `author` may read, and its message.created event; nothing is queued to
  /// the customer. kBadRequest when empty or over 4096 code points; Readable's errors.
  Result<Message> AddNote(int64_t session_id, const Agent& author, const std::string& content);

  /// Replaces the session's labels (each normalized, domain/labels.h; duplicates dropped; at most
  /// kMaxLabels) and writes session.updated. kBadRequest for a malformed label; Readable's
  /// errors (whoever may read the session may label it).
  Result<Session> SetLabels(int64_t session_id, const Agent& actor,
                            const std::vector<std::string>& labels);

  /// The session and its messages, oldest first; internal ones (notes, system notes) only when
  /// `include_internal`. Readable's errors.
  Result<Transcript> GetTranscript(int64_t session_id, const Agent& reader, bool include_internal);

 private:
  Store& store_;
  const Clock& clock_;
  SessionService& sessions_;
  std::function<void()> on_events_;
};

}  // namespace handoffd
