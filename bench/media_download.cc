// Inbound media downloads (issue 8): N inbound images of `--mb` MB each are stored as a webhook
// would store them, then the real MediaFetcher (`--threads` workers, curl) resolves and downloads
// them concurrently from a local stand-in for the Graph API and its CDN (loopback; the bytes
// come from one shared buffer). Measures the wall time and the process's RSS growth while the
// downloads run: files are streamed to disk, so RSS must not grow with N x size.
//
//   media_download --database URL --dir DIR [--files 100] [--mb 5] [--threads 100]
//
// URL is a database.url (sqlite:PATH or postgresql://...), migrated here; it should be fresh.
// Prints one JSON line.
#include <httplib.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "channels/http_client.h"
#include "common/clock.h"
#include "log/logger.h"
#include "media/media_fetcher.h"
#include "store/store.h"

namespace {

// Resident set size of this process in kB (/proc/self/status VmRSS).
long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string Arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace handoffd;
  const std::string url = Arg(argc, argv, "--database", "");
  const std::string dir = Arg(argc, argv, "--dir", "");
  const int files = std::stoi(Arg(argc, argv, "--files", "100"));
  const int mb = std::stoi(Arg(argc, argv, "--mb", "5"));
  const int threads = std::stoi(Arg(argc, argv, "--threads", "100"));
  if (url.empty() || dir.empty()) {
    std::cerr << "usage: media_download --database URL --dir DIR [--files N] [--mb M]\n";
    return 2;
  }
  if (sodium_init() < 0) return 1;

  // The bytes every download serves, and their SHA-256 as a webhook carries it (base64).
  const std::string bytes(static_cast<size_t>(mb) * 1024 * 1024, 'm');
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char b64[sodium_base64_ENCODED_LEN(sizeof digest, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);

  httplib::Server graph;
  int port = 0;
  graph.Get(R"(/v21.0/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body = {
        {"url", "http://127.0.0.1:" + std::to_string(port) + "/dl/" + std::string(req.matches[1])},
        {"mime_type", "image/jpeg"},
        {"file_size", std::to_string(bytes.size())},
        {"id", std::string(req.matches[1])}};
    res.set_content(body.dump(), "application/json");
  });
  graph.Get(R"(/dl/([^/]+))", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(
        bytes.size(), "image/jpeg", [&](size_t offset, size_t length, httplib::DataSink& sink) {
          return sink.write(bytes.data() + offset, std::min<size_t>(length, 65536));
        });
  });
  graph.new_task_queue = [threads] { return new httplib::ThreadPool(threads + 8); };
  port = graph.bind_to_any_port("127.0.0.1");
  std::thread server([&] { graph.listen_after_bind(); });
  while (!graph.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  SystemClock clock;
  StoreOptions so;
  so.url = url;
  so.clock = &clock;
  auto store = OpenStore(so);
  if (!store.ok() || !(*store)->Migrate().ok()) {
    std::cerr << "cannot open or migrate " << url << "\n";
    return 1;
  }
  Status seeded = (*store)->Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(
        auto contact,
        tx.UpsertContact("whatsapp", {"4915112345678", "4915112345678", "", "B"}, clock.Now()));
    NewSession ns;
    ns.contact_id = contact;
    ns.phone_number = "4915112345678";
    ns.phone_number_id = "123456789012345";
    ns.created_at = clock.Now();
    ns.expires_at = clock.Now() + std::chrono::hours(22);
    HANDOFFD_ASSIGN_OR_RETURN(auto session, tx.CreateSession(ns));
    for (int i = 0; i < files; ++i) {
      Message m;
      m.session_id = session.id;
      m.contact_id = contact;
      m.direction = Direction::kIn;
      m.type = "image";
      m.channel_message_id = "wamid.bench." + std::to_string(i);
      m.metadata = nlohmann::json{
          {"id", "media" + std::to_string(i)},
          {"mime_type", "image/jpeg"},
          {"sha256", std::string(b64)},
          {"media_status",
           "pending"}}.dump();
      HANDOFFD_ASSIGN_OR_RETURN(auto inserted, tx.InsertMessage(m));
      (void)inserted;
    }
    return Status::Ok();
  });
  if (!seeded.ok()) {
    std::cerr << seeded.ToString() << "\n";
    return 1;
  }

  std::ostringstream log_sink;
  auto log = Logger::CreateForStream("json", log_sink);
  MediaFetcherOptions mo;
  mo.api_base = "http://127.0.0.1:" + std::to_string(port) + "/v21.0";
  mo.access_token = "bench";
  mo.media_dir = dir;
  mo.threads = threads;
  mo.max_bytes = int64_t{1} << 30;
  std::atomic<int> done{0};
  mo.on_events = [&done] { ++done; };
  MediaFetcher fetcher(
      **store, clock, *log, [] { return MakeCurlHttpClient({}); }, mo);

  const long rss_before = RssKb();
  long rss_peak = rss_before;
  const auto start = std::chrono::steady_clock::now();
  fetcher.Start();
  while (done.load() < files) {
    rss_peak = std::max(rss_peak, RssKb());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (std::chrono::steady_clock::now() - start > std::chrono::minutes(5)) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fetcher.Stop();
  graph.stop();
  server.join();
  nlohmann::json out = {{"files", files},
                        {"mb_each", mb},
                        {"threads", threads},
                        {"completed", done.load()},
                        {"seconds", seconds},
                        {"rss_before_mb", rss_before / 1024.0},
                        {"rss_peak_mb", rss_peak / 1024.0},
                        {"rss_growth_mb", (rss_peak - rss_before) / 1024.0},
                        {"database", (*store)->Dialect()}};
  std::cout << out.dump() << std::endl;
  return done.load() == files ? 0 : 1;
}
