// Agent tools and reports end to end (issue 12) on the real binary, SQLite and PostgreSQL: an
// agent writes a note, labels the chat and answers; the end brings the CSAT buttons over the
// fake Graph API and the customer's rating and comment land on the session without reopening it
// or reaching the bot; the supervisor's report (JSON and CSV) and the transcript show the day; a
// local receiver that answers 500 and then 200 gets every event, signed, once in order by id.
#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

constexpr char kHookSecret[] = "integration-secret-42";

/// A local integration webhook receiver: the first `fail_first` POSTs get 500, the rest 200.
class Receiver {
 public:
  explicit Receiver(int fail_first) : fail_first_(fail_first) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      Received r;
      r.body = req.body;
      r.signature = req.get_header_value("X-Handoffd-Signature");
      r.accepted = static_cast<int>(received_.size()) >= fail_first_;
      received_.push_back(r);
      res.status = r.accepted ? 200 : 500;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  struct Received {
    std::string body;
    std::string signature;
    bool accepted = false;
  };
  std::vector<Received> All() const {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  int fail_first_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Received> received_;
};

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

class E2eReports : public E2eTest {
 protected:
  /// PUT with a JSON body (the shared fixture's Call sends GET and POST only).
  Reply PutJson(const std::string& path, const json& body, const std::string& token) const {
    httplib::Client client("127.0.0.1", daemon_->port());
    client.set_read_timeout(15, 0);
    httplib::Result res =
        client.Put(path, {{"Authorization", "Bearer " + token}}, body.dump(), "application/json");
    Reply r;
    if (!res) return r;
    r.connected = true;
    r.status = res->status;
    r.body = res->body;
    r.content_type = res->get_header_value("Content-Type");
    r.j = json::parse(r.body, nullptr, false);
    return r;
  }
};

TEST_P(E2eReports, NoteLabelsCsatReportTranscriptAndSignedEvents) {
  Receiver receiver(2);
  DaemonOptions o = BaseOptions();
  o.extra_toml["csat.enabled"] = "true";
  o.extra_toml["integrations.webhooks"] =
      "[{url = \"" + receiver.url() + "\", secret = \"" + kHookSecret + "\", events = [\"*\"]}]";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));
  Team team = AddTeam();

  // Canned responses: supervisors write, agents read.
  Reply canned =
      PostJson("/api/canned-responses", {{"shortcut", "hello"}, {"content", "Hi {customer_name}!"}},
               team.sam.token);
  ASSERT_EQ(canned.status, 201) << canned.Describe();
  ExpectError(
      PostJson("/api/canned-responses", {{"shortcut", "x"}, {"content", "y"}}, team.alice.token),
      403, "forbidden", "an agent writing a canned response");
  ExpectError(PostJson("/api/canned-responses", {{"shortcut", "hello"}, {"content", "again"}},
                       team.sam.token),
              409, "conflict", "a taken shortcut");
  ExpectError(PostJson("/api/canned-responses", {{"shortcut", "Bad Shortcut"}, {"content", "y"}},
                       team.sam.token),
              400, "bad_request", "a malformed shortcut");
  Reply list = Get("/api/canned-responses", team.alice.token);
  ASSERT_EQ(list.status, 200) << list.Describe();
  ASSERT_EQ(At(list.j, "canned_responses").size(), 1u) << list.Describe();

  const int64_t t0 = NowUnixSeconds();
  json session = AskForAnAgent(kAnna, "Anna", "wamid.R1", t0, team.alice.token);
  ASSERT_TRUE(session.is_object());
  ASSERT_NO_FATAL_FAILURE(Accept(session, team.alice, "Alice Agent"));
  const size_t sends_before_note = SentTo(kAnna).size();

  Reply note = PostJson(SessionPath(session) + "/notes", {{"content", "VIP, refund approved"}},
                        team.alice.token);
  ASSERT_EQ(note.status, 201) << note.Describe();
  EXPECT_EQ(Str(note.j, "type"), "note");
  EXPECT_EQ(Str(note.j, "direction"), "internal");
  ExpectError(PostJson(SessionPath(session) + "/notes", {{"content", "mine"}}, team.bob.token), 403,
              "forbidden", "a note on another agent's chat");

  Reply labels =
      PutJson(SessionPath(session) + "/labels", {{"labels", {"billing", "vip"}}}, team.alice.token);
  ASSERT_EQ(labels.status, 200) << labels.Describe();
  EXPECT_EQ(At(labels.j, "labels"), json({"billing", "vip"}));

  Reply reply =
      PostJson(SessionPath(session) + "/messages", {{"content", "Hello Anna"}}, team.alice.token);
  ASSERT_EQ(reply.status, 201) << reply.Describe();
  auto sent = WaitForSentTo(kAnna, sends_before_note + 1);
  ASSERT_EQ(sent.size(), sends_before_note + 1) << "the note must never reach the customer";
  ExpectTextSend(sent.back(), kAnna, "Hello Anna");

  // The agent ends: the ended text, then the rating buttons.
  Reply end = PostEmpty(SessionPath(session) + "/end", team.alice.token);
  ASSERT_EQ(end.status, 200) << end.Describe();
  sent = WaitForSentTo(kAnna, sends_before_note + 3);
  ASSERT_EQ(sent.size(), sends_before_note + 3);
  ExpectTextSend(sent[sent.size() - 2], kAnna, kEnded);
  const json& ask = sent.back().body;
  EXPECT_EQ(Str(ask, "type"), "interactive") << ask.dump();
  json ids = json::array();
  for (const auto& b : ask["interactive"]["action"]["buttons"]) ids.push_back(b["reply"]["id"]);
  EXPECT_EQ(ids, json({"CSAT_3", "CSAT_2", "CSAT_1"})) << ask.dump();

  // The rating and a comment: stored, no new session, nothing for the bot.
  Deliver(ButtonWebhook(kAnna, "Anna", "CSAT_3", "Good", "wamid.R2", t0 + 60));
  json rated;
  ASSERT_TRUE(Eventually(
      [&] {
        rated = GetSession(session, team.sam.token);
        return At(rated, "csat_score") == json(3);
      },
      seconds(10)))
      << rated.dump();
  Deliver(TextWebhook(kAnna, "Anna", "Quick and friendly", "wamid.R3", t0 + 70));
  sent = WaitForSentTo(kAnna, sends_before_note + 4);
  ASSERT_EQ(sent.size(), sends_before_note + 4);
  ExpectTextSend(sent.back(), kAnna, "Thank you for your feedback!");
  EXPECT_EQ(Str(GetSession(session, team.sam.token), "status"), "ended");
  EXPECT_TRUE(FindWaiting(kAnna, team.sam.token).is_null());
  std::this_thread::sleep_for(milliseconds(300));  // a menu would have been sent by now
  EXPECT_EQ(SentTo(kAnna).size(), sends_before_note + 4) << "the bot must not answer a rating";
  EXPECT_TRUE(At(rated, "wait_seconds").is_number()) << rated.dump();
  EXPECT_TRUE(At(rated, "first_response_seconds").is_number()) << rated.dump();
  EXPECT_TRUE(At(rated, "handle_seconds").is_number()) << rated.dump();

  // Transcripts: the conversation in UTC, without the note.
  Reply txt = Get(SessionPath(session) + "/transcript?format=txt", team.alice.token);
  ASSERT_EQ(txt.status, 200) << txt.Describe();
  EXPECT_TRUE(Contains(txt.body, "Hello Anna")) << txt.body;
  EXPECT_TRUE(Contains(txt.body, "Quick and friendly")) << txt.body;
  EXPECT_TRUE(Contains(txt.body, " UTC]")) << txt.body;
  EXPECT_FALSE(Contains(txt.body, "VIP, refund approved")) << txt.body;
  Reply tj = Get(SessionPath(session) + "/transcript?format=json", team.alice.token);
  ASSERT_EQ(tj.status, 200) << tj.Describe();
  ASSERT_TRUE(At(tj.j, "messages").is_array()) << tj.Describe();
  for (const auto& m : tj.j["messages"]) EXPECT_NE(Str(m, "type"), "note");
  ExpectError(Get(SessionPath(session) + "/transcript?format=txt", team.bob.token), 403,
              "forbidden", "another agent's transcript");

  // The supervisor's report for today, as JSON and as CSV.
  const std::string today = Rfc3339(NowUnixMillis()).substr(0, 10);
  const std::string range = "from=" + today + "&to=" + today;
  ExpectError(Get("/api/reports/summary?" + range, team.alice.token), 403, "forbidden",
              "an agent's report");
  ExpectError(Get("/api/reports/summary?group_by=week", team.sam.token), 400, "bad_request",
              "a bad group_by");
  Reply report = Get("/api/reports/summary?" + range + "&group_by=day", team.sam.token);
  ASSERT_EQ(report.status, 200) << report.Describe();
  ASSERT_EQ(At(report.j, "rows").size(), 1u) << report.Describe();
  const json row = report.j["rows"][0];
  EXPECT_EQ(At(row, "key"), json(today));
  EXPECT_EQ(At(row, "sessions"), json(1));
  EXPECT_EQ(At(row, "assigned"), json(1));
  EXPECT_EQ(At(row, "missed"), json(0));
  EXPECT_EQ(At(row, "csat_count"), json(1));
  EXPECT_EQ(At(row, "csat_average"), json(3.0));
  EXPECT_TRUE(At(row, "median_first_response_seconds").is_number()) << row.dump();
  Reply by_label =
      Get("/api/reports/summary?" + range + "&group_by=agent&label=nolabel", team.sam.token);
  ASSERT_EQ(by_label.status, 200);
  EXPECT_TRUE(At(by_label.j, "rows").empty()) << by_label.Describe();
  Reply csv = Get("/api/reports/summary?" + range + "&group_by=agent&format=csv", team.sam.token);
  ASSERT_EQ(csv.status, 200) << csv.Describe();
  EXPECT_TRUE(Contains(csv.content_type, "text/csv")) << csv.content_type;
  const auto rows = ParseCsv(csv.body);
  ASSERT_EQ(rows.size(), 2u) << csv.body;
  EXPECT_EQ(rows[0], (std::vector<std::string>{
                         "key", "sessions", "assigned", "missed", "median_wait_seconds",
                         "p90_wait_seconds", "median_first_response_seconds",
                         "median_handle_seconds", "csat_average", "csat_count"}));
  EXPECT_EQ(rows[1][0], team.alice_id);
  EXPECT_EQ(rows[1][1], "1");
  EXPECT_EQ(rows[1][9], "1");
  EXPECT_EQ(std::stod(rows[1][4]), At(row, "median_wait_seconds").get<double>());

  // The receiver: every event, signed; accepted once each, in id order per session.
  const std::vector<std::string> wanted = {"session.created", "session.assigned", "message.created",
                                           "session.ended", "csat.received"};
  std::vector<Receiver::Received> got;
  auto accepted_types = [&] {
    std::set<std::string> types;
    for (const auto& r : receiver.All()) {
      if (r.accepted) types.insert(Str(json::parse(r.body, nullptr, false), "type"));
    }
    return types;
  };
  ASSERT_TRUE(Eventually(
      [&] {
        auto types = accepted_types();
        for (const auto& w : wanted) {
          if (!types.count(w)) return false;
        }
        return true;
      },
      seconds(30)))
      << "events delivered: " << receiver.All().size();
  got = receiver.All();
  std::map<std::string, std::string> body_of_id;  // id -> body (a retry repeats it exactly)
  std::map<int64_t, int64_t> last_id_of_session;
  std::map<std::string, int> accepted_count;
  for (const auto& r : got) {
    EXPECT_EQ(r.signature, whatsapp::SignBody(kHookSecret, r.body)) << r.body;
    json e = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(e.is_object()) << r.body;
    ExpectHasKeys(e, {"id", "type", "created_at", "data"}, "integration event");
    const std::string id = IdStr(e["id"]);
    if (body_of_id.count(id)) {
      EXPECT_EQ(body_of_id[id], r.body) << "retry of " << id << " differs";
    }
    body_of_id[id] = r.body;
    if (!r.accepted) continue;
    ++accepted_count[id];
    const json data = e["data"];
    const std::string type = Str(e, "type");
    int64_t sid = 0;
    if (type.rfind("message.", 0) == 0 && data.contains("session_id") &&
        data["session_id"].is_number_integer()) {
      sid = data["session_id"].get<int64_t>();
    } else if (data.contains("id") && data["id"].is_number_integer()) {
      sid = type.rfind("session.", 0) == 0 || type.rfind("csat.", 0) == 0
                ? data["id"].get<int64_t>()
                : 0;
    }
    const int64_t n = e["id"].get<int64_t>();
    if (sid != 0) {
      EXPECT_GT(n, last_id_of_session[sid]) << "out of order for session " << sid << ": " << r.body;
      last_id_of_session[sid] = n;
    }
  }
  for (const auto& [id, n] : accepted_count) EXPECT_EQ(n, 1) << "event " << id << " accepted " << n;
  EXPECT_GE(got.size(), accepted_count.size() + 2) << "the two 500s must have been retried";
}

HANDOFFD_E2E_INSTANTIATE(E2eReports);

}  // namespace
}  // namespace handoffd::testing
