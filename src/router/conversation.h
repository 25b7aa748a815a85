// Transaction-level building blocks of the handoff state machine, shared by the inbound router,
// the dashboard's session actions and the expiry scheduler: each writes messages (and outbox
// items for what the customer should receive) inside the caller's transaction.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "domain/session.h"
#include "store/store.h"

namespace handoffd {

/// The rows the helpers below write, for callers that write many at once (the expiry sweep):
/// an internal system note of the session, an outbound text to its customer (delivery queued),
/// and the outbox item that sends `stored` (that text, once it has its id).
Message SystemNoteMessage(const Session& session, const std::string& text, TimePoint now);
Message OutboundTextMessage(const Session& session, SenderType sender_type,
                            const std::string& sender_id, const std::string& text, TimePoint now);
OutboxItem TextOutboxItem(const Session& session, const Message& stored, TimePoint now);

/// Adds an internal system message to the session (shown to agents, never sent). Like every
/// helper here, it also writes the matching real-time event.
Status AddSystemNote(StoreTx& tx, const Session& session, const std::string& text, TimePoint now);

/// Writes the message.created event of `m` (a message of `session`).
Status PublishMessage(StoreTx& tx, const Message& m, const Session& session, TimePoint now);

/// Writes a session event (`type` session.*) with the session as it now is in the transaction,
/// and returns that session. `was_waiting`: the session was waiting before this change (every
/// agent hears of it).
Result<Session> PublishSession(StoreTx& tx, const std::string& type, int64_t session_id,
                               bool was_waiting, TimePoint now);

/// Stores an outbound text to the session's customer (delivery `queued`) and its outbox item.
/// `sender_type` is kSystem for transition texts and kAgent for replies (sender_id = agent id).
Result<Message> QueueText(StoreTx& tx, const Session& session, SenderType sender_type,
                          const std::string& sender_id, const std::string& text, TimePoint now);

/// Ends an open session: status ended with `reason`, an internal note `note`, and (when
/// `customer_text` is non-empty) that text queued to the customer.
Status EndInTx(StoreTx& tx, const Session& session, EndReason reason, const std::string& note,
               const std::string& customer_text, TimePoint now);

/// Replaces every "{agent_name}" in `text`.
std::string Substitute(std::string text, const std::string& agent_name);

/// Number of Unicode code points in UTF-8 `s` (length limits count code points, not bytes).
size_t CodePointCount(const std::string& s);

/// `s` without leading/trailing ASCII whitespace, ASCII-lower-cased (keyword matching).
std::string NormalizeKeyword(const std::string& s);

}  // namespace handoffd
