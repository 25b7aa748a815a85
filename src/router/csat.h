// CSAT over WhatsApp (API.md "Agent tools and reports", csat.enabled): after an agent,
// supervisor or customer ends a session (not after expiry) the customer gets the rating as
// interactive reply buttons; the answer sets csat_score and a text within kCsatCommentWindow
// after it is the comment. Neither reopens a session nor reaches the bot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "domain/reply_button.h"
#include "domain/session.h"
#include "store/store.h"

namespace handoffd {

/// How long after the question a button answer is still taken.
inline constexpr Duration kCsatAnswerWindow = std::chrono::hours(24);
/// How long after the answer a text is taken as its comment.
inline constexpr Duration kCsatCommentWindow = std::chrono::minutes(10);
/// Longest stored comment, in bytes (longer ones are cut at a code point boundary).
inline constexpr size_t kMaxCsatCommentBytes = 4096;

/// CSAT_3 "Good", CSAT_2 "OK", CSAT_1 "Bad".
std::vector<ReplyButton> CsatButtons();
/// 1-3 for a CSAT_n reply id, nullopt for anything else.
std::optional<int> CsatScoreFromReply(const std::string& reply_id);

/// Queues `question` with CsatButtons() to the customer of the (just ended) session: the
/// interactive message, its outbox item and message.created; records csat_asked_at = now.
Status AskCsat(StoreTx& tx, const Session& session, const std::string& question, TimePoint now);

/// `text` cut to at most kMaxCsatCommentBytes without splitting a UTF-8 sequence.
std::string TruncateComment(const std::string& text);

}  // namespace handoffd
