#include "support/fake_graph_server.h"

#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

namespace handoffd::testing {
namespace {

using json = nlohmann::json;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

struct FakeGraphServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<RecordedRequest> requests;
  std::deque<ScriptedResponse> scripted;
  std::vector<std::string> wamids;
  std::map<std::string, FakeMedia> media;
  std::map<std::string, int> resolves;   // media id -> resolves answered so far
  std::map<std::string, int> downloads;  // media id -> downloads answered so far
  std::vector<std::string> uploads;
  std::chrono::milliseconds url_life{300000};
  bool stopping = false;

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // The media endpoints; false when the request is not one of them.
  bool HandleMedia(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    static const std::string kDownload = "/media-download/";
    if (req.method == "GET" && req.path.rfind(kDownload, 0) == 0) {
      const std::string id = req.path.substr(kDownload.size());
      auto it = media.find(id);
      const int n = downloads[id]++;
      const std::string auth = req.get_header_value("Authorization");
      if (it == media.end()) {
        res.status = 404;
        return true;
      }
      if (auth.rfind("Bearer ", 0) != 0 || auth.size() <= 7) {
        res.status = 401;
        res.set_content(R"({"error":{"message":"token required","code":190}})", "application/json");
        return true;
      }
      const int64_t expires =
          req.has_param("expires") ? std::stoll(req.get_param_value("expires")) : 0;
      if (n < it->second.expired_downloads || NowMs() > expires) {
        res.status = 404;  // what Meta's CDN answers for an expired URL
        res.set_content("URL signature expired", "text/plain");
        return true;
      }
      res.status = 200;
      res.set_content(it->second.bytes, it->second.mime_type);
      return true;
    }
    if (req.method == "GET" && req.path.rfind("/v21.0/", 0) == 0) {
      const std::string id = req.path.substr(7);
      if (id.find('/') != std::string::npos) return false;
      auto it = media.find(id);
      const int n = resolves[id]++;
      if (it == media.end() || it->second.not_found) {
        res.status = 404;
        res.set_content(
            R"({"error":{"message":"Unsupported get request. Object with ID does not exist","type":"GraphMethodException","code":100,"error_subcode":33}})",
            "application/json");
        return true;
      }
      const FakeMedia& m = it->second;
      if (n < m.resolve_errors) {
        res.status = 500;
        res.set_content(R"({"error":{"message":"An unknown error occurred","code":1}})",
                        "application/json");
        return true;
      }
      json body = {{"messaging_product", "whatsapp"},
                   {"url", "http://127.0.0.1:" + std::to_string(port) + kDownload + id +
                               "?expires=" + std::to_string(NowMs() + url_life.count())},
                   {"mime_type", m.mime_type},
                   {"sha256", m.wrong_hash ? Sha256Hex(m.bytes + "x") : Sha256Hex(m.bytes)},
                   {"file_size",
                    std::to_string(m.announced_size >= 0 ? m.announced_size
                                                         : static_cast<int64_t>(m.bytes.size()))},
                   {"id", id}};
      res.status = 200;
      res.set_content(body.dump(), "application/json");
      return true;
    }
    if (req.method == "POST" && EndsWith(req.path, "/media") && scripted.empty()) {
      const std::string id = "fake-upload-" + std::to_string(uploads.size());
      uploads.push_back(id);
      res.status = 200;
      res.set_content(json{{"id", id}}.dump(), "application/json");
      return true;
    }
    return false;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    RecordedRequest r;
    r.method = req.method;
    r.path = req.path;
    for (const auto& [name, value] : req.headers) r.headers[Lower(name)] = value;
    r.body = req.body;
    for (const auto& [name, file] : req.files) {
      r.parts.push_back({file.name, file.filename, file.content_type, file.content});
    }

    std::optional<ScriptedResponse> script;
    std::string wamid;
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(std::move(r));
      if (req.method == "POST" && !scripted.empty()) {
        script = std::move(scripted.front());
        scripted.pop_front();
      } else if (req.method == "POST" && EndsWith(req.path, "/messages")) {
        wamid = "wamid.FAKE" + std::to_string(wamids.size()) +
                "HBgNNDkxNTExMjM0NTY3OBUCABEYEjAwREFGNTFBNDE2NEEyNjhDNQA=";
        wamids.push_back(wamid);
      }
    }
    cv.notify_all();

    if (!script && HandleMedia(req, res)) return;
    if (script) {
      if (script->delay.count() > 0) {
        // Interruptible, so that the destructor does not wait for a long scripted delay.
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, script->delay, [this] { return stopping; });
      }
      res.status = script->status;
      res.set_content(script->body, "application/json");
      return;
    }
    if (!wamid.empty()) {
      json request = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      std::string to = request.is_object() && request.contains("to") && request["to"].is_string()
                           ? request["to"].get<std::string>()
                           : std::string();
      json contact = {{"input", to}};
      bool phone = !to.empty() && (to[0] == '+' || std::isdigit(static_cast<unsigned char>(to[0])));
      if (phone) {
        contact["wa_id"] = to[0] == '+' ? to.substr(1) : to;
      } else {
        contact["wa_id"] = "";
        contact["user_id"] = to;
      }
      json body = {{"messaging_product", "whatsapp"},
                   {"contacts", json::array({contact})},
                   {"messages", json::array({{{"id", wamid}}})}};
      res.status = 200;
      res.set_content(body.dump(), "application/json");
      return;
    }
    res.status = 200;
    res.set_content("{}", "application/json");
  }
};

FakeGraphServer::FakeGraphServer() : impl_(std::make_unique<Impl>()) {
  if (sodium_init() < 0) throw std::runtime_error("FakeGraphServer: sodium_init failed");
  Impl* impl = impl_.get();
  auto handler = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Handle(req, res);
  };
  impl->server.Get(".*", handler);
  impl->server.Post(".*", handler);
  impl->server.Put(".*", handler);
  impl->server.Patch(".*", handler);
  impl->server.Delete(".*", handler);
  impl->server.set_keep_alive_timeout(1);
  impl->server.set_tcp_nodelay(true);
  impl->port = impl->server.bind_to_any_port("127.0.0.1");
  if (impl->port <= 0) throw std::runtime_error("FakeGraphServer: cannot bind 127.0.0.1");
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it so the destructor cannot hang.
  while (!impl->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeGraphServer::~FakeGraphServer() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string FakeGraphServer::api_base() const { return base_url() + "/v21.0"; }

std::string FakeGraphServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

int FakeGraphServer::port() const { return impl_->port; }

void FakeGraphServer::Enqueue(ScriptedResponse r) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->scripted.push_back(std::move(r));
}

ScriptedResponse FakeGraphServer::MetaError(int http_status, int64_t code,
                                            const std::string& title) {
  json body = {{"error",
                {{"message", "(#" + std::to_string(code) + ") " + title},
                 {"type", "OAuthException"},
                 {"code", code},
                 {"error_data", {{"messaging_product", "whatsapp"}, {"details", title + "."}}},
                 {"fbtrace_id", "AFakeTraceId0123456789"}}}};
  ScriptedResponse r;
  r.status = http_status;
  r.body = body.dump();
  return r;
}

void FakeGraphServer::AddMedia(const std::string& media_id, FakeMedia media) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->media[media_id] = std::move(media);
}

std::string FakeGraphServer::Sha256Hex(const std::string& bytes) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[sizeof out * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string FakeGraphServer::Sha256Base64(const std::string& bytes) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char b64[sodium_base64_ENCODED_LEN(sizeof out, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, out, sizeof out, sodium_base64_VARIANT_ORIGINAL);
  return b64;
}

std::string FakeGraphServer::UploadIdOf(size_t k) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return k < impl_->uploads.size() ? impl_->uploads[k] : std::string();
}

void FakeGraphServer::set_url_life(std::chrono::milliseconds life) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->url_life = life;
}

std::vector<RecordedRequest> FakeGraphServer::Requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

size_t FakeGraphServer::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
  return impl_->requests.size();
}

std::string FakeGraphServer::WamidOf(size_t k) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return k < impl_->wamids.size() ? impl_->wamids[k] : std::string();
}

}  // namespace handoffd::testing
