// Black-box end-to-end tests: the real `handoffd serve` binary, driven only over HTTP and the CLI
// as API.md and PRODUCT.md describe them, with a local stand-in for Meta's Graph API. Runs on
// SQLite and PostgreSQL. Nothing here includes daemon internals except the webhook builder and
// signer, which produce Meta-shaped bodies.

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
#include "support/fake_graph_server.h"
#include "support/test_db.h"

namespace handoffd::testing {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kPhoneNumberId[] = "123456789012345";
constexpr char kMessagesPath[] = "/v21.0/123456789012345/messages";
constexpr char kSecret[] = "e2e_app_secret_0123456789abcdef";
constexpr char kVerifyToken[] = "e2e_verify_token";

constexpr char kMenuBody[] = "Hello! How can we help you today?";
constexpr char kConnecting[] = "Connecting you to an agent...";
constexpr char kEnded[] = "This chat has ended. Thank you for contacting us!";
constexpr char kExpired[] =
    "Chat expired after 22 hours. Send us a message any time to start again.";

// Customers (fixtures/INDEX.md conventions plus two more).
constexpr char kAnna[] = "4915112345678";
constexpr char kJoao[] = "5511987654321";
constexpr char kLayla[] = "971501234567";
constexpr char kOliver[] = "447700900123";
constexpr char kMia[] = "61412345678";

// ---------------------------------------------------------------------------------------------
// Small helpers.

int64_t NowUnixMillis() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t NowUnixSeconds() { return NowUnixMillis() / 1000; }

// "2026-11-21T05:30:00.123Z" (API.md: RFC 3339 UTC with milliseconds).
std::string Rfc3339(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  int ms = static_cast<int>(unix_ms % 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ms);
  return buf;
}

bool IsRfc3339Millis(const json& v) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return v.is_string() && std::regex_match(v.get<std::string>(), re);
}

std::optional<int64_t> ParseRfc3339(const json& v) {
  if (!IsRfc3339Millis(v)) return std::nullopt;
  tm t{};
  int ms = 0;
  if (std::sscanf(v.get<std::string>().c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &t.tm_year,
                  &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec, &ms) != 7) {
    return std::nullopt;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000 + ms;
}

// Ids may be JSON numbers or strings: the contract does not say. Paths and comparisons use this.
std::string IdStr(const json& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return id.dump();
  return "<bad id " + id.dump() + ">";
}

// j[key] when j is an object that has it, else null (never throws).
json At(const json& j, const std::string& key) {
  if (j.is_object() && j.contains(key)) return j[key];
  return json();
}
// The string at j[key], or the JSON text of whatever is there instead ("null" when absent).
std::string Str(const json& j, const std::string& key) {
  json v = At(j, key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Polls `done` every 25 ms until it returns true or `timeout` passes.
bool Eventually(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(25));
  }
}

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  if (object.is_object()) {
    for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  }
  return keys;
}

void ExpectHasKeys(const json& object, const std::vector<std::string>& keys,
                   const std::string& what) {
  ASSERT_TRUE(object.is_object()) << what << " is not an object: " << object.dump();
  for (const auto& k : keys) EXPECT_TRUE(object.contains(k)) << what << " lacks \"" << k << "\"";
}

const std::vector<std::string> kSessionKeys = {"id",
                                               "channel",
                                               "phone_number",
                                               "customer_name",
                                               "phone_number_id",
                                               "status",
                                               "agent_id",
                                               "agent_name",
                                               "created_at",
                                               "assigned_at",
                                               "ended_at",
                                               "end_reason",
                                               "expires_at",
                                               "last_customer_message_at"};
const std::vector<std::string> kMessageKeys = {
    "id",      "session_id", "sender_type",        "sender_id",       "direction", "type",
    "content", "metadata",   "channel_message_id", "delivery_status", "error",     "created_at"};
const std::vector<std::string> kAgentKeys = {"id",     "email",     "name",        "role",
                                             "status", "max_chats", "active_chats"};

// ---------------------------------------------------------------------------------------------
// A switch in front of the FakeGraphServer: healthy, it relays every request unchanged and keeps
// the response; unhealthy, it answers 500 with Meta's transient error (code 2) itself, so the
// fake's queue of scripted answers is untouched. Used to make the Graph API "down" across a
// daemon restart without changing the daemon's config.
class GraphGate {
 public:
  struct Exchange {
    std::string path;
    std::string request_body;
    int status = 0;
    std::string response_body;
  };

  explicit GraphGate(int upstream_port) : upstream_port_(upstream_port) {
    server_.Post(".*",
                 [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~GraphGate() {
    server_.stop();
    thread_.join();
  }

  std::string api_base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v21.0"; }
  void set_healthy(bool healthy) { healthy_ = healthy; }
  int refused() const { return refused_; }
  std::vector<Exchange> Exchanges() const {
    std::lock_guard<std::mutex> lock(mu_);
    return exchanges_;
  }

  // The wamid returned by a successful send whose text body is `text` (empty if none yet).
  std::string WamidForText(const std::string& text) const {
    for (const auto& e : Exchanges()) {
      if (e.status != 200) continue;
      json req = json::parse(e.request_body, nullptr, false);
      if (!req.is_object() || !req.contains("text") || !req["text"].is_object() ||
          Str(req["text"], "body") != text) {
        continue;
      }
      json res = json::parse(e.response_body, nullptr, false);
      if (res.is_object() && res.contains("messages") && res["messages"].is_array() &&
          !res["messages"].empty()) {
        return Str(res["messages"][0], "id");
      }
    }
    return "";
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    Exchange e{req.path, req.body, 0, ""};
    if (!healthy_) {
      ++refused_;
      res.status = 500;
      e.response_body =
          R"({"error":{"message":"An unexpected error has occurred. Please retry your request later.",)"
          R"("type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"AgateDOWN"}})";
      res.set_content(e.response_body, "application/json");
    } else {
      httplib::Client up("127.0.0.1", upstream_port_);
      up.set_read_timeout(30, 0);
      httplib::Headers headers;
      if (req.has_header("Authorization")) {
        headers.emplace("Authorization", req.get_header_value("Authorization"));
      }
      auto r = up.Post(req.path, headers, req.body, req.get_header_value("Content-Type"));
      if (!r) {
        res.status = 502;
      } else {
        res.status = r->status;
        e.response_body = r->body;
        res.set_content(r->body, r->get_header_value("Content-Type"));
      }
    }
    e.status = res.status;
    std::lock_guard<std::mutex> lock(mu_);
    exchanges_.push_back(std::move(e));
  }

  int upstream_port_;
  int port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> healthy_{true};
  std::atomic<int> refused_{0};
  mutable std::mutex mu_;
  std::vector<Exchange> exchanges_;
};

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
                          : body          ? client.Post(path, headers, *body, content_type)
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

  std::unique_ptr<FakeGraphServer> fake_;
  std::unique_ptr<GraphGate> gate_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// ---------------------------------------------------------------------------------------------
// Webhook authentication and framing: verification handshake, signatures, size limit, non-JSON.

TEST_P(E2eTest, WebhookRejections) {
  DaemonOptions o = BaseOptions();
  o.max_body_bytes = 2048;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));

  Reply health = Get("/healthz");
  EXPECT_EQ(health.status, 200) << health.Describe();
  EXPECT_EQ(health.j, json({{"status", "ok"}})) << health.Describe();
  Reply ready = Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.Describe();
  EXPECT_EQ(ready.j, json({{"status", "ready"}})) << ready.Describe();

  // Verification handshake (facts §1).
  Reply verify = Get(std::string("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=") +
                     kVerifyToken + "&hub.challenge=1158201444");
  EXPECT_EQ(verify.status, 200) << verify.Describe();
  EXPECT_EQ(verify.body, "1158201444");
  EXPECT_EQ(verify.content_type.rfind("text/plain", 0), 0u) << verify.content_type;
  ExpectError(Get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong"
                  "&hub.challenge=1158201444"),
              403, "forbidden", "verification with a wrong token");
  ExpectError(Get(std::string("/webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=") +
                  kVerifyToken + "&hub.challenge=1158201444"),
              403, "forbidden", "verification with mode other than subscribe");

  // Unsigned, wrongly signed: 401, nothing stored, nothing sent.
  const std::string body = TextWebhook(kMia, "Mia", "hello", "wamid.REJECT1", NowUnixSeconds());
  ASSERT_LT(body.size(), 2048u);
  ExpectError(PostWebhookRaw(body, std::nullopt), 401, "unauthorized", "unsigned POST");
  std::string tampered = body;
  tampered[tampered.find("hello")] = 'j';
  ExpectError(PostWebhookRaw(tampered, whatsapp::SignBody(kSecret, body)), 401, "unauthorized",
              "body changed after signing");
  ExpectError(PostWebhookRaw(body, whatsapp::SignBody("another_secret", body)), 401, "unauthorized",
              "signed with another secret");
  std::string sig = whatsapp::SignBody(kSecret, body);
  ExpectError(PostWebhookRaw(body, sig.substr(7)), 401, "unauthorized",
              "signature without the sha256= prefix");

  // Over max_body_bytes: 413, even when correctly signed.
  const std::string big =
      TextWebhook(kMia, "Mia", std::string(2500, 'x'), "wamid.REJECT2", NowUnixSeconds());
  ASSERT_GT(big.size(), 2048u);
  ExpectError(PostWebhook(big), 413, "payload_too_large", "body over max_body_bytes");

  // Signed but not JSON: 400.
  ExpectError(PostWebhook("this is not json"), 400, "bad_request", "signed non-JSON body");

  // Validly signed content it ignores: 200.
  const std::string account_update =
      R"({"object":"whatsapp_business_account","entry":[{"id":"109876543210987","time":1767261600,)"
      R"("changes":[{"field":"account_update","value":{"phone_number":"15550001111",)"
      R"("event":"VERIFIED_ACCOUNT"}}]}]})";
  Reply ignored = PostWebhook(account_update);
  EXPECT_EQ(ignored.status, 200) << ignored.Describe();
  whatsapp::SimulatedMessage other_number;
  other_number.phone_number_id = "999999999999999";
  other_number.from = kLayla;
  other_number.name = "Layla";
  other_number.text = "to another number";
  other_number.timestamp = NowUnixSeconds();
  // phone_number_ids is empty (accept every number), so this one is processed: 200 as well.
  Reply other = PostWebhook(whatsapp::BuildMessageWebhook(other_number));
  EXPECT_EQ(other.status, 200) << other.Describe();

  // The rejected text never reached the router: a valid text from someone else gets its menu,
  // Mia gets nothing.
  Deliver(TextWebhook(kOliver, "Oliver", "hi", "wamid.REJECT3", NowUnixSeconds()));
  auto oliver = WaitForSentTo(kOliver, 1);
  ASSERT_EQ(oliver.size(), 1u);
  ExpectMenuSend(oliver[0], kOliver);
  EXPECT_TRUE(SentTo(kMia).empty()) << "a rejected webhook had an effect";

  // Metrics count webhooks.
  Reply metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain", 0), 0u) << metrics.content_type;
  EXPECT_TRUE(Contains(metrics.body, "handoffd_webhooks_received_total")) << metrics.body;
}

// ---------------------------------------------------------------------------------------------
// The whole story: bot menu, dedupe, handoff, agents, replies, statuses, failures, retries, end,
// API rules, restart with an undelivered reply.

TEST_P(E2eTest, WholeStory) {
  // --- CLI before the daemon runs: migrate, usage errors. ---
  {
    DaemonProcess cli_only(BaseOptions());
    CommandResult version = cli_only.RunCli({"--version"});
    EXPECT_EQ(version.exit_code, 0) << version.Describe();
    EXPECT_FALSE(Trim(version.out).empty()) << version.Describe();
    CommandResult migrate = cli_only.RunCli({"migrate", "--config", cli_only.config_path()});
    EXPECT_EQ(migrate.exit_code, 0) << migrate.Describe();
    EXPECT_FALSE(Trim(migrate.out).empty()) << "migrate prints each version applied";
    CommandResult again = cli_only.RunCli({"migrate", "--config", cli_only.config_path()});
    EXPECT_EQ(again.exit_code, 0) << again.Describe();
    CommandResult usage = cli_only.RunCli(
        {"agent", "add", "--name", "No Email", "--password-stdin"}, "long-enough-password\n");
    EXPECT_EQ(usage.exit_code, 2) << "agent add without --email: " << usage.Describe();
    EXPECT_FALSE(Trim(usage.err).empty()) << usage.Describe();
    CommandResult unknown = cli_only.RunCli({"frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  }

  ASSERT_NO_FATAL_FAILURE(StartDaemon(BaseOptions()));
  EXPECT_EQ(Get("/readyz").status, 200);

  // --- 1. A customer text: the built-in menu, exactly. ---
  const int64_t t1 = NowUnixSeconds();
  const std::string hi = TextWebhook(kAnna, "Anna", "Hi there", "wamid.ANNA.1", t1);
  ASSERT_NO_FATAL_FAILURE(Deliver(hi));
  auto to_anna = WaitForSentTo(kAnna, 1);
  ASSERT_EQ(to_anna.size(), 1u) << "the built-in menu was not sent";
  ExpectMenuSend(to_anna[0], kAnna);

  // --- 2. The same delivery again: 200 and no second menu. ---
  Reply dup = PostWebhook(hi);
  EXPECT_EQ(dup.status, 200) << dup.Describe();

  // --- 3. AGENT_MODE: a waiting session and "Connecting you to an agent...". ---
  const int64_t t2 = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(
      Deliver(ButtonWebhook(kAnna, "Anna", "AGENT_MODE", "Talk to Expert", "wamid.ANNA.2", t2)));
  to_anna = WaitForSentTo(kAnna, 2);
  ASSERT_EQ(to_anna.size(), 2u) << "expected exactly: menu, connecting (a duplicate menu?)";
  ExpectTextSend(to_anna[1], kAnna, kConnecting);

  // --- 4. Agents from the CLI; login; /api/me. ---
  const std::string alice_id =
      AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1", 5);
  const std::string bob_id = AddAgent("bob@example.com", "Bob Agent", "agent", "bob-pass-1");
  const std::string sam_id =
      AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
  {
    CommandResult dup_agent = daemon_->RunCli({"agent", "add", "--email", "alice@example.com",
                                               "--name", "Alice Again", "--password-stdin"},
                                              "another-password-1\n");
    EXPECT_EQ(dup_agent.exit_code, 1) << "duplicate email: " << dup_agent.Describe();
    CommandResult list = daemon_->RunCli({"agent", "list"});
    EXPECT_EQ(list.exit_code, 0) << list.Describe();
    EXPECT_TRUE(Contains(list.out, "alice@example.com") && Contains(list.out, "bob@example.com") &&
                Contains(list.out, "sam@example.com"))
        << list.Describe();
  }

  ExpectError(PostJson("/api/auth/login", {{"email", "alice@example.com"}, {"password", "nope"}}),
              401, "unauthorized", "login with a wrong password");
  ExpectError(
      PostJson("/api/auth/login", {{"email", "nobody@example.com"}, {"password", "alice-pass-1"}}),
      401, "unauthorized", "login with an unknown email");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");
  const Login bob = LogIn("bob@example.com", "bob-pass-1");
  const Login sam = LogIn("sam@example.com", "sam-pass-1");
  ASSERT_FALSE(alice.token.empty());
  ASSERT_FALSE(bob.token.empty());
  ASSERT_FALSE(sam.token.empty());
  EXPECT_EQ(alice.id, alice_id) << "agent add prints the id the API uses";
  EXPECT_EQ(bob.id, bob_id);
  EXPECT_EQ(sam.id, sam_id);
  EXPECT_EQ(Str(alice.agent, "email"), "alice@example.com");
  EXPECT_EQ(Str(alice.agent, "name"), "Alice Agent");
  EXPECT_EQ(Str(alice.agent, "role"), "agent");
  EXPECT_EQ(At(alice.agent, "max_chats"), 5);
  EXPECT_EQ(Str(sam.agent, "role"), "supervisor");
  {
    Reply me = Get("/api/me", alice.token);
    ASSERT_EQ(me.status, 200) << me.Describe();
    ExpectHasKeys(me.j, kAgentKeys, "/api/me");
    EXPECT_EQ(IdStr(At(me.j, "id")), alice_id);
    EXPECT_EQ(Str(me.j, "email"), "alice@example.com");
    EXPECT_EQ(At(me.j, "active_chats"), 0);
    const std::set<std::string> statuses = {"online", "away", "offline"};
    EXPECT_TRUE(statuses.count(Str(me.j, "status"))) << me.Describe();
  }
  ExpectError(Get("/api/me"), 401, "unauthorized", "/api/me without a token");
  ExpectError(Get("/api/me", "not-a-real-token"), 401, "unauthorized", "/api/me, bad token");
  ExpectError(Get("/api/agent/sessions/waiting"), 401, "unauthorized", "waiting without token");

  // --- 5. The waiting queue. ---
  json waiting = WaitingSessions(alice.token);
  ASSERT_EQ(waiting.size(), 1u) << waiting.dump();
  json session = waiting[0];
  ExpectHasKeys(session, kSessionKeys, "waiting session");
  EXPECT_EQ(Str(session, "channel"), "whatsapp");
  EXPECT_EQ(Str(session, "phone_number"), kAnna);
  EXPECT_EQ(Str(session, "customer_name"), "Anna");
  EXPECT_EQ(Str(session, "phone_number_id"), kPhoneNumberId);
  EXPECT_EQ(Str(session, "status"), "waiting");
  EXPECT_TRUE(session["agent_id"].is_null()) << session.dump();
  EXPECT_TRUE(session["agent_name"].is_null()) << session.dump();
  EXPECT_TRUE(session["assigned_at"].is_null()) << session.dump();
  EXPECT_TRUE(session["ended_at"].is_null()) << session.dump();
  EXPECT_TRUE(session["end_reason"].is_null()) << session.dump();
  EXPECT_TRUE(IsRfc3339Millis(session["created_at"])) << session.dump();
  EXPECT_EQ(session["expires_at"], Rfc3339((t2 + 22 * 3600) * 1000))
      << "expires_at = the trigger's WhatsApp timestamp + 22h";
  EXPECT_EQ(session["last_customer_message_at"], Rfc3339(t2 * 1000));
  {
    Reply one = Get(SessionPath(session), alice.token);
    ASSERT_EQ(one.status, 200) << one.Describe();
    EXPECT_EQ(one.j, session) << "GET /sessions/{id} and the waiting list disagree";
  }
  ExpectError(Get("/api/agent/sessions/999999999", alice.token), 404, "not_found",
              "unknown session");
  ExpectError(PostJson("/api/agent/sessions/999999999/assign", json::object(), alice.token), 404,
              "not_found", "assign an unknown session");

  // --- 6. Assign: active, "You are now chatting with Alice Agent." ---
  {
    Reply assign = PostJson(SessionPath(session) + "/assign", json::object(), alice.token);
    ASSERT_EQ(assign.status, 200) << assign.Describe();
    ExpectHasKeys(assign.j, kSessionKeys, "assigned session");
    EXPECT_EQ(Str(assign.j, "status"), "active");
    EXPECT_EQ(IdStr(At(assign.j, "agent_id")), alice_id);
    EXPECT_EQ(Str(assign.j, "agent_name"), "Alice Agent");
    EXPECT_TRUE(IsRfc3339Millis(At(assign.j, "assigned_at"))) << assign.Describe();
    EXPECT_EQ(IdStr(At(assign.j, "id")), IdStr(session["id"]));
  }
  to_anna = WaitForSentTo(kAnna, 3);
  ASSERT_EQ(to_anna.size(), 3u);
  ExpectTextSend(to_anna[2], kAnna, "You are now chatting with Alice Agent.");
  EXPECT_TRUE(WaitingSessions(alice.token).empty());
  ExpectError(PostJson(SessionPath(session) + "/assign", json::object(), bob.token), 409,
              "conflict", "an agent assigning an active session");
  ExpectError(Get("/api/agent/sessions/my-chats/" + alice_id, bob.token), 403, "forbidden",
              "an agent reading another agent's chats");
  {
    Reply mine = Get("/api/agent/sessions/my-chats/" + alice_id, alice.token);
    ASSERT_EQ(mine.status, 200) << mine.Describe();
    ASSERT_EQ(At(mine.j, "sessions").size(), 1u) << mine.Describe();
    EXPECT_EQ(IdStr(At(mine.j, "sessions")[0]["id"]), IdStr(session["id"]));
    Reply by_supervisor = Get("/api/agent/sessions/my-chats/" + alice_id, sam.token);
    EXPECT_EQ(by_supervisor.status, 200) << by_supervisor.Describe();
    Reply bobs = Get("/api/agent/sessions/my-chats/" + bob_id, bob.token);
    ASSERT_EQ(bobs.status, 200) << bobs.Describe();
    EXPECT_TRUE(At(bobs.j, "sessions").empty()) << bobs.Describe();
    Reply me = Get("/api/me", alice.token);
    EXPECT_EQ(At(me.j, "active_chats"), 1) << me.Describe();
  }

  // --- 7. The customer writes: the message joins the session. ---
  const int64_t t3 = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "My order #1234 has not arrived", "wamid.ANNA.3", t3)));
  {
    json messages = Messages(session, alice.token);
    json found;
    for (const auto& m : messages) {
      ExpectHasKeys(m, kMessageKeys, "message");
      if (Str(m, "content") == "My order #1234 has not arrived") found = m;
    }
    ASSERT_TRUE(found.is_object()) << "customer text missing: " << messages.dump();
    EXPECT_EQ(Str(found, "sender_type"), "customer");
    EXPECT_EQ(Str(found, "direction"), "in");
    EXPECT_EQ(Str(found, "type"), "text");
    EXPECT_EQ(Str(found, "channel_message_id"), "wamid.ANNA.3");
    EXPECT_EQ(Str(found, "delivery_status"), "received");
    EXPECT_TRUE(found["error"].is_null());
    EXPECT_EQ(IdStr(found["session_id"]), IdStr(session["id"]));
    EXPECT_TRUE(found["metadata"].is_object()) << found.dump();
    bool has_system = false;
    for (const auto& m : messages) has_system |= Str(m, "sender_type") == "system";
    EXPECT_TRUE(has_system) << "transitions add system messages: " << messages.dump();
    json now_session = GetSession(session, alice.token);
    EXPECT_EQ(now_session["expires_at"], Rfc3339((t3 + 22 * 3600) * 1000))
        << "a customer message moves expires_at to its timestamp + 22h";
    EXPECT_EQ(now_session["last_customer_message_at"], Rfc3339(t3 * 1000));
  }
  EXPECT_EQ(SentTo(kAnna).size(), 3u) << "a text in an open session must not get the menu";

  // --- 8. The agent replies: 201 queued, then sent through the Graph API. ---
  const std::string reply1 = "Hello Anna, I am looking at your order now.";
  Reply r1 = PostJson(SessionPath(session) + "/messages", {{"content", reply1}}, alice.token);
  ASSERT_EQ(r1.status, 201) << r1.Describe();
  ExpectHasKeys(r1.j, kMessageKeys, "agent message");
  EXPECT_EQ(Str(r1.j, "delivery_status"), "queued");
  EXPECT_EQ(Str(r1.j, "sender_type"), "agent");
  EXPECT_EQ(IdStr(At(r1.j, "sender_id")), alice_id);
  EXPECT_EQ(Str(r1.j, "direction"), "out");
  EXPECT_EQ(Str(r1.j, "type"), "text");
  EXPECT_EQ(Str(r1.j, "content"), reply1);
  EXPECT_TRUE(At(r1.j, "error").is_null()) << r1.Describe();
  to_anna = WaitForSentTo(kAnna, 4);
  ASSERT_EQ(to_anna.size(), 4u);
  ExpectTextSend(to_anna[3], kAnna, reply1);
  json m1 = WaitForDeliveryStatus(session, At(r1.j, "id"), "sent", alice.token);
  ASSERT_EQ(Str(m1, "delivery_status"), "sent") << m1.dump();
  const std::string wamid1 = gate_->WamidForText(reply1);
  ASSERT_FALSE(wamid1.empty());
  EXPECT_EQ(Str(m1, "channel_message_id"), wamid1);

  // Reply validation and ownership.
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", ""}}, alice.token), 400,
              "bad_request", "empty reply");
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", std::string(4097, 'a')}},
                       alice.token),
              400, "bad_request", "reply over 4096 characters");
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", "me too"}}, bob.token), 409,
              "conflict", "reply by an agent the session is not assigned to");

  // --- 9. Status webhooks: delivered, read; a late 'sent' does not go backwards. ---
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid1, "delivered", kAnna, NowUnixSeconds())));
  EXPECT_EQ(Str(FindMessage(session, At(r1.j, "id"), alice.token), "delivery_status"), "delivered");
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid1, "read", kAnna, NowUnixSeconds())));
  EXPECT_EQ(Str(FindMessage(session, At(r1.j, "id"), alice.token), "delivery_status"), "read");
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid1, "sent", kAnna, NowUnixSeconds() - 5)));
  EXPECT_EQ(Str(FindMessage(session, At(r1.j, "id"), alice.token), "delivery_status"), "read")
      << "statuses are monotonic";
  EXPECT_EQ(GetSession(session, alice.token)["expires_at"], Rfc3339((t3 + 22 * 3600) * 1000))
      << "statuses never extend the expiry";

  // --- 10. Meta answers 131047: failed, with code and title, not retried. ---
  const std::string reply2 = "Are you still there?";
  fake_->Enqueue(FakeGraphServer::MetaError(400, 131047, "Re-engagement message"));
  Reply r2 = PostJson(SessionPath(session) + "/messages", {{"content", reply2}}, alice.token);
  ASSERT_EQ(r2.status, 201) << r2.Describe();
  json m2 = WaitForDeliveryStatus(session, At(r2.j, "id"), "failed", alice.token);
  ASSERT_EQ(Str(m2, "delivery_status"), "failed") << m2.dump();
  ASSERT_TRUE(m2["error"].is_object()) << m2.dump();
  EXPECT_EQ(m2["error"]["code"], 131047) << m2.dump();
  EXPECT_TRUE(m2["error"]["title"].is_string() &&
              Contains(m2["error"]["title"].get<std::string>(), "Re-engagement message"))
      << m2.dump();

  // --- 11. Meta answers 130429 (throughput), then accepts: retried, ends 'sent'. ---
  const std::string reply3 = "Your parcel left the warehouse today.";
  fake_->Enqueue(FakeGraphServer::MetaError(400, 130429, "Rate limit hit"));
  Reply r3 = PostJson(SessionPath(session) + "/messages", {{"content", reply3}}, alice.token);
  ASSERT_EQ(r3.status, 201) << r3.Describe();
  json m3 = WaitForDeliveryStatus(session, At(r3.j, "id"), "sent", alice.token, seconds(20));
  ASSERT_EQ(Str(m3, "delivery_status"), "sent") << m3.dump();
  EXPECT_EQ(CountTextSends(reply3), 2u) << "one throttled attempt, one retry";
  const std::string wamid3 = gate_->WamidForText(reply3);
  ASSERT_FALSE(wamid3.empty());
  EXPECT_EQ(Str(m3, "channel_message_id"), wamid3);
  EXPECT_TRUE(m3["error"].is_null()) << m3.dump();
  EXPECT_EQ(CountTextSends(reply2), 1u) << "131047 must not be retried";

  // --- 12. A failed status webhook (131047) for a sent message; failed is final. ---
  ASSERT_NO_FATAL_FAILURE(Deliver(whatsapp::BuildStatusWebhook(
      kPhoneNumberId, wamid3, "failed", kAnna, NowUnixSeconds(), 131047, "Re-engagement message")));
  m3 = FindMessage(session, At(r3.j, "id"), alice.token);
  EXPECT_EQ(Str(m3, "delivery_status"), "failed") << m3.dump();
  ASSERT_TRUE(m3["error"].is_object()) << m3.dump();
  EXPECT_EQ(m3["error"]["code"], 131047) << m3.dump();
  EXPECT_EQ(Str(m3["error"], "title"), "Re-engagement message") << m3.dump();
  ASSERT_NO_FATAL_FAILURE(Deliver(
      whatsapp::BuildStatusWebhook(kPhoneNumberId, wamid3, "read", kAnna, NowUnixSeconds())));
  EXPECT_EQ(Str(FindMessage(session, At(r3.j, "id"), alice.token), "delivery_status"), "failed")
      << "failed is final";

  // --- 13. Supervisor views. ---
  ExpectError(Get("/api/agent/sessions/all", alice.token), 403, "forbidden",
              "an agent listing all sessions");
  {
    Reply all = Get("/api/agent/sessions/all?limit=10&offset=0", sam.token);
    ASSERT_EQ(all.status, 200) << all.Describe();
    EXPECT_EQ(At(all.j, "total"), 1) << all.Describe();
    EXPECT_EQ(At(all.j, "limit"), 10) << all.Describe();
    EXPECT_EQ(At(all.j, "offset"), 0) << all.Describe();
    Reply history = Get("/api/agent/sessions/history?search=aNNa", alice.token);
    ASSERT_EQ(history.status, 200) << history.Describe();
    ASSERT_EQ(At(history.j, "sessions").size(), 1u) << history.Describe();
    ExpectError(Get("/api/agent/sessions/history?limit=201", alice.token), 400, "bad_request",
                "history limit over 200");
  }

  // --- 14. "End chat" from the customer (case and spaces ignored). ---
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "  END Chat ", "wamid.ANNA.4", NowUnixSeconds())));
  {
    json ended = GetSession(session, alice.token);
    EXPECT_EQ(Str(ended, "status"), "ended") << ended.dump();
    EXPECT_EQ(Str(ended, "end_reason"), "customer") << ended.dump();
    EXPECT_TRUE(IsRfc3339Millis(ended["ended_at"])) << ended.dump();
  }
  // Sent so far: menu, connecting, joined, reply1, reply2 (131047), reply3 twice; then ended.
  to_anna = WaitForSentTo(kAnna, 8);
  ASSERT_EQ(to_anna.size(), 8u);
  ExpectTextSend(to_anna[7], kAnna, kEnded);
  ExpectError(PostJson(SessionPath(session) + "/messages", {{"content", "hello?"}}, alice.token),
              409, "conflict", "a reply to an ended session");
  ExpectError(PostEmpty(SessionPath(session) + "/end", alice.token), 409, "conflict",
              "ending an ended session");
  {
    Reply mine = Get("/api/agent/sessions/my-chats/" + alice_id, alice.token);
    EXPECT_TRUE(At(mine.j, "sessions").empty()) << mine.Describe();
  }
  // Without an open session the bot answers again.
  ASSERT_NO_FATAL_FAILURE(
      Deliver(TextWebhook(kAnna, "Anna", "one more thing", "wamid.ANNA.5", NowUnixSeconds())));
  to_anna = WaitForSentTo(kAnna, 9);
  ASSERT_EQ(to_anna.size(), 9u);
  ExpectMenuSend(to_anna[8], kAnna);

  // --- 15. An agent starts a session for a phone number: nothing is sent. ---
  {
    ExpectError(PostEmpty("/api/agent/sessions/start/97150abc4567", sam.token), 400, "bad_request",
                "start with letters in the number");
    ExpectError(PostEmpty("/api/agent/sessions/start/12345", sam.token), 400, "bad_request",
                "start with 5 digits");
    const int64_t before = NowUnixMillis();
    Reply start = PostEmpty(std::string("/api/agent/sessions/start/") + kLayla, sam.token);
    ASSERT_EQ(start.status, 201) << start.Describe();
    ExpectHasKeys(start.j, kSessionKeys, "started session");
    EXPECT_EQ(Str(start.j, "status"), "waiting");
    EXPECT_EQ(Str(start.j, "phone_number"), kLayla);
    auto expires = ParseRfc3339(At(start.j, "expires_at"));
    ASSERT_TRUE(expires.has_value()) << start.Describe();
    EXPECT_GE(*expires, before + 22LL * 3600 * 1000 - 2000) << start.Describe();
    EXPECT_LE(*expires, NowUnixMillis() + 22LL * 3600 * 1000 + 2000) << start.Describe();
    ExpectError(PostEmpty(std::string("/api/agent/sessions/start/") + kLayla, sam.token), 409,
                "conflict", "start while the customer has an open session");
    EXPECT_TRUE(SentTo(kLayla).empty()) << "start/{phone} sends nothing to the customer";
    Reply end = PostEmpty(SessionPath(start.j) + "/end", sam.token);
    ASSERT_EQ(end.status, 200) << end.Describe();
    EXPECT_EQ(Str(end.j, "status"), "ended");
    EXPECT_EQ(Str(end.j, "end_reason"), "supervisor");
  }

  // --- 16. `handoffd simulate` posts a signed webhook to the running daemon. ---
  {
    CommandResult sim = daemon_->RunCli(
        {"simulate", "--from", kOliver, "--name", "Oliver", "--text", "Hello from simulate"});
    EXPECT_EQ(sim.exit_code, 0) << sim.Describe();
    EXPECT_TRUE(Contains(sim.out, "200")) << sim.Describe();
    auto to_oliver = WaitForSentTo(kOliver, 1);
    ASSERT_EQ(to_oliver.size(), 1u);
    ExpectMenuSend(to_oliver[0], kOliver);
  }

  // --- 17. Two agents accept the same waiting chat at once: exactly one wins. ---
  {
    ASSERT_NO_FATAL_FAILURE(Deliver(ButtonWebhook(kMia, "Mia", "AGENT_MODE", "Talk to Expert",
                                                  "wamid.MIA.1", NowUnixSeconds())));
    json mia = FindWaiting(kMia, alice.token);
    ASSERT_TRUE(mia.is_object());
    Reply by_alice, by_bob;
    std::thread a(
        [&] { by_alice = PostJson(SessionPath(mia) + "/assign", json::object(), alice.token); });
    std::thread b(
        [&] { by_bob = PostJson(SessionPath(mia) + "/assign", json::object(), bob.token); });
    a.join();
    b.join();
    ASSERT_TRUE((by_alice.status == 200) != (by_bob.status == 200))
        << "exactly one accept wins: " << by_alice.Describe() << " / " << by_bob.Describe();
    const bool alice_won = by_alice.status == 200;
    ExpectError(alice_won ? by_bob : by_alice, 409, "conflict", "the losing accept");
    const Login& winner = alice_won ? alice : bob;
    json now_mia = GetSession(mia, sam.token);
    EXPECT_EQ(IdStr(At(now_mia, "agent_id")), winner.id) << now_mia.dump();
    Reply end = PostEmpty(SessionPath(mia) + "/end", winner.token);
    ASSERT_EQ(end.status, 200) << end.Describe();
    EXPECT_EQ(Str(end.j, "status"), "ended");
    EXPECT_EQ(Str(end.j, "end_reason"), "agent");
    auto to_mia = WaitForSentTo(kMia, 3);
    ASSERT_EQ(to_mia.size(), 3u) << "connecting, joined, ended";
    ExpectTextSend(to_mia[0], kMia, kConnecting);
    ExpectTextSend(to_mia[1], kMia,
                   std::string("You are now chatting with ") +
                       (alice_won ? "Alice Agent" : "Bob Agent") + ".");
    ExpectTextSend(to_mia[2], kMia, kEnded);
  }

  // --- 18. Restart: a reply queued while the Graph API is down is delivered after restart. ---
  ASSERT_NO_FATAL_FAILURE(Deliver(ButtonWebhook(
      kJoao, "Jo\xc3\xa3o", "AGENT_MODE", "Talk to Expert", "wamid.JOAO.1", NowUnixSeconds())));
  auto to_joao = WaitForSentTo(kJoao, 1);
  ASSERT_EQ(to_joao.size(), 1u);
  ExpectTextSend(to_joao[0], kJoao, kConnecting);
  json joao = FindWaiting(kJoao, alice.token);
  ASSERT_TRUE(joao.is_object());
  EXPECT_EQ(Str(joao, "customer_name"), "Jo\xc3\xa3o") << "non-ASCII names decode to UTF-8";
  ASSERT_EQ(PostJson(SessionPath(joao) + "/assign", json::object(), alice.token).status, 200);
  to_joao = WaitForSentTo(kJoao, 2);
  ASSERT_EQ(to_joao.size(), 2u);
  ExpectTextSend(to_joao[1], kJoao, "You are now chatting with Alice Agent.");

  gate_->set_healthy(false);
  const int refused_before = gate_->refused();
  const std::string refund = "Your refund is on its way.";
  Reply queued = PostJson(SessionPath(joao) + "/messages", {{"content", refund}}, alice.token);
  ASSERT_EQ(queued.status, 201) << queued.Describe();
  EXPECT_TRUE(Eventually([&] { return gate_->refused() > refused_before; }, seconds(10)))
      << "the daemon never tried to send while the Graph API was down";
  EXPECT_EQ(Str(FindMessage(joao, At(queued.j, "id"), alice.token), "delivery_status"), "queued")
      << "a 5xx is retryable: the message stays queued";
  StopResult stopped = daemon_->Stop();
  EXPECT_TRUE(stopped.graceful) << "SIGTERM must stop the daemon promptly";
  EXPECT_EQ(stopped.exit_code, 0) << "signal " << stopped.term_signal;
  gate_->set_healthy(true);
  std::string error;
  ASSERT_TRUE(daemon_->Start(seconds(20), &error)) << error;

  {
    Reply me = Get("/api/me", alice.token);
    EXPECT_EQ(me.status, 200) << "login tokens survive a restart: " << me.Describe();
  }
  json refund_message =
      WaitForDeliveryStatus(joao, At(queued.j, "id"), "sent", alice.token, seconds(20));
  EXPECT_EQ(Str(refund_message, "delivery_status"), "sent") << refund_message.dump();
  EXPECT_EQ(CountTextSends(refund), 1u) << "delivered exactly once";
  EXPECT_EQ(Str(refund_message, "channel_message_id"), gate_->WamidForText(refund));
  to_joao = SentTo(kJoao);
  ASSERT_EQ(to_joao.size(), 3u);
  ExpectTextSend(to_joao[2], kJoao, refund);

  // Nothing duplicated to Anna.
  EXPECT_EQ(SentTo(kAnna).size(), 9u);

  // --- 19. Metrics and logout. ---
  Reply metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(metrics.body, "handoffd_webhooks_received_total")) << metrics.body;
  Reply logout = PostEmpty("/api/auth/logout", alice.token);
  EXPECT_EQ(logout.status, 204) << logout.Describe();
  ExpectError(Get("/api/me", alice.token), 401, "unauthorized", "/api/me after logout");
}

// ---------------------------------------------------------------------------------------------
// Expiry: `handoffd expire --once` while the daemon is down, then the scheduler's punctual
// wake-up while it runs (sweep interval 1 minute, so only the wake-up can be in time).

TEST_P(E2eTest, ScheduledExpiry) {
  DaemonOptions o = BaseOptions();
  o.session_ttl = "3s";
  o.expiry_sweep_interval = "1m";
  ASSERT_NO_FATAL_FAILURE(StartDaemon(o));

  // A session falls due while the daemon is stopped; `expire --once` ends it.
  const int64_t t_oliver = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(Deliver(ButtonWebhook(kOliver, "Oliver", "AGENT_MODE", "Talk to Expert",
                                                "wamid.OLIVER.1", t_oliver)));
  StopResult stopped = daemon_->Stop();
  EXPECT_TRUE(stopped.graceful);
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(seconds(t_oliver + 3)) +
                                milliseconds(300));
  CommandResult expire = daemon_->RunCli({"expire", "--once"});
  EXPECT_EQ(expire.exit_code, 0) << expire.Describe();
  bool sweep_logged = false;
  for (const std::string* text : {&expire.err, &expire.out}) {
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_object() || !Contains(line, "expire")) continue;
      sweep_logged = true;
      if (j.contains("expired") && j["expired"].is_number()) {
        EXPECT_EQ(j["expired"], 1) << "the sweep line counts one expired session: " << line;
      }
    }
  }
  EXPECT_TRUE(sweep_logged) << "expire --once writes a JSON sweep line: " << expire.Describe();

  std::string error;
  ASSERT_TRUE(daemon_->Start(seconds(20), &error)) << error;
  const Login sam = [&] {
    AddAgent("sam@example.com", "Sam Supervisor", "supervisor", "sam-pass-1");
    return LogIn("sam@example.com", "sam-pass-1");
  }();
  ASSERT_FALSE(sam.token.empty());
  {
    Reply all = Get("/api/agent/sessions/all", sam.token);
    ASSERT_EQ(all.status, 200) << all.Describe();
    ASSERT_EQ(At(all.j, "sessions").size(), 1u) << all.Describe();
    json s = At(all.j, "sessions")[0];
    EXPECT_EQ(Str(s, "phone_number"), kOliver);
    EXPECT_EQ(Str(s, "status"), "ended") << s.dump();
    EXPECT_EQ(Str(s, "end_reason"), "expired") << s.dump();
  }
  auto to_oliver = WaitForSentTo(kOliver, 2);
  ASSERT_EQ(to_oliver.size(), 2u) << "connecting, then expired";
  ExpectTextSend(to_oliver[0], kOliver, kConnecting);
  ExpectTextSend(to_oliver[1], kOliver, kExpired);

  // An active session expires on time while the daemon runs.
  const std::string alice_id =
      AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");
  ASSERT_FALSE(alice.token.empty());
  const size_t log_mark = daemon_->LogSize();
  const int64_t t_layla = NowUnixSeconds();
  ASSERT_NO_FATAL_FAILURE(Deliver(
      ButtonWebhook(kLayla, "Layla", "AGENT_MODE", "Talk to Expert", "wamid.LAYLA.1", t_layla)));
  json layla = FindWaiting(kLayla, alice.token);
  ASSERT_TRUE(layla.is_object());
  EXPECT_EQ(layla["expires_at"], Rfc3339((t_layla + 3) * 1000));
  Reply assign = PostJson(SessionPath(layla) + "/assign", json::object(), alice.token);
  ASSERT_EQ(assign.status, 200) << assign.Describe();
  json ended = WaitForSessionStatus(layla, "ended", alice.token, seconds(10));
  ASSERT_EQ(Str(ended, "status"), "ended") << "not expired within 10 s: " << ended.dump();
  EXPECT_EQ(Str(ended, "end_reason"), "expired") << ended.dump();
  auto ended_at = ParseRfc3339(ended["ended_at"]);
  ASSERT_TRUE(ended_at.has_value()) << ended.dump();
  EXPECT_GE(*ended_at, (t_layla + 3) * 1000) << "ended before it was due";
  EXPECT_LE(*ended_at, (t_layla + 3) * 1000 + 2000) << "expiry should be punctual (within ~1 s)";
  auto to_layla = WaitForSentTo(kLayla, 3);
  ASSERT_EQ(to_layla.size(), 3u) << "connecting, joined, expired";
  ExpectTextSend(to_layla[1], kLayla, "You are now chatting with Alice Agent.");
  ExpectTextSend(to_layla[2], kLayla, kExpired);
  bool logged = false;
  for (const auto& line : daemon_->JsonLogLines(log_mark)) {
    logged |= Contains(line.dump(), "expire");
  }
  EXPECT_TRUE(logged) << "an expired session writes a JSON log line";
  Reply mine = Get("/api/agent/sessions/my-chats/" + alice_id, alice.token);
  EXPECT_TRUE(At(mine.j, "sessions").empty()) << mine.Describe();
}

INSTANTIATE_TEST_SUITE_P(Db, E2eTest, ::testing::ValuesIn(TestDialects()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace handoffd::testing
