// The black-box end-to-end fixture (test-only): the real `handoffd serve` binary, driven only over
// HTTP and the CLI as API.md and PRODUCT.md describe them, with a local stand-in for Meta's Graph
// API behind a switch (GraphGate). Each e2e_*_test.cc runs its stories on SQLite and PostgreSQL:
//
//   class E2eWidgetTest : public E2eTest {};
//   TEST_P(E2eWidgetTest, Story) { ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions())); ... }
//   HANDOFFD_E2E_INSTANTIATE(E2eWidgetTest);
//
// Nothing here includes daemon internals except the webhook builder and signer, which produce
// Meta-shaped bodies.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/whatsapp/signature.h"
#include "channels/whatsapp/webhook_builder.h"
#include "support/daemon_process.h"
#include "support/e2e_helpers.h"
#include "support/fake_graph_server.h"
#include "support/graph_gate.h"
#include "support/test_db.h"

namespace handoffd::testing {

// ---------------------------------------------------------------------------------------------

struct Reply {
  bool connected = false;
  int status = 0;
  std::string body;
  std::string content_type;
  httplib::Headers headers;
  json j;  // parsed body (discarded when not JSON)

  std::string Describe() const {
    return connected ? "HTTP " + std::to_string(status) + " " + content_type + " " + body
                     : "no connection";
  }
};

struct Outbound {
  RecordedRequest request;
  json body;
};

class E2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeGraphServer>();
    gate_ = std::make_unique<GraphGate>(fake_->port());
    db_ = std::make_unique<TestDatabase>(GetParam());
  }

  void TearDown() override {
    if (HasFailure() && daemon_ != nullptr) {
      std::fprintf(stderr, "--- handoffd log tail (%s) ---\n%s\n", daemon_->log_path().c_str(),
                   daemon_->LogTail(80).c_str());
    }
    daemon_.reset();
    gate_.reset();
    fake_.reset();
    db_.reset();
  }

  DaemonOptions BaseOptions() const {
    DaemonOptions o;
    o.binary = HANDOFFD_BINARY;
    o.database_url = db_->url();
    o.app_secret = kSecret;
    o.verify_token = kVerifyToken;
    o.access_token = "test-token";
    o.api_base = gate_->api_base();
    o.phone_number_id = kPhoneNumberId;
    o.session_ttl = "22h";
    o.expiry_sweep_interval = "5m";
    o.log_format = "json";
    return o;
  }

  void StartDaemon(const DaemonOptions& options) {
    daemon_ = std::make_unique<DaemonProcess>(options);
    std::string error;
    ASSERT_TRUE(daemon_->Start(seconds(20), &error)) << error;
  }

  // --- HTTP ---

  Reply Call(const std::string& method, const std::string& path, const std::string& token = "",
             const std::optional<std::string>& body = std::nullopt,
             const std::string& content_type = "application/json",
             httplib::Headers headers = {}) const {
    httplib::Client client("127.0.0.1", daemon_->port());
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(15, 0);
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result res = method == "GET" ? client.Get(path, headers)
                          : method == "PUT"
                              ? client.Put(path, headers, body.value_or(""), content_type)
                          : method == "DELETE" ? client.Delete(path, headers)
                          : body               ? client.Post(path, headers, *body, content_type)
                                               : client.Post(path, headers);
    Reply r;
    if (!res) return r;
    r.connected = true;
    r.status = res->status;
    r.body = res->body;
    r.content_type = res->get_header_value("Content-Type");
    r.headers = res->headers;
    r.j = json::parse(r.body, nullptr, false);
    return r;
  }
  Reply Get(const std::string& path, const std::string& token = "") const {
    return Call("GET", path, token);
  }
  Reply PostJson(const std::string& path, const json& body, const std::string& token = "") const {
    return Call("POST", path, token, body.dump());
  }
  Reply PostEmpty(const std::string& path, const std::string& token = "") const {
    return Call("POST", path, token);
  }

  // A webhook POST with an explicit X-Hub-Signature-256 (nullopt: header absent).
  Reply PostWebhookRaw(const std::string& body, const std::optional<std::string>& signature) const {
    httplib::Headers headers;
    if (signature) headers.emplace("X-Hub-Signature-256", *signature);
    return Call("POST", "/webhooks/whatsapp", "", body, "application/json", headers);
  }
  Reply PostWebhook(const std::string& body) const {
    return PostWebhookRaw(body, whatsapp::SignBody(kSecret, body));
  }

  static std::string TextWebhook(const std::string& from, const std::string& name,
                                 const std::string& text, const std::string& wamid,
                                 int64_t timestamp) {
    whatsapp::SimulatedMessage m;
    m.from = from;
    m.name = name;
    m.text = text;
    m.wamid = wamid;
    m.timestamp = timestamp;
    return whatsapp::BuildMessageWebhook(m);
  }
  static std::string ButtonWebhook(const std::string& from, const std::string& name,
                                   const std::string& id, const std::string& title,
                                   const std::string& wamid, int64_t timestamp) {
    whatsapp::SimulatedMessage m;
    m.from = from;
    m.name = name;
    m.button_id = id;
    m.button_title = title;
    m.wamid = wamid;
    m.timestamp = timestamp;
    return whatsapp::BuildMessageWebhook(m);
  }

  // Posts a signed webhook and asserts 200.
  void Deliver(const std::string& body) {
    Reply r = PostWebhook(body);
    ASSERT_EQ(r.status, 200) << r.Describe() << "\nbody: " << body;
  }

  static void ExpectError(const Reply& r, int status, const std::string& code,
                          const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.Describe();
    EXPECT_TRUE(Contains(r.content_type, "application/json")) << what << ": " << r.Describe();
    ASSERT_TRUE(r.j.is_object() && r.j.contains("error") && At(r.j, "error").is_object())
        << what << ": error shape expected, got " << r.Describe();
    EXPECT_EQ(Str(At(r.j, "error"), "code"), code) << what << ": " << r.Describe();
    EXPECT_TRUE(At(r.j, "error").contains("message") && At(r.j, "error")["message"].is_string() &&
                !At(r.j, "error")["message"].get<std::string>().empty())
        << what << ": " << r.Describe();
  }

  // --- The Graph API stand-in ---

  // Every send to "+wa_id", in arrival order.
  std::vector<Outbound> SentTo(const std::string& wa_id) const {
    std::vector<Outbound> out;
    for (auto& r : fake_->Requests()) {
      if (r.method != "POST") continue;
      json j = json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("to") || j["to"] != "+" + wa_id) continue;
      out.push_back({r, j});
    }
    return out;
  }
  std::vector<Outbound> WaitForSentTo(const std::string& wa_id, size_t n,
                                      milliseconds timeout = seconds(10)) const {
    Eventually([&] { return SentTo(wa_id).size() >= n; }, timeout);
    return SentTo(wa_id);
  }
  // How many requests the stand-in received with text body `text`.
  size_t CountTextSends(const std::string& text) const {
    size_t n = 0;
    for (auto& r : fake_->Requests()) {
      json j = json::parse(r.body, nullptr, false);
      if (j.is_object() && j.contains("text") && j["text"].is_object() &&
          Str(j["text"], "body") == text) {
        ++n;
      }
    }
    return n;
  }

  static void ExpectGraphRequest(const Outbound& o, const std::string& wa_id) {
    EXPECT_EQ(o.request.path, kMessagesPath);
    auto auth = o.request.headers.find("authorization");
    ASSERT_NE(auth, o.request.headers.end()) << "no Authorization header";
    EXPECT_EQ(auth->second, "Bearer test-token");
    auto ct = o.request.headers.find("content-type");
    ASSERT_NE(ct, o.request.headers.end()) << "no Content-Type header";
    EXPECT_TRUE(Contains(ct->second, "application/json")) << ct->second;
    EXPECT_EQ(Str(o.body, "messaging_product"), "whatsapp") << o.body.dump();
    EXPECT_EQ(Str(o.body, "to"), "+" + wa_id) << o.body.dump();
    if (o.body.contains("recipient_type")) {
      EXPECT_EQ(o.body["recipient_type"], "individual") << o.body.dump();
    }
  }

  static void ExpectTextSend(const Outbound& o, const std::string& wa_id, const std::string& text) {
    ExpectGraphRequest(o, wa_id);
    const std::set<std::string> allowed = {"messaging_product", "recipient_type", "to", "type",
                                           "text"};
    for (const auto& k : Keys(o.body)) EXPECT_TRUE(allowed.count(k)) << "unexpected key " << k;
    EXPECT_EQ(Str(o.body, "type"), "text") << o.body.dump();
    ASSERT_TRUE(o.body.contains("text") && o.body["text"].is_object()) << o.body.dump();
    EXPECT_EQ(Str(o.body["text"], "body"), text) << o.body.dump();
    for (const auto& k : Keys(o.body["text"])) {
      EXPECT_TRUE(k == "body" || k == "preview_url") << "unexpected text key " << k;
    }
  }

  static void ExpectMenuSend(const Outbound& o, const std::string& wa_id) {
    ExpectGraphRequest(o, wa_id);
    const std::set<std::string> allowed = {"messaging_product", "recipient_type", "to", "type",
                                           "interactive"};
    for (const auto& k : Keys(o.body)) EXPECT_TRUE(allowed.count(k)) << "unexpected key " << k;
    EXPECT_EQ(Str(o.body, "type"), "interactive") << o.body.dump();
    const json expected =
        json::parse(std::string(R"({"type":"button","body":{"text":")") + kMenuBody +
                    R"("},"action":{"buttons":[{"type":"reply","reply":)"
                    R"({"id":"AGENT_MODE","title":"Talk to Expert"}}]}})");
    EXPECT_EQ(o.body["interactive"], expected) << o.body.dump();
  }

  // --- CLI and agents ---

  std::string AddAgent(const std::string& email, const std::string& name, const std::string& role,
                       const std::string& password, int max_chats = 0) {
    std::vector<std::string> args = {"agent",  "add", "--email", email,
                                     "--name", name,  "--role",  role};
    if (max_chats > 0) {
      args.push_back("--max-chats");
      args.push_back(std::to_string(max_chats));
    }
    args.push_back("--password-stdin");
    CommandResult r = daemon_->RunCli(args, password + "\n");
    EXPECT_EQ(r.exit_code, 0) << "agent add " << email << ": " << r.Describe();
    EXPECT_FALSE(Trim(r.out).empty()) << "agent add must print the new id: " << r.Describe();
    return Trim(r.out);
  }

  struct Login {
    std::string token;
    json agent;
    std::string id;
  };
  Login LogIn(const std::string& email, const std::string& password) {
    Reply r = PostJson("/api/auth/login", {{"email", email}, {"password", password}});
    Login l;
    EXPECT_EQ(r.status, 200) << "login " << email << ": " << r.Describe();
    if (r.status != 200 || !r.j.is_object()) return l;
    l.token = Str(r.j, "token");
    l.agent = At(r.j, "agent");
    if (l.agent.is_object() && l.agent.contains("id")) l.id = IdStr(l.agent["id"]);
    EXPECT_FALSE(l.token.empty()) << r.Describe();
    EXPECT_TRUE(IsRfc3339Millis(At(r.j, "expires_at"))) << r.Describe();
    ExpectHasKeys(l.agent, kAgentKeys, "login agent");
    std::string cookies;
    for (const auto& [name, value] : r.headers) {
      if (name == "Set-Cookie" || name == "set-cookie") cookies += value + "\n";
    }
    EXPECT_TRUE(Contains(cookies, "HttpOnly")) << "login must set an HttpOnly cookie: " << cookies;
    return l;
  }

  // --- Sessions ---

  static std::string SessionPath(const json& session) {
    return "/api/agent/sessions/" + IdStr(session["id"]);
  }
  json GetSession(const json& session, const std::string& token) const {
    Reply r = Get(SessionPath(session), token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.j;
  }
  json Messages(const json& session, const std::string& token) const {
    Reply r = Get(SessionPath(session) + "/messages", token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    if (!r.j.is_object() || !r.j.contains("messages") || !At(r.j, "messages").is_array()) {
      ADD_FAILURE() << "messages shape: " << r.Describe();
      return json::array();
    }
    return At(r.j, "messages");
  }
  json FindMessage(const json& session, const json& message_id, const std::string& token) const {
    for (const auto& m : Messages(session, token)) {
      if (m.contains("id") && IdStr(m["id"]) == IdStr(message_id)) return m;
    }
    return json();
  }
  // Polls the message until its delivery_status is `status`; returns its last state.
  json WaitForDeliveryStatus(const json& session, const json& message_id, const std::string& status,
                             const std::string& token, milliseconds timeout = seconds(10)) const {
    json last;
    Eventually(
        [&] {
          last = FindMessage(session, message_id, token);
          return last.is_object() && Str(last, "delivery_status") == status;
        },
        timeout);
    return last;
  }
  json WaitForSessionStatus(const json& session, const std::string& status,
                            const std::string& token, milliseconds timeout = seconds(10)) const {
    json last;
    Eventually(
        [&] {
          Reply r = Get(SessionPath(session), token);
          last = r.j;
          return r.status == 200 && last.is_object() && Str(last, "status") == status;
        },
        timeout);
    return last;
  }
  json WaitingSessions(const std::string& token) const {
    Reply r = Get("/api/agent/sessions/waiting", token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    if (!r.j.is_object() || !r.j.contains("sessions") || !At(r.j, "sessions").is_array()) {
      ADD_FAILURE() << "waiting shape: " << r.Describe();
      return json::array();
    }
    return At(r.j, "sessions");
  }
  json FindWaiting(const std::string& wa_id, const std::string& token) const {
    for (const auto& s : WaitingSessions(token)) {
      if (Str(s, "phone_number") == wa_id) return s;
    }
    return json();
  }

  // --- The openings stories share ---

  /// Two agents and a supervisor, created with `agent add` and logged in.
  struct Team {
    std::string alice_id, bob_id, sam_id;
    Login alice, bob, sam;
  };
  Team AddTeam() {
    Team t;
    t.alice_id = AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
    t.bob_id = AddAgent("bob@example.com", "Bob Agent", "agent", "bob-pass-1");
    t.sam_id = AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
    t.alice = LogIn("alice@example.com", "alice-pass-1");
    t.bob = LogIn("bob@example.com", "bob-pass-1");
    t.sam = LogIn("sam@example.com", "sam-pass-1");
    EXPECT_FALSE(t.alice.token.empty());
    EXPECT_FALSE(t.bob.token.empty());
    EXPECT_FALSE(t.sam.token.empty());
    return t;
  }

  /// The customer taps AGENT_MODE at WhatsApp time `t`; waits for "Connecting you to an
  /// agent..." and then their place in the queue ("You are number N in line..."; the last two
  /// sends to them) and returns the waiting session as `token` sees it.
  json AskForAnAgent(const std::string& wa_id, const std::string& name, const std::string& wamid,
                     int64_t t, const std::string& token) {
    const size_t sent_before = SentTo(wa_id).size();
    Reply r = PostWebhook(ButtonWebhook(wa_id, name, "AGENT_MODE", "Talk to Expert", wamid, t));
    EXPECT_EQ(r.status, 200) << r.Describe();
    auto sent = WaitForSentTo(wa_id, sent_before + 2);
    EXPECT_EQ(sent.size(), sent_before + 2) << "connecting and the queue position, once each";
    if (sent.size() == sent_before + 2) {
      ExpectTextSend(sent[sent_before], wa_id, kConnecting);
      EXPECT_TRUE(Contains(Str(At(sent.back().body, "text"), "body"), "You are number "))
          << sent.back().body.dump();
    }
    json session = FindWaiting(wa_id, token);
    EXPECT_TRUE(session.is_object()) << "no waiting session for " << wa_id;
    return session;
  }

  /// `agent` accepts `session`; waits for "You are now chatting with NAME." (the last send).
  void Accept(const json& session, const Login& agent, const std::string& agent_name) {
    const std::string wa_id = Str(session, "phone_number");
    const size_t sent_before = SentTo(wa_id).size();
    Reply assign = PostJson(SessionPath(session) + "/assign", json::object(), agent.token);
    ASSERT_EQ(assign.status, 200) << assign.Describe();
    auto sent = WaitForSentTo(wa_id, sent_before + 1);
    ASSERT_EQ(sent.size(), sent_before + 1);
    ExpectTextSend(sent.back(), wa_id, "You are now chatting with " + agent_name + ".");
  }

  /// The JSON log lines (from byte `offset` of the daemon's log) whose "event" is `event`.
  std::vector<json> LogEvents(const std::string& event, size_t offset = 0) const {
    std::vector<json> out;
    for (const auto& line : daemon_->JsonLogLines(offset)) {
      if (Str(line, "event") == event) out.push_back(line);
    }
    return out;
  }

  std::unique_ptr<FakeGraphServer> fake_;
  std::unique_ptr<GraphGate> gate_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// Instantiates the suite `fixture` on every test database (Db/fixture.Story/sqlite, ...).
#define HANDOFFD_E2E_INSTANTIATE(fixture)               \
  INSTANTIATE_TEST_SUITE_P(                             \
      Db, fixture, ::testing::ValuesIn(TestDialects()), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

}  // namespace handoffd::testing
