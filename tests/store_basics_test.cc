// The Store contract (src/store/store.h), run unchanged on SQLite and PostgreSQL: opening,
// migrating, transactions, connection recovery, leadership and housekeeping.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/migrations.h"
#include "store/store.h"
#include "support/store_fixture.h"
#include "support/test_db.h"

namespace handoffd {
namespace {

using std::chrono::hours;
using testing::kT0;
using testing::TestDatabase;
using StoreBasics = testing::StoreFixture;

TEST_P(StoreBasics, DialectNamesTheBackend) { EXPECT_EQ(store_->Dialect(), GetParam()); }

TEST_P(StoreBasics, PingAnswers) { EXPECT_TRUE(store_->Ping().ok()); }

TEST_P(StoreBasics, MigrateAppliesEachVersionOnce) {
  TestDatabase fresh(GetParam());
  StoreOptions options = db_->Options();
  options.url = fresh.url();
  options.pool_size = 2;
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  auto first = (*store)->Migrate();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->empty());
  EXPECT_EQ(first->front(), "0001_initial");
  EXPECT_TRUE(std::is_sorted(first->begin(), first->end()));

  auto second = (*store)->Migrate();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->empty());

  // Another instance on the same database finds nothing to do either.
  auto other = OpenStore(options);
  ASSERT_TRUE(other.ok());
  auto third = (*other)->Migrate();
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE(third->empty());
}

TEST_P(StoreBasics, ConcurrentMigratorsApplyEachVersionOnce) {
  TestDatabase fresh(GetParam());
  StoreOptions options = db_->Options();
  options.url = fresh.url();
  options.pool_size = 1;
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kInstances; ++i) {
    auto s = OpenStore(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    stores.push_back(std::move(*s));
  }
  std::vector<Result<std::vector<std::string>>> results(kInstances, Status::Internal("not run"));
  std::latch start(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = stores[i]->Migrate();
    });
  }
  for (auto& t : threads) t.join();
  size_t applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    applied += r->size();
  }
  // Every version of this dialect, each applied by exactly one of them.
  size_t versions = 0;
  for (const auto& m : EmbeddedMigrations()) versions += m.dialect == GetParam() ? 1 : 0;
  EXPECT_EQ(applied, versions);
}

TEST_P(StoreBasics, TransactRollsBackWhenTheCallbackFails) {
  const int64_t contact = Contact("15550001111");
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    NewSession ns;
    ns.contact_id = contact;
    ns.phone_number = "15550001111";
    ns.created_at = kT0;
    ns.expires_at = kT0 + hours(22);
    auto s = tx.CreateSession(ns);
    EXPECT_TRUE(s.ok());
    auto m = tx.InsertMessage(Msg(contact, std::nullopt, "wamid.ROLLED"));
    EXPECT_TRUE(m.ok() && m->has_value());
    EXPECT_TRUE(*tx.ClaimWebhookKey("rolled", kT0));
    return Status::NotFound("changed my mind");
  });
  EXPECT_EQ(st.code(), ErrorCode::kNotFound);
  EXPECT_EQ(st.message(), "changed my mind");

  EXPECT_TRUE(store_->ListWaiting()->empty());
  EXPECT_TRUE(Insert(Msg(contact, std::nullopt, "wamid.ROLLED")).has_value());  // not a duplicate
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("rolled", kT0));
    return Status::Ok();
  });
}

TEST_P(StoreBasics, DatabaseErrorInsideTransactionRollsBackEvenIfIgnored) {
  const int64_t contact = Contact("15550001111");
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("before-error", kT0));
    // A foreign-key violation: no such contact.
    auto bad = tx.InsertMessage(Msg(contact + 1000, std::nullopt, "wamid.BAD"));
    EXPECT_EQ(bad.status().code(), ErrorCode::kUnavailable);
    return Status::Ok();  // the callback ignores the error
  });
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  // Nothing was committed, and the connection is usable again.
  for (int i = 0; i < 10; ++i) {
    Tx([&](StoreTx& tx) -> Status {
      EXPECT_TRUE(*tx.ClaimWebhookKey("before-error-" + std::to_string(i), kT0));
      return Status::Ok();
    });
  }
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("before-error", kT0));
    return Status::Ok();
  });
}

TEST_P(StoreBasics, ExceptionInsideTransactionRollsBackAndIsInternal) {
  Status st = store_->Transact([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("thrown", kT0));
    throw std::runtime_error("bug in the caller");
  });
  EXPECT_EQ(st.code(), ErrorCode::kInternal);
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("thrown", kT0));
    return Status::Ok();
  });
}

TEST_P(StoreBasics, RecoversWhenItsConnectionsAreKilled) {
  auto leader = store_->TryAcquireLeadership("expiry");
  ASSERT_TRUE(leader.ok() && *leader != nullptr);
  Session s = Open("15550001111");
  if (IsPostgres()) {
    // What a server restart or a failover does to every connection of the pool.
    db_->TerminateOtherConnections();
    EXPECT_FALSE((*leader)->StillHeld());
    EXPECT_FALSE((*leader)->StillHeld());
  } else {
    EXPECT_TRUE((*leader)->StillHeld());
  }
  // Bug (issue 7, defect 4): each broken pooled connection failed once with 503 before it was
  // reconnected. Now a dead connection is reopened before use, or the statement retried once on
  // a fresh one: no call fails.
  for (int i = 0; i < 20; ++i) {
    auto got = store_->GetSession(s.id);
    ASSERT_TRUE(got.ok()) << i << ": " << got.status().ToString();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->id, s.id);
  }
  for (int i = 0; i < 8; ++i) {
    auto got = store_->GetSession(s.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(End(s.id) == (i == 0));
  }
  // Leadership can be taken again.
  leader->reset();
  auto again = store_->TryAcquireLeadership("expiry");
  ASSERT_TRUE(again.ok() && *again != nullptr);
  EXPECT_TRUE((*again)->StillHeld());
}

TEST_P(StoreBasics, UnreachableDatabaseIsUnavailable) {
  StoreOptions options = db_->Options();
  if (IsPostgres()) {
    options.url = "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2";
  } else {
    // The parent "directory" is a regular file.
    options.url = "sqlite:" + db_->url().substr(7) + "/nested/test.db";
  }
  auto store = OpenStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnavailable) << store.status().ToString();
}

TEST_P(StoreBasics, UnknownUrlSchemeIsBadRequest) {
  StoreOptions options = db_->Options();
  options.url = "mysql://root@localhost/handoffd";
  auto store = OpenStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kBadRequest);
}

TEST_P(StoreBasics, OpensEveryAcceptedUrlForm) {
  StoreOptions options = db_->Options();
  if (IsPostgres()) {
    // "postgres://" is the short scheme libpq accepts too.
    options.url = "postgres://" + db_->url().substr(std::string("postgresql://").size());
  } else {
    // A SQLite file in directories that do not exist yet.
    options.url = "sqlite:" + db_->url().substr(7, db_->url().size() - 7 - 8) + "/a/b/c.db";
  }
  auto store = OpenStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  EXPECT_TRUE((*store)->Ping().ok());
}

TEST_P(StoreBasics, LeadershipIsExclusiveOnPostgresAndGrantedOnSqlite) {
  auto first = store_->TryAcquireLeadership("expiry");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(*first, nullptr);
  EXPECT_TRUE((*first)->StillHeld());

  // Another instance on the same database.
  StoreOptions options = db_->Options();
  options.url = db_->url();
  options.pool_size = 1;
  auto other = OpenStore(options);
  ASSERT_TRUE(other.ok());
  auto second = (*other)->TryAcquireLeadership("expiry");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto other_job = (*other)->TryAcquireLeadership("outbox");
  ASSERT_TRUE(other_job.ok());
  EXPECT_NE(*other_job, nullptr);
  if (IsPostgres()) {
    EXPECT_EQ(*second, nullptr);
    first->reset();  // released with its connection
    auto third = (*other)->TryAcquireLeadership("expiry");
    ASSERT_TRUE(third.ok()) << third.status().ToString();
    ASSERT_NE(*third, nullptr);
    EXPECT_TRUE((*third)->StillHeld());
  } else {
    ASSERT_NE(*second, nullptr);
    EXPECT_TRUE((*second)->StillHeld());
  }
}

TEST_P(StoreBasics, PruneRemovesOldWebhookKeysAndExpiredTokens) {
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("old", kT0 - hours(72)));
    EXPECT_TRUE(*tx.ClaimWebhookKey("new", kT0));
    return Status::Ok();
  });
  Agent alice = NewAgent("alice@example.com");
  ASSERT_TRUE(store_->CreateToken("expired", alice.id, kT0 - hours(13), kT0 - hours(1)).ok());
  ASSERT_TRUE(store_->CreateToken("at-now", alice.id, kT0 - hours(12), kT0).ok());
  ASSERT_TRUE(store_->CreateToken("live", alice.id, kT0, kT0 + hours(12)).ok());

  auto removed = store_->Prune(kT0 - hours(48), kT0);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 3);
  Tx([&](StoreTx& tx) -> Status {
    EXPECT_TRUE(*tx.ClaimWebhookKey("old", kT0));   // forgotten
    EXPECT_FALSE(*tx.ClaimWebhookKey("new", kT0));  // kept
    return Status::Ok();
  });
  EXPECT_TRUE(store_->FindAgentByToken("live", kT0)->has_value());
  EXPECT_EQ(*store_->Prune(kT0 - hours(48), kT0), 0);
}

HANDOFFD_STORE_CONTRACT_SUITE(StoreBasics);

}  // namespace
}  // namespace handoffd
