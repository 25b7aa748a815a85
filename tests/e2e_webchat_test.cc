// End to end: the web chat visitor API (API.md "Web chat") against the real binary on both
// databases: CORS per widget key, visitor tokens, the conversation through handoff, agent reply,
// typing, read receipts and ending; the visitor's event stream with Last-Event-ID replay; rate
// and size limits; one visitor never reaching another's conversation; offline messages.
#include <gtest/gtest.h>

#include "support/e2e_fixture.h"

namespace handoffd::testing {
namespace {

constexpr const char* kOrigin = "http://shop.example.test:8123";
constexpr const char* kOtherOrigin = "http://evil.example.test";

class E2eWebchatTest : public E2eTest {
 protected:
  DaemonOptions WebchatOptions(int rate_limit = 20, int visitors_per_minute = 30) const {
    DaemonOptions o = BaseOptions();
    o.extra_toml["webchat.rate_limit"] = std::to_string(rate_limit);
    o.extra_toml["webchat.visitors_per_minute"] = std::to_string(visitors_per_minute);
    o.extra_toml["webchat.widgets"] =
        std::string(R"([{key = "shop", name = "Shop", allowed_origins = [")") + kOrigin +
        R"("], welcome_text = "Welcome!", menu_buttons = [{id = "AGENT_MODE", title = "Talk to a human"}]}])";
    return o;
  }

  Reply Visitor(const std::string& method, const std::string& path, const std::string& token,
                const std::optional<json>& body = std::nullopt,
                const std::string& origin = kOrigin) const {
    httplib::Headers h;
    if (!origin.empty()) h.emplace("Origin", origin);
    return Call(method, path, token, body ? std::optional<std::string>(body->dump()) : std::nullopt,
                "application/json", h);
  }

  struct NewVisitor {
    std::string id;
    std::string token;
  };
  NewVisitor CreateVisitor(const std::string& name = "Vera") {
    Reply r =
        Visitor("POST", "/widget/v1/visitors", "", json{{"widget_key", "shop"}, {"name", name}});
    EXPECT_EQ(r.status, 201) << r.Describe();
    EXPECT_EQ(r.headers.count("Access-Control-Allow-Origin"), 1u) << r.Describe();
    NewVisitor v;
    v.id = IdStr(At(r.j, "visitor_id"));
    v.token = Str(r.j, "visitor_token");
    return v;
  }

  /// The visitor's events after `after` as {id, event, data}, via the long-polling route.
  std::vector<json> PollEvents(const std::string& token, int64_t after, int timeout = 0) const {
    Reply r = Visitor(
        "GET",
        "/widget/v1/poll?after=" + std::to_string(after) + "&timeout=" + std::to_string(timeout),
        token);
    EXPECT_EQ(r.status, 200) << r.Describe();
    std::vector<json> out;
    if (r.j.is_object() && r.j["events"].is_array()) {
      for (const auto& e : r.j["events"]) out.push_back(e);
    }
    return out;
  }

  /// Reads the SSE stream (headers `headers`) until `done(text)` or `timeout`; returns the text.
  std::string ReadStream(const std::string& path, httplib::Headers headers,
                         const std::function<bool(const std::string&)>& done,
                         milliseconds timeout = milliseconds(5000)) const {
    httplib::Client client("127.0.0.1", daemon_->port());
    client.set_read_timeout(static_cast<time_t>(timeout.count() / 1000 + 1), 0);
    std::string text;
    const auto deadline = SteadyClock::now() + timeout;
    client.Get(path, headers, [&](const char* data, size_t n) {
      text.append(data, n);
      return !done(text) && SteadyClock::now() < deadline;
    });
    return text;
  }
};

TEST_P(E2eWebchatTest, CorsTokensAndTheConversationBothWays) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(WebchatOptions()));
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");

  // CORS: preflight for an allowed origin, refused for another; creation from another origin.
  {
    httplib::Client c("127.0.0.1", daemon_->port());
    auto ok = c.Options("/widget/v1/visitors",
                        {{"Origin", kOrigin}, {"Access-Control-Request-Method", "POST"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 204);
    EXPECT_EQ(ok->get_header_value("Access-Control-Allow-Origin"), kOrigin);
    EXPECT_TRUE(Contains(ok->get_header_value("Access-Control-Allow-Headers"), "Authorization"));
    auto refused = c.Options("/widget/v1/visitors", {{"Origin", kOtherOrigin}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403);
    EXPECT_FALSE(refused->has_header("Access-Control-Allow-Origin"));
  }
  ExpectError(
      Visitor("POST", "/widget/v1/visitors", "", json{{"widget_key", "shop"}}, kOtherOrigin), 403,
      "forbidden", "visitor creation from a foreign origin");
  ExpectError(Visitor("POST", "/widget/v1/visitors", "", json{{"widget_key", "nope"}}), 404,
              "not_found", "unknown widget key");

  const NewVisitor v = CreateVisitor();
  ASSERT_EQ(v.token.size(), 64u);
  ExpectError(Visitor("GET", "/widget/v1/conversation", ""), 401, "unauthorized", "no token");
  ExpectError(Visitor("GET", "/widget/v1/conversation", std::string(64, 'a')), 401, "unauthorized",
              "a guessed token");
  ExpectError(Visitor("GET", "/widget/v1/conversation", v.token, std::nullopt, kOtherOrigin), 403,
              "forbidden", "a valid token from a foreign origin");

  // The bot phase: the visitor's message and the widget's menu.
  Reply sent = Visitor("POST", "/widget/v1/messages", v.token, json{{"content", "Hello there"}});
  ASSERT_EQ(sent.status, 201) << sent.Describe();
  ExpectHasKeys(sent.j, {"id", "sender_type", "content", "type", "delivery_status", "created_at"},
                "VMESSAGE");
  EXPECT_EQ(Str(sent.j, "sender_type"), "customer");
  Reply conv = Visitor("GET", "/widget/v1/conversation", v.token);
  ASSERT_EQ(conv.status, 200) << conv.Describe();
  EXPECT_TRUE(At(conv.j, "session").is_null());
  ASSERT_EQ(At(conv.j, "messages").size(), 2u) << conv.Describe();
  EXPECT_EQ(Str(conv.j["messages"][1], "sender_type"), "bot");

  // Handoff: a waiting session, first in line; a second one is refused.
  Reply handoff = Visitor("POST", "/widget/v1/handoff", v.token, json::object());
  ASSERT_EQ(handoff.status, 201) << handoff.Describe();
  ExpectHasKeys(handoff.j,
                {"id", "status", "agent_name", "queue_position", "estimated_wait_seconds",
                 "open_now", "created_at", "ended_at"},
                "VSESSION");
  EXPECT_EQ(Str(handoff.j, "status"), "waiting");
  EXPECT_EQ(At(handoff.j, "queue_position"), 1);
  ExpectError(Visitor("POST", "/widget/v1/handoff", v.token, json::object()), 409, "conflict",
              "a second handoff");
  const std::string sid = IdStr(At(handoff.j, "id"));

  // The agents see a web chat session; Alice accepts and replies.
  Reply waiting = Get("/api/agent/sessions/waiting", alice.token);
  ASSERT_EQ(waiting.status, 200);
  ASSERT_EQ(At(waiting.j, "sessions").size(), 1u) << waiting.Describe();
  EXPECT_EQ(Str(waiting.j["sessions"][0], "channel"), "webchat");
  Reply assigned = PostEmpty("/api/agent/sessions/" + sid + "/assign", alice.token);
  ASSERT_EQ(assigned.status, 200) << assigned.Describe();
  Reply reply = PostJson("/api/agent/sessions/" + sid + "/messages",
                         {{"content", "Hi, Alice here"}}, alice.token);
  ASSERT_EQ(reply.status, 201) << reply.Describe();
  const int64_t reply_id = At(reply.j, "id").get<int64_t>();
  EXPECT_EQ(
      PostJson("/api/agent/sessions/" + sid + "/typing", {{"typing", true}}, alice.token).status,
      204);

  // The visitor's stream from the start: assigned with the agent's name, the reply, typing;
  // never the internal notes.
  const std::string all = ReadStream(
      "/widget/v1/events?token=" + v.token, {{"Origin", kOrigin}, {"Last-Event-ID", "0"}},
      [](const std::string& t) { return Contains(t, "event: agent.typing"); });
  EXPECT_TRUE(Contains(all, "event: session.assigned")) << all;
  EXPECT_TRUE(Contains(all, "\"agent_name\":\"Alice Agent\"")) << all;
  EXPECT_TRUE(Contains(all, "Hi, Alice here")) << all;
  EXPECT_FALSE(Contains(all, "Customer asked for an agent")) << "internal note leaked: " << all;
  EXPECT_FALSE(Contains(all, "\"direction\"")) << "a MESSAGE instead of a VMESSAGE: " << all;

  // Delivered once the stream took it; read when the visitor says so.
  EXPECT_TRUE(Eventually(
      [&] {
        Reply m = Get("/api/agent/sessions/" + sid + "/messages", alice.token);
        for (const auto& msg : At(m.j, "messages")) {
          if (At(msg, "id") == reply_id) return Str(msg, "delivery_status") == "delivered";
        }
        return false;
      },
      seconds(5)));
  EXPECT_EQ(
      Visitor("POST", "/widget/v1/read", v.token, json{{"up_to_message_id", reply_id}}).status,
      204);
  EXPECT_TRUE(Eventually(
      [&] {
        Reply m = Get("/api/agent/sessions/" + sid + "/messages", alice.token);
        for (const auto& msg : At(m.j, "messages")) {
          if (At(msg, "id") == reply_id) return Str(msg, "delivery_status") == "read";
        }
        return false;
      },
      seconds(5)));

  // Replay: from the id of the session.assigned event, only what came after it.
  const std::vector<json> events = PollEvents(v.token, 0);
  int64_t assigned_event = 0;
  for (const auto& e : events) {
    if (Str(e, "event") == "session.assigned") assigned_event = At(e, "id").get<int64_t>();
  }
  ASSERT_GT(assigned_event, 0);
  const std::string after =
      ReadStream("/widget/v1/events?token=" + v.token,
                 {{"Origin", kOrigin}, {"Last-Event-ID", std::to_string(assigned_event)}},
                 [](const std::string& t) { return Contains(t, "\"delivery_status\":\"read\""); });
  EXPECT_FALSE(Contains(after, "event: session.assigned")) << after;
  EXPECT_TRUE(Contains(after, "Hi, Alice here")) << after;
  EXPECT_TRUE(Contains(after, "\"delivery_status\":\"read\"")) << after;

  // Typing and presence reach the agent (sendBeacon: text/plain body, token in the body).
  EXPECT_EQ(Visitor("POST", "/widget/v1/typing", v.token, json{{"typing", true}}).status, 204);
  Reply beacon =
      Call("POST", "/widget/v1/presence", "", json{{"state", "offline"}, {"token", v.token}}.dump(),
           "text/plain", {{"Origin", kOrigin}});
  EXPECT_EQ(beacon.status, 204) << beacon.Describe();
  const std::string agent_feed =
      ReadStream("/api/events?token=" + alice.token, {{"Last-Event-ID", "0"}},
                 [](const std::string& t) { return Contains(t, "event: customer.presence"); });
  EXPECT_TRUE(Contains(agent_feed, "event: customer.typing")) << agent_feed;
  EXPECT_TRUE(Contains(agent_feed, "\"state\":\"offline\"")) << agent_feed;
  EXPECT_FALSE(Contains(agent_feed, "event: agent.typing")) << "visitor-only event to an agent";

  // The visitor ends the chat.
  Reply ended = Visitor("POST", "/widget/v1/end", v.token, json::object());
  ASSERT_EQ(ended.status, 200) << ended.Describe();
  EXPECT_EQ(Str(ended.j, "status"), "ended");
  ExpectError(Visitor("POST", "/widget/v1/end", v.token, json::object()), 409, "conflict",
              "ending twice");
  Reply s = Get("/api/agent/sessions/" + sid, alice.token);
  EXPECT_EQ(Str(s.j, "end_reason"), "customer");
}

TEST_P(E2eWebchatTest, RateAndSizeLimits) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(WebchatOptions(/*rate_limit=*/4, /*visitors=*/3)));
  const NewVisitor v = CreateVisitor();
  std::string max_text;
  for (int i = 0; i < 4096; ++i) max_text += "\xC3\xA9";  // é: 2 bytes, 1 character
  EXPECT_EQ(Visitor("POST", "/widget/v1/messages", v.token, json{{"content", max_text}}).status,
            201)
      << "4096 characters (8192 bytes) fit";
  ExpectError(Visitor("POST", "/widget/v1/messages", v.token, json{{"content", max_text + "x"}}),
              400, "bad_request", "4097 characters");
  ExpectError(Visitor("POST", "/widget/v1/messages", v.token, json{{"content", "  "}}), 400,
              "bad_request", "empty message");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Visitor("POST", "/widget/v1/messages", v.token, json{{"content", "hi"}}).status, 201);
  }
  Reply limited = Visitor("POST", "/widget/v1/messages", v.token, json{{"content", "hi"}});
  ExpectError(limited, 429, "rate_limited", "the fifth message in a minute");
  EXPECT_GE(std::atoi(limited.headers.find("Retry-After") != limited.headers.end()
                          ? limited.headers.find("Retry-After")->second.c_str()
                          : "0"),
            1)
      << limited.Describe();

  CreateVisitor();
  CreateVisitor();  // three from this address within the minute
  ExpectError(Visitor("POST", "/widget/v1/visitors", "", json{{"widget_key", "shop"}}), 429,
              "rate_limited", "a fourth visitor from one address");
}

TEST_P(E2eWebchatTest, AVisitorNeverReadsAnotherVisitorsConversation) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(WebchatOptions()));
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");
  const NewVisitor a = CreateVisitor("Anna");
  const NewVisitor b = CreateVisitor("Ben");
  ASSERT_EQ(
      Visitor("POST", "/widget/v1/messages", a.token, json{{"content", "anna secret"}}).status,
      201);
  Reply handoff = Visitor("POST", "/widget/v1/handoff", a.token, json::object());
  ASSERT_EQ(handoff.status, 201);
  const std::string sid = IdStr(At(handoff.j, "id"));
  ASSERT_EQ(PostEmpty("/api/agent/sessions/" + sid + "/assign", alice.token).status, 200);
  Reply reply = PostJson("/api/agent/sessions/" + sid + "/messages", {{"content", "for anna only"}},
                         alice.token);
  ASSERT_EQ(reply.status, 201);

  Reply conv = Visitor("GET", "/widget/v1/conversation", b.token);
  ASSERT_EQ(conv.status, 200);
  EXPECT_TRUE(At(conv.j, "session").is_null()) << conv.Describe();
  EXPECT_FALSE(Contains(conv.body, "anna")) << conv.Describe();
  for (const auto& e : PollEvents(b.token, 0)) {
    EXPECT_FALSE(Contains(e.dump(), "anna")) << "B received A's event: " << e.dump();
  }
  // Guessed ids: reading A's message as B changes nothing; B has no session to end.
  EXPECT_EQ(
      Visitor("POST", "/widget/v1/read", b.token, json{{"up_to_message_id", At(reply.j, "id")}})
          .status,
      204);
  Reply msgs = Get("/api/agent/sessions/" + sid + "/messages", alice.token);
  for (const auto& m : At(msgs.j, "messages")) {
    EXPECT_NE(Str(m, "delivery_status"), "read") << m.dump();
  }
  ExpectError(Visitor("POST", "/widget/v1/end", b.token, json::object()), 409, "conflict",
              "B ending A's session");
  // A visitor token never opens the agents' API.
  ExpectError(Get("/api/agent/sessions/" + sid, a.token), 401, "unauthorized",
              "a visitor token on the agent API");
}

TEST_P(E2eWebchatTest, OfflineMessagesAndTheServedWidget) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(WebchatOptions()));
  AddAgent("alice@example.com", "Alice Agent", "agent", "alice-pass-1");
  const Login alice = LogIn("alice@example.com", "alice-pass-1");
  ExpectError(Visitor("POST", "/widget/v1/offline-messages", "",
                      json{{"widget_key", "shop"},
                           {"name", "Olga"},
                           {"email", "not-an-email"},
                           {"message", "call me"}}),
              400, "bad_request", "malformed email");
  const NewVisitor v = CreateVisitor("Olga");
  Reply left = Visitor(
      "POST", "/widget/v1/offline-messages", v.token,
      json{{"name", "Olga"}, {"email", "olga@example.com"}, {"message", "Please call me back"}});
  ASSERT_EQ(left.status, 201) << left.Describe();
  Reply list = Get("/api/offline-messages?handled=false", alice.token);
  ASSERT_EQ(list.status, 200) << list.Describe();
  ASSERT_EQ(At(list.j, "offline_messages").size(), 1u) << list.Describe();
  const json& m = list.j["offline_messages"][0];
  EXPECT_EQ(Str(m, "email"), "olga@example.com");
  EXPECT_EQ(Str(m, "message"), "Please call me back");
  Reply handled =
      PostEmpty("/api/offline-messages/" + IdStr(At(m, "id")) + "/handled", alice.token);
  EXPECT_EQ(handled.status, 200) << handled.Describe();
  EXPECT_EQ(
      At(Get("/api/offline-messages?handled=false", alice.token).j, "offline_messages").size(), 0u);
  ExpectError(PostEmpty("/api/offline-messages/999999/handled", alice.token), 404, "not_found",
              "unknown offline message");
  ExpectError(Get("/api/offline-messages"), 401, "unauthorized", "offline messages without login");

  Reply js = Get("/widget.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_TRUE(Contains(js.content_type, "javascript")) << js.content_type;
  EXPECT_TRUE(Contains(js.body, "attachShadow")) << "the widget renders in a shadow root";
  Reply demo = Get("/widget/demo?key=shop");
  EXPECT_EQ(demo.status, 200);
  EXPECT_TRUE(Contains(demo.body, "data-widget-key=\"shop\"")) << demo.body;
  EXPECT_EQ(Get("/widget/demo?key=nope").status, 404);
}

HANDOFFD_E2E_INSTANTIATE(E2eWebchatTest);

}  // namespace
}  // namespace handoffd::testing
