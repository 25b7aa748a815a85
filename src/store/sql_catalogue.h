// Internal to src/store: do not include from outside the store layer.
//
// The statement catalogue: every fixed query of the store, with the kinds of its parameters and
// result columns, built once per dialect. The dialects differ only in row locking (FOR UPDATE,
// SKIP LOCKED) and how a write transaction starts (SQLite: BEGIN IMMEDIATE).
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "store/sql_statement.h"

namespace handoffd::sqlstore {

/// One per fixed statement; indexes the Catalogue and each connection's statement cache.
enum Query : size_t {
  kBegin,
  kCommit,
  kRollback,
  kPing,
  kFindOpenSession,
  kLockSession,
  kGetSession,
  kCreateSession,
  kUpsertContact,
  kInsertMessage,
  kAttachRecentMessages,
  kExtendSession,
  kAppendToOpenSession,
  kAssignSession,
  kReassignSession,
  kEndSession,
  kEnqueue,
  kClaimWebhookKey,
  kLockMessageByChannelId,
  kSetDeliveryStatus,
  kSetDeliveryFailed,
  kGetAgent,
  kGetAgentByEmail,
  kListAgents,
  kCreateAgent,
  kCreateToken,
  kFindAgentByToken,
  kDeleteToken,
  kListWaiting,
  kGetSessionUnplaced,
  kListWaitingOn,
  kListActiveForAgent,
  kCountSessionsByStatus,
  kListMessages,
  kGetMessage,
  kClaimOutbox,
  kBeginOutboxAttempt,
  kRenewOutbox,
  kReleaseOutbox,
  kListOutbox,
  kNextOutboxDue,
  kMarkSent,
  kMarkFailed,
  kDeleteOutbox,
  kRetryOutbox,
  kListDueSessions,
  kNextExpiry,
  kPruneWebhookKeys,
  kPruneTokens,
  kAppendEvent,
  kSetAgentStatus,
  kTouchAgent,
  kListEvents,
  kEventIdRange,
  kPruneEvents,
  kUpsertReadPosition,
  kListReadPositions,
  kCountUnread,
  kListCustomerSessions,
  kEndDueSessions,
  kCommitWithoutFlush,
  kTakeExpiryNotices,
  kClearExpiryNotice,
  kInsertMessages,
  kEnqueueMany,
  kAppendEvents,
  // Teams and routing (sql_store_teams.cc, sql_tx_routing.cc).
  kCreateTeam,
  kUpdateTeam,
  kListTeams,
  kGetTeamIdBySlug,
  kInsertTrigger,
  kDeleteTriggers,
  kListTriggers,
  kFindTrigger,
  kAddMember,
  kAddMemberBySlug,
  kRemoveMember,
  kListMembers,
  kIsMember,
  kLockAgent,
  kLockRoutingAgents,
  kListRoutingAgents,
  kLockTeamQueue,
  kListWaitingDeclines,
  kRequeueSession,
  kRecordDecline,
  kSetPriority,
  kAgentReplied,
  kListLeaseDue,
  kRecentWaits,
  kLockQueueNotices,
  kMarkQueueTold,
  kAssignSessions,
  kListUntoldWaiting,
  kQueueStatsByTeam,
  kInsertVisitorContact,
  kInsertVisitor,
  kSetVisitorContactKey,
  kFindVisitorByToken,
  kListUnattachedMessages,
  kAdvanceVisitorDelivery,
  kInsertOfflineMessage,
  kListOfflineMessages,
  kMarkOfflineHandled,
  kGetOfflineMessage,
  kFindIdempotent,
  kSetIdempotencyKey,
  kLastInboundMessage,
  kUpdateMedia,
  kClaimMediaFetches,
  kMarkWindowWarnings,
  kNextWindowWarning,
  // Agent tools and reports (issue 12).
  kRecordFirstResponse,
  kSetSessionLabels,
  kMarkCsatAsked,
  kFindCsatSession,
  kSetCsatScore,
  kSetCsatComment,
  kInitIntegrationCursor,
  kLockIntegrationCursor,
  kSetIntegrationCursor,
  kListCanned,
  kGetCanned,
  kCreateCanned,
  kUpdateCanned,
  kDeleteCanned,
  // Group commit's fast path (sql_catalogue_append.cc).
  kAppendManyToOpenSessions,
  kQueryCount,
};

struct QuerySpec {
  std::string sql;
  std::string params;
  std::string cols;
  /// Server-side prepared (PostgreSQL) when true; transaction control runs as a simple query.
  bool repeatable = true;
};

using Catalogue = std::array<QuerySpec, kQueryCount>;

/// The fixed statements of `d`, indexed by Query.
Catalogue BuildCatalogue(SqlDialect d);

/// Adds the teams-and-routing statements to `c` (sql_catalogue_routing.cc).
void AddRoutingQueries(Catalogue& c, SqlDialect d);
/// Adds the webhook fast-path statements (kAppendToOpenSession and group commit's
/// kAppendManyToOpenSessions) to `c` (sql_catalogue_append.cc).
void AddAppendQueries(Catalogue& c, SqlDialect d);
/// Adds the web chat statements (visitors, offline messages, visitor delivery) to `c`.
void AddWebchatQueries(Catalogue& c, const std::string& message_select,
                       const std::string& message_kinds);

}  // namespace handoffd::sqlstore
