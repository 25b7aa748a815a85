// ParseBotHandoff: what a bot's answer to a forwarded webhook asks for (router/bot_handoff.h).
#include "router/bot_handoff.h"

#include <gtest/gtest.h>

namespace handoffd {
namespace {

TEST(BotHandoff, AnAnswerWithoutAHandoffAsksNothing) {
  for (const char* answer :
       {"", "not json", "[1,2]", "{}", R"({"messages":[{"id":"wamid.1"}]})", R"("handoff")"}) {
    auto r = ParseBotHandoff(answer);
    ASSERT_TRUE(r.ok()) << answer << ": " << r.status().ToString();
    EXPECT_FALSE(r->has_value()) << answer;
  }
}

TEST(BotHandoff, TeamAndPriorityAreOptional) {
  auto full =
      ParseBotHandoff(R"({"handoff":{"wa_id":"4915100000201","team":"billing","priority":3}})");
  ASSERT_TRUE(full.ok() && full->has_value()) << full.status().ToString();
  EXPECT_EQ((*full)->wa_id, "4915100000201");
  EXPECT_EQ((*full)->team, "billing");
  EXPECT_EQ((*full)->priority, 3);
  auto bare = ParseBotHandoff(R"({"reply":"ok","handoff":{"wa_id":"4915100000201","team":null}})");
  ASSERT_TRUE(bare.ok() && bare->has_value()) << bare.status().ToString();
  EXPECT_EQ((*bare)->team, "");
  EXPECT_EQ((*bare)->priority, 0);
}

TEST(BotHandoff, AMalformedHandoffIsRefused) {
  for (const char* answer : {
           R"({"handoff":true})",
           R"({"handoff":{}})",
           R"({"handoff":{"wa_id":""}})",
           R"({"handoff":{"wa_id":4915100000201}})",
           R"({"handoff":{"wa_id":"123456789012345678901234567890123"}})",
           R"({"handoff":{"wa_id":"49151","team":7}})",
           R"({"handoff":{"wa_id":"49151","priority":4}})",
           R"({"handoff":{"wa_id":"49151","priority":-1}})",
           R"({"handoff":{"wa_id":"49151","priority":"2"}})",
           R"({"handoff":{"wa_id":"49151","priority":1.5}})",
       }) {
    auto r = ParseBotHandoff(answer);
    EXPECT_EQ(r.status().code(), ErrorCode::kBadRequest) << answer;
  }
}

}  // namespace
}  // namespace handoffd
