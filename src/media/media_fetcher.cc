#include "media/media_fetcher.h"

#include <algorithm>
#include <utility>

#include "domain/event.h"

namespace handoffd {
namespace {

using json = nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The resolve answer's file_size: a number or a string of digits (facts §12); -1 if absent.
int64_t FileSize(const json& j) {
  auto it = j.find("file_size");
  if (it == j.end()) return -1;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (s.empty() || s.size() > 18 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return -1;
    }
    return std::stoll(s);
  }
  return -1;
}

bool Retryable(const HttpResponse& r) {
  return r.status == 0 || r.status >= 500 || r.status == 429 || r.status == 408;
}

}  // namespace

MediaFetcher::MediaFetcher(Store& store, const Clock& clock, Logger& log,
                           ClientFactory client_factory, MediaFetcherOptions options)
    : store_(store),
      clock_(clock),
      log_(log),
      client_factory_(std::move(client_factory)),
      options_(std::move(options)),
      files_(options_.media_dir) {
  while (!options_.api_base.empty() && options_.api_base.back() == '/') {
    options_.api_base.pop_back();
  }
}

MediaFetcher::~MediaFetcher() { Stop(); }

void MediaFetcher::Start() {
  const int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
}

void MediaFetcher::Stop() {
  stop_ = true;
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void MediaFetcher::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void MediaFetcher::Loop() {
  std::unique_ptr<HttpClient> client = client_factory_();
  while (!stop_) {
    auto claimed = store_.ClaimMediaFetches(clock_.Now(), 1, options_.lease);
    if (claimed.ok() && !claimed->empty()) {
      Process(claimed->front(), *client);
      continue;
    }
    if (!claimed.ok()) log_.Warn("media.claim_failed", {{"error", claimed.status().ToString()}});
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [this] { return notified_ || stop_.load(); });
    notified_ = false;
  }
}

int MediaFetcher::RunOnce() {
  std::unique_ptr<HttpClient> client = client_factory_();
  int n = 0;
  for (;;) {
    auto claimed = store_.ClaimMediaFetches(clock_.Now(), 16, options_.lease);
    if (!claimed.ok() || claimed->empty()) return n;
    for (const MediaFetch& f : *claimed) {
      Process(f, *client);
      ++n;
    }
  }
}

Duration MediaFetcher::Backoff(int attempts) const {
  Duration d = options_.base_backoff;
  for (int i = 0; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

void MediaFetcher::Record(const Message& m, const json& meta, const std::string& state,
                          int attempts, std::optional<TimePoint> next_at) {
  const TimePoint now = clock_.Now();
  const bool final_state = state == "ready" || state == "failed";
  Status st = store_.Transact([&](StoreTx& tx) -> Status {
    HANDOFFD_ASSIGN_OR_RETURN(auto updated,
                              tx.UpdateMedia(m.id, meta.dump(), state, attempts, next_at));
    if (!final_state || !updated || !updated->session_id) return Status::Ok();
    HANDOFFD_ASSIGN_OR_RETURN(auto session, tx.LockSession(*updated->session_id));
    if (!session) return Status::Ok();
    auto e = tx.AppendEvent(MessageEvent("message.updated", *updated, *session, now));
    return e.ok() ? Status::Ok() : e.status();
  });
  if (!st.ok()) {
    log_.Error("media.record_failed", {{"message_id", m.id}, {"error", st.ToString()}});
    return;
  }
  if (final_state && options_.on_events) options_.on_events();
}

FetchOutcome MediaFetcher::Fail(const Message& m, json meta, const MediaFetch& fetch,
                                const std::string& error, bool permanent) {
  const int attempts = fetch.attempts + 1;
  if (!permanent && attempts < options_.max_attempts) {
    meta["media_status"] = "pending";
    const Duration delay = Backoff(fetch.attempts);
    Record(m, meta, "retry", attempts, clock_.Now() + delay);
    log_.Warn("media.retry", {{"message_id", m.id},
                              {"attempt", attempts},
                              {"error", error},
                              {"retry_in_ms", delay.count()}});
    return FetchOutcome::kRetry;
  }
  meta["media_status"] = "failed";
  meta["error"] = error;
  Record(m, meta, "failed", attempts, std::nullopt);
  log_.Error("media.failed", {{"message_id", m.id}, {"attempt", attempts}, {"error", error}});
  return FetchOutcome::kFailed;
}

FetchOutcome MediaFetcher::Process(const MediaFetch& fetch, HttpClient& client) {
  auto found = store_.GetMessage(fetch.message_id);
  if (!found.ok() || !found->has_value()) return FetchOutcome::kSkipped;
  const Message& m = **found;
  json meta = json::parse(m.metadata, nullptr, false);
  if (!meta.is_object()) meta = json::object();
  const std::string media_id = Str(meta, "id");
  if (media_id.empty()) return Fail(m, meta, fetch, "no media id", true);

  std::string token = options_.access_token;
  if (m.session_id) {
    auto session = store_.GetSession(*m.session_id);
    if (session.ok() && session->has_value()) {
      auto it = options_.number_tokens.find((*session)->phone_number_id);
      if (it != options_.number_tokens.end() && !it->second.empty()) token = it->second;
    }
  }
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + token}};

  auto temp = files_.TempPath();
  if (!temp.ok()) return Fail(m, meta, fetch, temp.status().message(), false);

  // At most two rounds: a download refused as expired is resolved again once.
  for (int round = 0; round < 2; ++round) {
    // Step 2: resolve the media id to a short-lived URL.
    HttpResponse resolved = client.Get(options_.api_base + "/" + media_id, auth);
    if (resolved.status == 404) {
      return Fail(m, meta, fetch, "media not found (404 from the Graph API)", true);
    }
    if (resolved.status < 200 || resolved.status >= 300) {
      const std::string why = resolved.status == 0
                                  ? "resolve: " + resolved.transport_error
                                  : "resolve: HTTP " + std::to_string(resolved.status);
      return Fail(m, meta, fetch, why, !Retryable(resolved) && resolved.status != 401);
    }
    const TimePoint resolved_at = clock_.Now();
    json info = json::parse(resolved.body, nullptr, false);
    const std::string url = info.is_object() ? Str(info, "url") : "";
    if (url.empty()) return Fail(m, meta, fetch, "resolve: no url", false);
    const int64_t announced = FileSize(info);
    if (announced > options_.max_bytes) {
      return Fail(m, meta, fetch,
                  "file of " + std::to_string(announced) + " bytes is over media.max_bytes", true);
    }
    if (clock_.Now() - resolved_at > options_.url_life) continue;  // stale before we began

    // Step 3: download with the same bearer token, streamed to the temporary file.
    bool too_large = false;
    HttpResponse got = client.GetToFile(url, auth, *temp, options_.max_bytes, too_large);
    if (too_large) {
      MediaFiles::Remove(*temp);
      return Fail(m, meta, fetch, "file is over media.max_bytes", true);
    }
    if (got.status == 401 || got.status == 403 || got.status == 404 || got.status == 410) {
      MediaFiles::Remove(*temp);
      if (round == 0) continue;  // the URL expired: resolve again
      return Fail(m, meta, fetch, "download: HTTP " + std::to_string(got.status), false);
    }
    if (got.status < 200 || got.status >= 300) {
      MediaFiles::Remove(*temp);
      const std::string why = got.status == 0 ? "download: " + got.transport_error
                                              : "download: HTTP " + std::to_string(got.status);
      return Fail(m, meta, fetch, why, !Retryable(got));
    }

    // Step 4: check the SHA-256 (webhook: base64; media API: hex).
    auto hashed = files_.HashFile(*temp);
    if (!hashed.ok()) {
      MediaFiles::Remove(*temp);
      return Fail(m, meta, fetch, hashed.status().message(), false);
    }
    const auto& [hex, size] = *hashed;
    std::string expected = Str(meta, "sha256");
    if (expected.empty()) expected = Str(info, "sha256");
    if (!expected.empty() && !Sha256Matches(hex, expected)) {
      MediaFiles::Remove(*temp);
      return Fail(m, meta, fetch, "sha256 mismatch", true);
    }
    auto stored = files_.Commit(*temp, hex);
    if (!stored.ok()) {
      MediaFiles::Remove(*temp);
      return Fail(m, meta, fetch, stored.status().message(), false);
    }
    if (Str(meta, "mime_type").empty()) meta["mime_type"] = Str(info, "mime_type");
    meta["media_status"] = "ready";
    meta["media_url"] = "/api/media/" + std::to_string(m.id);
    meta["size_bytes"] = size;
    meta["sha256"] = hex;
    if (!meta.contains("filename")) meta["filename"] = nullptr;
    meta.erase("error");
    Record(m, meta, "ready", fetch.attempts + 1, std::nullopt);
    log_.Info("media.ready", {{"message_id", m.id}, {"bytes", size}});
    return FetchOutcome::kReady;
  }
  MediaFiles::Remove(*temp);
  return Fail(m, meta, fetch, "download: the media URL expired twice", false);
}

}  // namespace handoffd
