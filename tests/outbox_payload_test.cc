// The one outbox payload codec: what the router and conversation write is what the worker reads.
#include "outbox/outbox_payload.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace handoffd {
namespace {

TEST(OutboxPayload, TextRoundTripsInTheStoredShape) {
  const std::string json = EncodeOutboxPayload(OutboxPayload::Text("Hallo \xF0\x9F\x98\x8A"));
  EXPECT_EQ(nlohmann::json::parse(json),
            nlohmann::json({{"kind", "text"}, {"text", "Hallo \xF0\x9F\x98\x8A"}}));
  auto back = DecodeOutboxPayload(json);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, OutboxPayload::Kind::kText);
  EXPECT_EQ(back->text, "Hallo \xF0\x9F\x98\x8A");
}

TEST(OutboxPayload, ButtonsAndForwardRoundTrip) {
  auto buttons = DecodeOutboxPayload(EncodeOutboxPayload(
      OutboxPayload::Buttons("Menu", {{"AGENT_MODE", "Talk to Expert"}, {"FAQ", "FAQ"}})));
  ASSERT_TRUE(buttons);
  EXPECT_EQ(buttons->kind, OutboxPayload::Kind::kButtons);
  EXPECT_EQ(buttons->text, "Menu");
  ASSERT_EQ(buttons->buttons.size(), 2u);
  EXPECT_EQ(buttons->buttons[0].id, "AGENT_MODE");
  EXPECT_EQ(buttons->buttons[0].title, "Talk to Expert");

  auto forward = DecodeOutboxPayload(
      EncodeOutboxPayload(OutboxPayload::Forward("http://bot/webhook", R"({"object":"x"})")));
  ASSERT_TRUE(forward);
  EXPECT_EQ(forward->kind, OutboxPayload::Kind::kForward);
  EXPECT_EQ(forward->url, "http://bot/webhook");
  EXPECT_EQ(forward->body, R"({"object":"x"})");
}

TEST(OutboxPayload, UnreadablePayloadsAreRefused) {
  EXPECT_FALSE(DecodeOutboxPayload("not json"));
  EXPECT_FALSE(DecodeOutboxPayload("[1,2]"));
  EXPECT_FALSE(DecodeOutboxPayload(R"({"kind":"video"})"));
}

}  // namespace
}  // namespace handoffd
