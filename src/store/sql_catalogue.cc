#include "store/sql_catalogue.h"

#include "store/sql_rows.h"

namespace handoffd::sqlstore {

Catalogue BuildCatalogue(SqlDialect d) {
  const bool pg = d == SqlDialect::kPostgres;
  const std::string session_select = "SELECT " + SelectList(kSessionCols) + kSessionFrom;
  const std::string session_kinds = Kinds(kSessionCols);
  const std::string message_select = "SELECT " + SelectList(kMessageCols) + " FROM agent_messages";
  const std::string message_kinds = Kinds(kMessageCols);
  const std::string agent_select = "SELECT " + SelectList(kAgentCols);
  const std::string agent_kinds = Kinds(kAgentCols);
  const std::string outbox_kinds = Kinds(kOutboxCols);

  Catalogue c;
  c[kBegin] = {pg ? "BEGIN" : "BEGIN IMMEDIATE", "", "", false};
  c[kCommit] = {"COMMIT", "", "", false};
  c[kRollback] = {"ROLLBACK", "", "", false};
  c[kPing] = {"SELECT 1", "", "i"};
  c[kFindOpenSession] = {session_select +
                             " WHERE s.channel = :channel AND s.phone_number = :phone"
                             " AND s.status IN ('waiting', 'active')",
                         "tt", session_kinds};
  c[kLockSession] = {session_select + " WHERE s.id = :id" + (pg ? " FOR UPDATE OF s" : ""), "i",
                     session_kinds};
  c[kGetSession] = {session_select + " WHERE s.id = :id", "i", session_kinds};
  // Without queue_position (counting the queue costs O(waiting sessions)): the outbox reads the
  // session of every sent message for its event's audience only.
  c[kGetSessionUnplaced] = {
      "SELECT " + SessionSelectListUnplaced() + kSessionFrom + " WHERE s.id = :id", "i",
      session_kinds};
  c[kCreateSession] = {
      "INSERT INTO agent_sessions (channel, contact_id, phone_number, customer_name,"
      " phone_number_id, status, created_at, expires_at, last_customer_message_at, team_id,"
      " priority, queue_order, queue_told_position)"
      " VALUES (:channel, :contact, :phone, :name, :pnid, 'waiting', :created, :expires, :last,"
      " COALESCE(:team, (SELECT id FROM teams WHERE slug = 'general')), :priority, :order,"
      " :told) ON CONFLICT (channel, phone_number) WHERE status IN ('waiting', 'active')"
      " DO NOTHING RETURNING id, team_id",
      "titttiiiiiii", "ii"};
  c[kUpsertContact] = {
      "INSERT INTO contacts (channel, customer_key, wa_id, user_id, name, created_at, updated_at)"
      " VALUES (:channel, :key, :wa_id, :user_id, :name, :created, :updated)"
      " ON CONFLICT (channel, customer_key) DO UPDATE SET"
      " wa_id = CASE WHEN excluded.wa_id <> '' THEN excluded.wa_id ELSE contacts.wa_id END,"
      " user_id = CASE WHEN excluded.user_id <> '' THEN excluded.user_id"
      " ELSE contacts.user_id END,"
      " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,"
      " updated_at = excluded.updated_at"
      " RETURNING id",
      "tttttii", "i"};
  c[kInsertMessage] = {
      "INSERT INTO agent_messages (session_id, contact_id, sender_type, sender_id, direction,"
      " type, content, metadata, channel_message_id, delivery_status, error_code, error_title,"
      " created_at, sent_at) VALUES (:session, :contact, :sender_type, :sender_id, :direction,"
      " :type, :content, :metadata, :wamid, :delivery, :error_code, :error_title, :created,"
      " :sent) ON CONFLICT (channel_message_id) WHERE direction = 'in' DO NOTHING RETURNING id",
      "iittttttttitii", "i"};
  c[kAttachRecentMessages] = {
      "UPDATE agent_messages SET session_id = :session"
      " WHERE contact_id = :contact AND session_id IS NULL AND created_at >= :since",
      "iii", ""};
  c[kExtendSession] = {
      "UPDATE agent_sessions SET"
      " last_customer_message_at = CASE WHEN last_customer_message_at IS NULL"
      " OR last_customer_message_at < :last1 THEN :last2 ELSE last_customer_message_at END,"
      " expires_at = CASE WHEN expires_at < :exp1 THEN :exp2 ELSE expires_at END"
      " WHERE id = :id",
      "iiiii", ""};
  c[kAssignSession] = {
      "UPDATE agent_sessions SET status = 'active', agent_id = :agent, assigned_at = :now,"
      " wait_ms = COALESCE(wait_ms, :now2 - created_at)"
      " WHERE id = :id AND status = 'waiting'",
      "iiii", ""};
  c[kReassignSession] = {
      "UPDATE agent_sessions SET status = 'active', agent_id = :agent, assigned_at = :now,"
      " wait_ms = COALESCE(wait_ms, :now2 - created_at)"
      " WHERE id = :id AND status IN ('waiting', 'active')",
      "iiii", ""};
  c[kEndSession] = {
      "UPDATE agent_sessions SET status = 'ended', ended_at = :now, end_reason = :reason,"
      " handle_ms = CASE WHEN wait_ms IS NULL THEN NULL ELSE :now2 - created_at - wait_ms END,"
      " missed = CASE WHEN wait_ms IS NULL THEN 1 ELSE 0 END"
      " WHERE id = :id AND status IN ('waiting', 'active')",
      "itii", ""};
  c[kEnqueue] = {
      "INSERT INTO outbox (message_id, channel, phone_number_id, recipient, payload, attempts,"
      " next_attempt_at, created_at) VALUES (:message, :channel, :pnid, :recipient, :payload,"
      " :attempts, :next, :created) RETURNING id",
      "ittttiii", "i"};
  c[kClaimWebhookKey] = {
      "INSERT INTO processed_webhook_ids (key, created_at) VALUES (:key, :now)"
      " ON CONFLICT (key) DO NOTHING RETURNING created_at",
      "ti", "i"};
  c[kLockMessageByChannelId] = {
      message_select + " WHERE channel_message_id = :wamid AND direction = 'out'" +
          std::string(" ORDER BY id DESC LIMIT 1") + (pg ? " FOR UPDATE" : ""),
      "t", message_kinds};
  c[kSetDeliveryStatus] = {"UPDATE agent_messages SET delivery_status = :status WHERE id = :id",
                           "ti", ""};
  c[kSetDeliveryFailed] = {
      "UPDATE agent_messages SET delivery_status = 'failed', error_code = :code,"
      " error_title = :title WHERE id = :id",
      "iti", ""};
  c[kGetAgent] = {agent_select + " FROM agents a WHERE a.id = :id", "i", agent_kinds};
  c[kGetAgentByEmail] = {agent_select + " FROM agents a WHERE a.email = :email", "t", agent_kinds};
  c[kListAgents] = {agent_select + " FROM agents a ORDER BY a.id", "", agent_kinds};
  c[kCreateAgent] = {
      "INSERT INTO agents (email, name, role, status, max_chats, password_hash, created_at)"
      " VALUES (:email, :name, :role, :status, :max_chats, :hash, :created)"
      " ON CONFLICT (email) DO NOTHING RETURNING id",
      "ttttiti", "i"};
  c[kCreateToken] = {
      "INSERT INTO auth_tokens (token_hash, agent_id, created_at, expires_at)"
      " VALUES (:hash, :agent, :created, :expires)",
      "tiii", ""};
  c[kFindAgentByToken] = {agent_select +
                              " FROM auth_tokens t JOIN agents a ON a.id = t.agent_id"
                              " WHERE t.token_hash = :hash AND t.expires_at > :now",
                          "ti", agent_kinds};
  c[kDeleteToken] = {"DELETE FROM auth_tokens WHERE token_hash = :hash", "t", ""};
  // Waiting sessions in queue order, numbered in one pass (kSessionFromRanked).
  const std::string waiting =
      "SELECT " + SessionSelectListRanked() + kSessionFromRanked + " WHERE s.status = 'waiting'";
  const std::string queue_order = " ORDER BY s.priority DESC, s.queue_order, s.id";
  c[kListWaiting] = {waiting + queue_order, "", session_kinds};
  c[kListWaitingOn] = {waiting + " AND s.channel = :channel" + queue_order, "t", session_kinds};
  c[kListActiveForAgent] = {session_select +
                                " WHERE s.agent_id = :agent AND s.status = 'active'"
                                " ORDER BY s.assigned_at, s.id",
                            "i", session_kinds};
  c[kCountSessionsByStatus] = {"SELECT status, COUNT(*) FROM agent_sessions GROUP BY status", "",
                               "ti"};
  c[kListMessages] = {
      message_select + " WHERE session_id = :session AND id > :after ORDER BY id LIMIT :limit",
      "iii", message_kinds};
  c[kGetMessage] = {message_select + " WHERE id = :id", "i", message_kinds};
  // Per-customer order: only the head (lowest id) of each (phone_number_id, recipient) queue is
  // claimable, and only when it is due and not leased; the items behind a head that backs off or
  // is being sent wait for it. Forwards to the bot (recipient '') are not ordered (Meta gives no
  // order to webhooks either). PostgreSQL: SKIP LOCKED keeps concurrent claimers apart, and a
  // head locked by another claimer still blocks its queue through NOT EXISTS.
  c[kClaimOutbox] = {
      "UPDATE outbox SET leased_until = :lease, lease_owner = :owner WHERE id IN (SELECT o.id"
      " FROM outbox o"
      " WHERE o.next_attempt_at <= :now1 AND (o.leased_until IS NULL OR o.leased_until <= :now2)"
      " AND (o.recipient = '' OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.phone_number_id ="
      " o.phone_number_id AND p.recipient = o.recipient AND p.id < o.id))"
      " ORDER BY o.next_attempt_at, o.id LIMIT :limit" +
          std::string(pg ? " FOR UPDATE OF o SKIP LOCKED" : "") + ") RETURNING " +
          SelectList(kOutboxCols),
      "itiii", outbox_kinds};
  // Owner-checked: only the store that holds the lease may use it (lease_owner, migration 0009).
  c[kBeginOutboxAttempt] = {
      "UPDATE outbox SET attempted_at = :now, leased_until = :lease WHERE id = :id"
      " AND leased_until IS NOT NULL AND lease_owner = :owner",
      "iiit", ""};
  c[kRenewOutbox] = {
      "UPDATE outbox SET leased_until = :lease WHERE id = :id AND leased_until IS NOT NULL"
      " AND lease_owner = :owner",
      "iit", ""};
  c[kReleaseOutbox] = {
      "UPDATE outbox SET leased_until = NULL WHERE id = :id AND lease_owner = :owner", "it", ""};
  c[kListOutbox] = {"SELECT " + SelectList(kOutboxCols) +
                        " FROM outbox WHERE id > :after ORDER BY id LIMIT :limit",
                    "ii", outbox_kinds};
  // The earliest time an item becomes claimable: a leased item only once its lease runs out.
  c[kNextOutboxDue] = {
      "SELECT MIN(CASE WHEN leased_until IS NOT NULL AND leased_until > next_attempt_at"
      " THEN leased_until ELSE next_attempt_at END) FROM outbox",
      "", "i"};
  c[kMarkSent] = {
      "UPDATE agent_messages SET channel_message_id = :wamid, sent_at = :sent, delivery_status ="
      " CASE WHEN delivery_status = 'queued' THEN 'sent' ELSE delivery_status END WHERE id = :id",
      "tii", ""};
  c[kMarkFailed] = {
      "UPDATE agent_messages SET delivery_status = 'failed', error_code = :code,"
      " error_title = :title WHERE id = :id AND delivery_status <> 'failed'",
      "iti", ""};
  c[kDeleteOutbox] = {"DELETE FROM outbox WHERE id = :id", "i", ""};
  c[kRetryOutbox] = {
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next, leased_until = NULL,"
      " attempted_at = NULL, last_error = :error WHERE id = :id",
      "iti", ""};
  c[kListDueSessions] = {session_select +
                             " WHERE s.status IN ('waiting', 'active') AND s.expires_at <= :now"
                             " ORDER BY s.expires_at, s.id LIMIT :limit",
                         "ii", session_kinds};
  c[kNextExpiry] = {
      "SELECT MIN(expires_at) FROM agent_sessions WHERE status IN ('waiting', 'active')", "", "i"};
  c[kPruneWebhookKeys] = {"DELETE FROM processed_webhook_ids WHERE created_at < :before", "i", ""};
  c[kPruneTokens] = {"DELETE FROM auth_tokens WHERE expires_at <= :now", "i", ""};
  c[kAppendEvent] = {
      "INSERT INTO events (type, audience, agent_id, data, created_at, visitor_key)"
      " VALUES (:type, :audience, :agent, :data, :created, :visitor) RETURNING id",
      "ttitit", "i"};
  c[kSetAgentStatus] = {"UPDATE agents SET status = :status, last_seen_at = :now WHERE id = :id",
                        "tii", ""};
  c[kTouchAgent] = {"UPDATE agents SET last_seen_at = :now WHERE id = :id", "ii", ""};
  c[kListEvents] = {
      "SELECT id, type, audience, agent_id, data, created_at, visitor_key FROM events"
      " WHERE id > :after AND id <= :upto ORDER BY id LIMIT :n",
      "iii", "ittitit"};
  c[kEventIdRange] = {"SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM events", "", "ii"};
  c[kPruneEvents] = {"DELETE FROM events WHERE created_at < :before", "i", ""};
  // An agent's read position only moves forward (two tabs may report out of order).
  c[kUpsertReadPosition] = {
      "INSERT INTO read_positions (agent_id, session_id, message_id, updated_at)"
      " VALUES (:agent, :session, :message, :now) ON CONFLICT (agent_id, session_id) DO UPDATE"
      " SET message_id = CASE WHEN excluded.message_id > read_positions.message_id"
      " THEN excluded.message_id ELSE read_positions.message_id END,"
      " updated_at = excluded.updated_at RETURNING message_id",
      "iiii", "i"};
  c[kListReadPositions] = {
      "SELECT r.session_id, r.message_id FROM read_positions r"
      " JOIN agent_sessions s ON s.id = r.session_id"
      " WHERE r.agent_id = :agent AND s.status IN ('waiting', 'active') ORDER BY r.session_id",
      "i", "ii"};
  // Customer messages after the agent's read position, in the open sessions that are the
  // agent's concern (waiting, or assigned to it).
  c[kCountUnread] = {
      "SELECT s.id, COUNT(m.id) FROM agent_sessions s"
      " JOIN agent_messages m ON m.session_id = s.id AND m.direction = 'in'"
      " LEFT JOIN read_positions r ON r.agent_id = :agent1 AND r.session_id = s.id"
      " WHERE (s.status = 'waiting' OR (s.status = 'active' AND s.agent_id = :agent2))"
      " AND m.id > COALESCE(r.message_id, 0) GROUP BY s.id ORDER BY s.id",
      "ii", "ii"};
  c[kListCustomerSessions] = {session_select +
                                  " WHERE s.contact_id = :contact AND s.id < :before"
                                  " ORDER BY s.id DESC LIMIT :limit",
                              "iii", session_kinds};

  // Two-phase expiry (migration 0011). Phase 1, kEndDueSessions: end up to :limit due sessions,
  // earliest deadline first, each at its own expires_at, and mark its notice pending with its
  // status before (SET expressions read the row as it was). PostgreSQL locks the due rows,
  // skipping rows a writer holds (a customer's message may be moving expires_at; a locked row is
  // re-checked against the WHERE clause); SQLite holds the write lock (BEGIN IMMEDIATE).
  const std::string end_expired =
      "status = 'ended', ended_at = u.expires_at, end_reason = 'expired',"
      " handle_ms = CASE WHEN u.wait_ms IS NULL THEN NULL"
      " ELSE u.expires_at - u.created_at - u.wait_ms END,"
      " missed = CASE WHEN u.wait_ms IS NULL THEN 1 ELSE 0 END, expiry_notice = u.status";
  const std::string due_ids =
      "SELECT id FROM agent_sessions WHERE status IN ('waiting', 'active') AND expires_at <= :now"
      " ORDER BY expires_at, id LIMIT :limit";
  c[kEndDueSessions] = {
      pg ? "WITH due AS (" + due_ids + " FOR UPDATE SKIP LOCKED) UPDATE agent_sessions u SET " +
               end_expired + " FROM due WHERE u.id = due.id"
         : "UPDATE agent_sessions AS u SET " + end_expired + " WHERE u.id IN (" + due_ids + ")",
      "ii", ""};
  // Phase 2, kTakeExpiryNotices: up to :limit sessions whose notice is pending, earliest deadline
  // first, with the status they had before they ended. PostgreSQL clears the marker in the same
  // statement (skipping rows others hold); SQLite lists them and clears each with
  // kClearExpiryNotice.
  // PostgreSQL only: this transaction's COMMIT returns before its WAL is flushed (a WAL flush
  // of a batch of 1,000 ended sessions costs about as much as the UPDATE itself). Phase 1 may
  // use it: nobody outside the database acts on an end before phase 2, whose commit flushes it
  // too (the WAL is flushed in order); a crash may forget the last ends, which the next sweep
  // makes again.
  c[kCommitWithoutFlush] = {pg ? "SET LOCAL synchronous_commit TO OFF" : "", "", "", false};
  c[kTakeExpiryNotices] = {
      pg ? "WITH pending AS (SELECT id, expiry_notice FROM agent_sessions"
           " WHERE expiry_notice IS NOT NULL ORDER BY expires_at, id LIMIT :limit"
           " FOR UPDATE SKIP LOCKED),"
           " taken AS (UPDATE agent_sessions u SET expiry_notice = NULL FROM pending"
           " WHERE u.id = pending.id RETURNING u.*, pending.expiry_notice AS previous_status)"
           " SELECT " +
               SelectList(kSessionCols) +
               ", s.previous_status FROM taken s LEFT JOIN agents a ON a.id = s.agent_id"
               " LEFT JOIN teams t ON t.id = s.team_id ORDER BY s.expires_at, s.id"
         : "SELECT " + SelectList(kSessionCols) + ", s.expiry_notice" + kSessionFrom +
               " WHERE s.expiry_notice IS NOT NULL ORDER BY s.expires_at, s.id LIMIT :limit",
      "i", session_kinds + "t"};
  c[kClearExpiryNotice] = {"UPDATE agent_sessions SET expiry_notice = NULL WHERE id = :id", "i",
                           ""};
  // PostgreSQL only: many rows in one statement, passed as one JSON array of objects and
  // inserted in array order (so that identity ids follow it).
  c[kInsertMessages] = {
      pg ? "INSERT INTO agent_messages (session_id, contact_id, sender_type, sender_id,"
           " direction, type, content, metadata, channel_message_id, delivery_status,"
           " error_code, error_title, created_at)"
           " SELECT r.session_id, r.contact_id, r.sender_type, r.sender_id, r.direction, r.type,"
           " r.content, r.metadata, r.channel_message_id, r.delivery_status, r.error_code,"
           " r.error_title, r.created_at FROM ROWS FROM (json_to_recordset(CAST(:rows AS json))"
           " AS (session_id bigint, contact_id bigint, sender_type text, sender_id text,"
           " direction text, type text, content text, metadata text, channel_message_id text,"
           " delivery_status text, error_code bigint, error_title text, created_at bigint))"
           " WITH ORDINALITY AS r(session_id, contact_id, sender_type, sender_id, direction,"
           " type, content, metadata, channel_message_id, delivery_status, error_code,"
           " error_title, created_at, n) ORDER BY r.n RETURNING id"
         : "",
      pg ? "t" : "", pg ? "i" : ""};
  c[kEnqueueMany] = {
      pg ? "INSERT INTO outbox (message_id, channel, phone_number_id, recipient, payload,"
           " attempts, next_attempt_at, created_at)"
           " SELECT r.message_id, r.channel, r.phone_number_id, r.recipient, r.payload,"
           " r.attempts, r.next_attempt_at, r.created_at"
           " FROM ROWS FROM (json_to_recordset(CAST(:rows AS json)) AS (message_id bigint,"
           " channel text, phone_number_id text, recipient text, payload text, attempts integer,"
           " next_attempt_at bigint, created_at bigint)) WITH ORDINALITY AS r(message_id,"
           " channel, phone_number_id, recipient, payload, attempts, next_attempt_at,"
           " created_at, n) ORDER BY r.n"
         : "",
      pg ? "t" : "", ""};
  c[kAppendEvents] = {
      pg ? "INSERT INTO events (type, audience, agent_id, data, created_at, visitor_key)"
           " SELECT r.type, r.audience, r.agent_id, r.data, r.created_at, r.visitor_key"
           " FROM ROWS FROM (json_to_recordset(CAST(:rows AS json)) AS (type text,"
           " audience text, agent_id bigint, data text, created_at bigint, visitor_key text))"
           " WITH ORDINALITY AS r(type, audience, agent_id, data, created_at, visitor_key, n)"
           " ORDER BY r.n"
         : "",
      pg ? "t" : "", ""};
  // WhatsApp media and idempotent sends (migration 0006).
  c[kFindIdempotent] = {message_select + " WHERE session_id = :session AND idempotency_key = :key",
                        "it", message_kinds};
  c[kSetIdempotencyKey] = {"UPDATE agent_messages SET idempotency_key = :key WHERE id = :id", "ti",
                           ""};
  c[kLastInboundMessage] = {message_select +
                                " WHERE session_id = :session AND direction = 'in'"
                                " ORDER BY id DESC LIMIT 1",
                            "i", message_kinds};
  c[kUpdateMedia] = {
      "UPDATE agent_messages SET metadata = :metadata, media_state = :state,"
      " media_attempts = :attempts, media_next_at = :next WHERE id = :id",
      "ttiii", ""};
  // Leases due inbound media downloads (new ones, retries due, and leases that ran out: a
  // process that died mid-download). The partial index agent_messages_media_pending finds them.
  c[kClaimMediaFetches] = {
      "UPDATE agent_messages SET media_state = 'fetching', media_next_at = :lease"
      " WHERE id IN (SELECT id FROM agent_messages WHERE direction = 'in'"
      " AND type IN ('image', 'audio', 'video', 'document', 'sticker')"
      " AND (media_state IS NULL OR media_state IN ('fetching', 'retry'))"
      " AND (media_state IS NULL OR media_next_at <= :now) ORDER BY id LIMIT :limit" +
          std::string(pg ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING id, media_attempts",
      "iii", "ii"};
  // The session.window warning: open WhatsApp sessions whose window closes within the lead and
  // that were not warned for this window (window_warning_for = the window_expires_at warned
  // for). Bound in order: window (ms), due (now - window + lead), closed (now - window), window,
  // limit; kNextWindowWarning: closed, window.
  const std::string unwarned =
      " status IN ('waiting', 'active') AND channel = 'whatsapp'"
      " AND last_customer_message_at > :closed"
      " AND (window_warning_for IS NULL OR window_warning_for <> last_customer_message_at + :w)";
  c[kMarkWindowWarnings] = {
      "UPDATE agent_sessions SET window_warning_for = last_customer_message_at + :window"
      " WHERE id IN (SELECT id FROM agent_sessions WHERE last_customer_message_at <= :due AND" +
          unwarned + " ORDER BY last_customer_message_at, id LIMIT :limit" +
          std::string(pg ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING id",
      "iiiii", "i"};
  c[kNextWindowWarning] = {
      "SELECT MIN(last_customer_message_at) FROM agent_sessions WHERE" + unwarned, "ii", "i"};

  AddRoutingQueries(c, d);
  AddAppendQueries(c, d);
  // Agent tools and reports (issue 12).
  c[kRecordFirstResponse] = {
      "UPDATE agent_sessions SET first_response_ms = :at - created_at - wait_ms"
      " WHERE id = :id AND first_response_ms IS NULL AND wait_ms IS NOT NULL",
      "ii", ""};
  c[kSetSessionLabels] = {"UPDATE agent_sessions SET labels = :labels WHERE id = :id", "ti", ""};
  c[kMarkCsatAsked] = {"UPDATE agent_sessions SET csat_asked_at = :now WHERE id = :id", "ii", ""};
  c[kFindCsatSession] = {session_select +
                             " WHERE s.channel = :channel AND s.phone_number = :phone"
                             " AND s.status = 'ended' AND s.csat_asked_at >= :since"
                             " ORDER BY s.csat_asked_at DESC, s.id DESC LIMIT 1" +
                             (pg ? " FOR UPDATE OF s" : ""),
                         "tti", session_kinds};
  c[kSetCsatScore] = {
      "UPDATE agent_sessions SET csat_score = :score, csat_answered_at = :now WHERE id = :id",
      "iii", ""};
  c[kSetCsatComment] = {"UPDATE agent_sessions SET csat_comment = :comment WHERE id = :id", "ti",
                        ""};
  c[kInitIntegrationCursor] = {
      "INSERT INTO integration_cursors (hook, last_event_id, updated_at)"
      " VALUES (:hook, :initial, :now) ON CONFLICT (hook) DO NOTHING",
      "tii", ""};
  c[kLockIntegrationCursor] = {"SELECT last_event_id FROM integration_cursors WHERE hook = :hook" +
                                   std::string(pg ? " FOR UPDATE" : ""),
                               "t", "i"};
  c[kSetIntegrationCursor] = {
      "UPDATE integration_cursors SET last_event_id = :id, updated_at = :now WHERE hook = :hook",
      "iit", ""};
  const std::string canned_select =
      "SELECT id, shortcut, content, created_by, created_at, updated_at FROM canned_responses";
  c[kListCanned] = {canned_select + " ORDER BY shortcut", "", "ittiii"};
  c[kGetCanned] = {canned_select + " WHERE id = :id", "i", "ittiii"};
  c[kCreateCanned] = {
      "INSERT INTO canned_responses (shortcut, content, created_by, created_at, updated_at)"
      " VALUES (:shortcut, :content, :by, :created, :updated)"
      " ON CONFLICT (shortcut) DO NOTHING RETURNING id",
      "ttiii", "i"};
  c[kUpdateCanned] = {
      "UPDATE canned_responses SET shortcut = :shortcut, content = :content,"
      " updated_at = :updated WHERE id = :id",
      "ttii", ""};
  c[kDeleteCanned] = {"DELETE FROM canned_responses WHERE id = :id", "i", ""};
  AddWebchatQueries(c, message_select, message_kinds);
  return c;
}

void AddWebchatQueries(Catalogue& c, const std::string& message_select,
                       const std::string& message_kinds) {
  const std::string offline_cols =
      "id, widget_key, visitor_id, name, email, message, created_at, handled_at, handled_by";
  const std::string offline_kinds = "ititttiii";
  // The contact is created under a key unique to the new token, then renamed to 'v' || id once
  // the visitor has its id (one transaction).
  c[kInsertVisitorContact] = {
      "INSERT INTO contacts (channel, customer_key, name, created_at, updated_at)"
      " VALUES ('webchat', :key, :name, :created, :updated) RETURNING id",
      "ttii", "i"};
  c[kInsertVisitor] = {
      "INSERT INTO webchat_visitors (widget_key, token_hash, contact_id, name, email, created_at)"
      " VALUES (:widget, :token, :contact, :name, :email, :created) RETURNING id",
      "ttitti", "i"};
  c[kSetVisitorContactKey] = {"UPDATE contacts SET customer_key = :key WHERE id = :id", "ti", ""};
  c[kFindVisitorByToken] = {
      "SELECT id, widget_key, contact_id, name, email, created_at FROM webchat_visitors"
      " WHERE token_hash = :token",
      "t", "itittti"};
  c[kListUnattachedMessages] = {
      message_select +
          " WHERE contact_id = :contact AND session_id IS NULL ORDER BY id DESC LIMIT :n",
      "ii", message_kinds};
  // Delivery of agent/system/bot texts to a visitor only moves forward (queued < sent <
  // delivered < read); `:from_a`..`:from_c` are the states the target may replace.
  c[kAdvanceVisitorDelivery] = {
      "UPDATE agent_messages SET delivery_status = :status"
      " WHERE session_id = :session AND id <= :upto AND direction = 'out'"
      " AND delivery_status IN (:from_a, :from_b, :from_c) RETURNING id",
      "tiittt", "i"};
  c[kInsertOfflineMessage] = {
      "INSERT INTO webchat_offline_messages (widget_key, visitor_id, name, email, message,"
      " created_at) VALUES (:widget, :visitor, :name, :email, :message, :created) RETURNING id",
      "tittti", "i"};
  c[kListOfflineMessages] = {
      "SELECT " + offline_cols +
          " FROM webchat_offline_messages WHERE (:any = 1 OR (handled_at IS NOT NULL) = (:handled"
          " = 1)) AND id < :before ORDER BY id DESC LIMIT :n",
      "iiii", offline_kinds};
  c[kMarkOfflineHandled] = {
      "UPDATE webchat_offline_messages SET handled_at = :now, handled_by = :agent"
      " WHERE id = :id AND handled_at IS NULL",
      "iii", ""};
  c[kGetOfflineMessage] = {
      "SELECT " + offline_cols + " FROM webchat_offline_messages WHERE id = :id", "i",
      offline_kinds};
}

}  // namespace handoffd::sqlstore
