#include "support/router_harness.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "channels/whatsapp/webhook_builder.h"
#include "channels/whatsapp/webhook_parser.h"

namespace handoffd::testing {

RouterOptions RouterHarness::DefaultRouterOptions() {
  RouterOptions o;
  o.ended_text = "This chat has ended.";
  o.menu_body = "How can we help?";
  o.menu_buttons = {{"AGENT_MODE", "Talk to Expert"}, {"ORDER_STATUS", "Order status"}};
  return o;
}

SessionServiceOptions RouterHarness::DefaultSessionOptions() {
  SessionServiceOptions o;
  o.default_phone_number_id = "123456789012345";
  o.agent_joined_text = "You are now chatting with {agent_name}.";
  o.ended_text = "This chat has ended.";
  o.expired_text = "Chat expired after 22 hours";
  return o;
}

RouterHarness::RouterHarness(const std::string& dialect, RouterOptions router_options)
    : db(dialect), store(db.OpenMigrated()), log(Logger::CreateForStream("json", log_text)) {
  router = std::make_unique<Router>(*store, clock, *log, metrics, std::move(router_options));
  sessions = std::make_unique<SessionService>(*store, clock, DefaultSessionOptions());
}

Result<RouteReport> RouterHarness::Deliver(const std::string& body) {
  auto batch = whatsapp::ParseWebhook(body, {});
  if (!batch.ok()) return batch.status();
  return router->HandleBatch(*batch, body);
}

Result<RouteReport> RouterHarness::Text(const std::string& wa_id, const std::string& text) {
  whatsapp::SimulatedMessage m;
  m.from = wa_id;
  m.name = "Customer " + wa_id;
  m.timestamp = ToUnixMillis(clock.Now()) / 1000;
  m.text = text;
  return Deliver(whatsapp::BuildMessageWebhook(m));
}

Result<RouteReport> RouterHarness::Button(const std::string& wa_id, const std::string& id) {
  whatsapp::SimulatedMessage m;
  m.from = wa_id;
  m.name = "Customer " + wa_id;
  m.timestamp = ToUnixMillis(clock.Now()) / 1000;
  m.button_id = id;
  m.button_title = "Tapped";
  return Deliver(whatsapp::BuildMessageWebhook(m));
}

std::optional<Session> RouterHarness::OpenSession(const std::string& wa_id) {
  std::optional<Session> out;
  Status st = store->Transact([&](StoreTx& tx) -> Status {
    auto s = tx.FindOpenSession("whatsapp", wa_id);
    if (!s.ok()) return s.status();
    out = *s;
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

Agent RouterHarness::AddAgent(const std::string& name, Role role) {
  Agent a;
  a.email = name + "@example.com";
  a.name = name;
  a.role = role;
  a.password_hash = "x";
  auto created = store->CreateAgent(a);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? *created : a;
}

std::vector<OutboxItem> RouterHarness::TakeOutbox() {
  auto items = store->ListOutbox(outbox_taken_, 1000);
  EXPECT_TRUE(items.ok()) << items.status().ToString();
  if (!items.ok()) return {};
  if (!items->empty()) outbox_taken_ = items->back().id;
  return *items;
}

std::vector<Message> RouterHarness::Messages(int64_t session_id) {
  auto list = store->ListMessages(session_id, 0, 1000);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return list.ok() ? *list : std::vector<Message>{};
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(HANDOFFD_FIXTURES_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace handoffd::testing
