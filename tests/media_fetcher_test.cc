// The inbound media fetcher, path by path, against the fake Graph API with a manual clock, on
// both databases: ready, 5xx then backoff, expired URL re-resolved, 404, wrong hash, oversize,
// and a lease left by a crashed worker.
#include "media/media_fetcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "channels/http_client.h"
#include "support/fake_graph_server.h"
#include "support/manual_clock.h"
#include "support/store_fixture.h"

namespace handoffd {
namespace {

using testing::FakeGraphServer;
using testing::FakeMedia;
using testing::kT0;
using json = nlohmann::json;

class MediaFetcherTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("handoffd-fetch-" + std::to_string(::getpid()) + "-" + GetParam());
    std::filesystem::remove_all(dir_);
    log_ = Logger::CreateForStream("json", log_out_);
    clock_.Set(kT0);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    StoreFixture::TearDown();
  }

  MediaFetcher MakeFetcher(int64_t max_bytes = 1 << 20) {
    MediaFetcherOptions o;
    o.api_base = fake_.api_base();
    o.access_token = "media-token";
    o.media_dir = dir_.string();
    o.max_bytes = max_bytes;
    o.base_backoff = std::chrono::seconds(2);
    return MediaFetcher(
        *store_, clock_, *log_, [] { return MakeCurlHttpClient({}); }, o);
  }

  // An inbound image of a session whose webhook announced `bytes` (sha256 in base64).
  int64_t InboundImage(const std::string& media_id, const std::string& bytes) {
    const Session s = session_ ? *session_ : Open("4915112345678");
    session_ = s;
    Message m = Msg(s.contact_id, s.id, "wamid." + media_id);
    m.type = "image";
    m.metadata = json{
        {"id", media_id},
        {"mime_type", "image/jpeg"},
        {"sha256", FakeGraphServer::Sha256Base64(bytes)},
        {"media_status",
         "pending"}}.dump();
    return Insert(m)->id;
  }

  json Meta(int64_t id) {
    auto m = store_->GetMessage(id);
    EXPECT_TRUE(m.ok() && m->has_value());
    return json::parse((*m)->metadata);
  }

  std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  FakeGraphServer fake_;
  testing::ManualClock clock_;
  std::ostringstream log_out_;
  std::shared_ptr<Logger> log_;
  std::filesystem::path dir_;
  std::optional<Session> session_;
};

TEST_P(MediaFetcherTest, DownloadsChecksAndStoresContentAddressed) {
  const std::string bytes = std::string("\xff\xd8\xff", 3) + std::string(70000, 'a');
  fake_.AddMedia("m1", {bytes, "image/jpeg"});
  const int64_t id = InboundImage("m1", bytes);
  MediaFetcher fetcher = MakeFetcher();
  EXPECT_EQ(fetcher.RunOnce(), 1);
  json meta = Meta(id);
  EXPECT_EQ(meta["media_status"], "ready");
  EXPECT_EQ(meta["media_url"], "/api/media/" + std::to_string(id));
  EXPECT_EQ(meta["size_bytes"], bytes.size());
  const std::string hex = FakeGraphServer::Sha256Hex(bytes);
  EXPECT_EQ(meta["sha256"], hex);
  EXPECT_EQ(ReadAll((dir_ / hex.substr(0, 2) / hex).string()), bytes);
  for (const auto& r : fake_.Requests()) {
    EXPECT_EQ(r.headers.at("authorization"), "Bearer media-token") << r.path;
  }
  // A message.updated event carries the ready message; nothing is due any more.
  auto events = store_->ListEvents(0, INT64_MAX, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().type, "message.updated");
  EXPECT_EQ(fetcher.RunOnce(), 0);
  // No temporary file is left behind.
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "tmp"));
}

TEST_P(MediaFetcherTest, ServerErrorsAreRetriedWithBackoff) {
  const std::string bytes = "abc";
  FakeMedia m{bytes, "image/jpeg"};
  m.resolve_errors = 2;
  fake_.AddMedia("m2", m);
  const int64_t id = InboundImage("m2", bytes);
  MediaFetcher fetcher = MakeFetcher();
  EXPECT_EQ(fetcher.RunOnce(), 1);
  EXPECT_EQ(Meta(id)["media_status"], "pending");
  EXPECT_EQ(fetcher.RunOnce(), 0) << "not due before its backoff";
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(fetcher.RunOnce(), 1);
  EXPECT_EQ(Meta(id)["media_status"], "pending");
  clock_.Advance(std::chrono::seconds(3));
  EXPECT_EQ(fetcher.RunOnce(), 0) << "the second backoff doubles to 4 s";
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(fetcher.RunOnce(), 1);
  EXPECT_EQ(Meta(id)["media_status"], "ready");
}

TEST_P(MediaFetcherTest, ExpiredUrlIsResolvedAgain) {
  const std::string bytes = "%PDF-1.4 invoice";
  FakeMedia m{bytes, "application/pdf"};
  m.expired_downloads = 1;
  fake_.AddMedia("m3", m);
  const int64_t id = InboundImage("m3", bytes);
  MediaFetcher fetcher = MakeFetcher();
  EXPECT_EQ(fetcher.RunOnce(), 1);
  EXPECT_EQ(Meta(id)["media_status"], "ready");
  int resolves = 0;
  for (const auto& r : fake_.Requests()) resolves += r.path == "/v21.0/m3";
  EXPECT_EQ(resolves, 2);
}

TEST_P(MediaFetcherTest, NotFoundWrongHashAndOversizeArePermanent) {
  FakeMedia gone{"x", "image/jpeg"};
  gone.not_found = true;
  fake_.AddMedia("m4", gone);
  const int64_t missing = InboundImage("m4", "x");
  FakeMedia bad{"real bytes", "image/jpeg"};
  fake_.AddMedia("m5", bad);
  const int64_t mismatch = InboundImage("m5", "other bytes");
  fake_.AddMedia("m6", {std::string(5000, 'z'), "image/jpeg"});
  const int64_t big = InboundImage("m6", std::string(5000, 'z'));
  FakeMedia lies{std::string(10, 'q'), "image/jpeg"};
  lies.announced_size = 10;  // announces little, sends more than max_bytes
  lies.bytes = std::string(5000, 'q');
  fake_.AddMedia("m7", lies);
  const int64_t liar = InboundImage("m7", lies.bytes);

  MediaFetcher fetcher = MakeFetcher(/*max_bytes=*/4096);
  EXPECT_EQ(fetcher.RunOnce(), 4);
  for (int64_t id : {missing, mismatch, big, liar}) {
    json meta = Meta(id);
    EXPECT_EQ(meta["media_status"], "failed") << id << " " << meta.dump();
    EXPECT_TRUE(meta["error"].is_string()) << meta.dump();
  }
  EXPECT_NE(Meta(missing)["error"].get<std::string>().find("404"), std::string::npos);
  EXPECT_NE(Meta(mismatch)["error"].get<std::string>().find("sha256"), std::string::npos);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(fetcher.RunOnce(), 0) << "permanent failures are not retried";
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "tmp"));
}

TEST_P(MediaFetcherTest, ALeaseLeftByACrashedWorkerIsTakenOver) {
  fake_.AddMedia("m8", {"bytes", "image/jpeg"});
  const int64_t id = InboundImage("m8", "bytes");
  // Another process claimed it and died before recording anything.
  auto claimed = store_->ClaimMediaFetches(clock_.Now(), 10, std::chrono::minutes(10));
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  MediaFetcher fetcher = MakeFetcher();
  EXPECT_EQ(fetcher.RunOnce(), 0) << "still leased";
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_EQ(fetcher.RunOnce(), 1);
  EXPECT_EQ(Meta(id)["media_status"], "ready");
}

HANDOFFD_STORE_CONTRACT_SUITE(MediaFetcherTest);

}  // namespace
}  // namespace handoffd
