// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL: agents and
// their login tokens.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using testing::kT0;
using StoreAgents = testing::StoreFixture;

TEST_P(StoreAgents, AgentsAreUniqueByEmailCaseInsensitively) {
  Agent alice = NewAgent("Alice@Example.com", Role::kSupervisor, "Alice");
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.email, "alice@example.com");
  EXPECT_EQ(alice.active_chats, 0);

  Agent dup;
  dup.email = "ALICE@example.COM";
  dup.name = "Impostor";
  auto conflict = store_->CreateAgent(dup);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), ErrorCode::kConflict);

  auto got = store_->GetAgent(alice.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->email, "alice@example.com");
  EXPECT_EQ((*got)->name, "Alice");
  EXPECT_EQ((*got)->role, Role::kSupervisor);
  EXPECT_EQ((*got)->status, AgentStatus::kOffline);
  EXPECT_EQ((*got)->max_chats, 3);
  EXPECT_EQ((*got)->password_hash, "$argon2id$fake");

  auto by_email = store_->GetAgentByEmail("ALICE@EXAMPLE.COM");
  ASSERT_TRUE(by_email.ok() && by_email->has_value());
  EXPECT_EQ((*by_email)->id, alice.id);
  auto missing = store_->GetAgentByEmail("nobody@example.com");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto missing_id = store_->GetAgent(alice.id + 100);
  ASSERT_TRUE(missing_id.ok());
  EXPECT_FALSE(missing_id->has_value());
}

TEST_P(StoreAgents, AgentsCountTheirActiveChats) {
  Agent alice = NewAgent("alice@example.com", Role::kAgent, "Alice");
  Agent bob = NewAgent("bob@example.com", Role::kAdmin, "Bob");
  Session s1 = Open("15550000001");
  Session s2 = Open("15550000002");
  Session s3 = Open("15550000003");
  ASSERT_TRUE(Assign(s1.id, alice.id));
  ASSERT_TRUE(Assign(s2.id, alice.id));
  ASSERT_TRUE(Assign(s3.id, alice.id));
  ASSERT_TRUE(End(s3.id));  // ended chats do not count

  auto list = store_->ListAgents();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, alice.id);
  EXPECT_EQ((*list)[0].active_chats, 2);
  EXPECT_EQ((*list)[1].id, bob.id);
  EXPECT_EQ((*list)[1].role, Role::kAdmin);
  EXPECT_EQ((*list)[1].active_chats, 0);
  EXPECT_EQ((*store_->GetAgent(alice.id))->active_chats, 2);

  Tx([&](StoreTx& tx) -> Status {
    auto a = tx.GetAgent(alice.id);
    EXPECT_TRUE(a.ok() && a->has_value());
    if (a.ok() && a->has_value()) {
      EXPECT_EQ((*a)->active_chats, 2);
    }
    auto none = tx.GetAgent(alice.id + 100);
    EXPECT_TRUE(none.ok() && !none->has_value());
    return Status::Ok();
  });
}

TEST_P(StoreAgents, TokensFindTheirAgentUntilExpiryOrDeletion) {
  Agent alice = NewAgent("alice@example.com", Role::kAgent, "Alice");
  ASSERT_TRUE(store_->CreateToken("hash-1", alice.id, kT0, kT0 + hours(12)).ok());
  ASSERT_TRUE(store_->CreateToken("hash-2", alice.id, kT0, kT0 + hours(12)).ok());

  auto found = store_->FindAgentByToken("hash-1", kT0 + hours(1));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, alice.id);
  EXPECT_EQ((*found)->name, "Alice");

  // Expired at expires_at exactly.
  auto expired = store_->FindAgentByToken("hash-1", kT0 + hours(12));
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
  auto unknown = store_->FindAgentByToken("hash-x", kT0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  ASSERT_TRUE(store_->DeleteToken("hash-1").ok());
  EXPECT_FALSE(store_->FindAgentByToken("hash-1", kT0)->has_value());
  EXPECT_TRUE(store_->FindAgentByToken("hash-2", kT0)->has_value());
  EXPECT_TRUE(store_->DeleteToken("hash-1").ok());  // idempotent
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreAgents);

}  // namespace
}  // namespace handoffd
