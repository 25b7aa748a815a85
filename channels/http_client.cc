#include "channels/http_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <exception>
#include <mutex>
#include <string>

namespace handoffd {
namespace {

// Larger answers are cut off: Graph and bot responses are a few hundred bytes.
constexpr size_t kMaxResponseBytes = 8 * 1024 * 1024;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* out = static_cast<std::string*>(userdata);
  size_t n = size * nmemb;
  if (out->size() + n > kMaxResponseBytes) return 0;  // aborts with CURLE_WRITE_ERROR
  try {
    out->append(ptr, n);
  } catch (...) {
    return 0;
  }
  return n;
}

// A download into a file, bounded by max_bytes (GetToFile).
struct FileSink {
  std::FILE* file = nullptr;
  int64_t written = 0;
  int64_t max_bytes = 0;
  bool too_large = false;
  long status = 0;  // filled from the handle once headers are in
  CURL* curl = nullptr;
  std::string error_body;  // a non-2xx answer's body, kept small
};

size_t WriteFile(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* sink = static_cast<FileSink*>(userdata);
  const size_t n = size * nmemb;
  if (sink->status == 0) curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &sink->status);
  if (sink->status < 200 || sink->status >= 300) {
    if (sink->error_body.size() + n > 65536) return 0;
    sink->error_body.append(ptr, n);
    return n;
  }
  if (sink->written + static_cast<int64_t>(n) > sink->max_bytes) {
    sink->too_large = true;
    return 0;
  }
  if (std::fwrite(ptr, 1, n, sink->file) != n) return 0;
  sink->written += static_cast<int64_t>(n);
  return n;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(const HttpClientOptions& options) : options_(options) {
    GlobalInitOnce();
    curl_ = curl_easy_init();
  }
  ~CurlHttpClient() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResponse Post(const std::string& url, const std::map<std::string, std::string>& headers,
                    const std::string& body) override {
    return Guarded([&] {
      HttpResponse response;
      Perform(url, headers, response, [&](CURL* h) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
      });
      return response;
    });
  }

  HttpResponse Get(const std::string& url,
                   const std::map<std::string, std::string>& headers) override {
    return Guarded([&] {
      HttpResponse response;
      Perform(url, headers, response, [&](CURL* h) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
      });
      return response;
    });
  }

  HttpResponse GetToFile(const std::string& url, const std::map<std::string, std::string>& headers,
                         const std::string& path, int64_t max_bytes, bool& too_large) override {
    too_large = false;
    return Guarded([&] {
      HttpResponse response;
      FileSink sink;
      sink.file = std::fopen(path.c_str(), "wb");
      if (sink.file == nullptr) {
        response.transport_error = "cannot open " + path;
        return response;
      }
      sink.max_bytes = max_bytes;
      sink.curl = curl_;
      Perform(url, headers, response, [&](CURL* h) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteFile);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
      });
      const bool closed = std::fclose(sink.file) == 0;
      too_large = sink.too_large;
      if (response.status != 0) response.body = std::move(sink.error_body);
      if (!closed && response.status >= 200 && response.status < 300) {
        response.status = 0;
        response.transport_error = "cannot write " + path;
      }
      return response;
    });
  }

  HttpResponse PostFile(const std::string& url, const std::map<std::string, std::string>& headers,
                        const std::map<std::string, std::string>& fields, const std::string& path,
                        const std::string& mime_type, const std::string& filename) override {
    return Guarded([&] {
      HttpResponse response;
      curl_mime* mime = curl_mime_init(curl_);
      for (const auto& [name, value] : fields) {
        curl_mimepart* part = curl_mime_addpart(mime);
        curl_mime_name(part, name.c_str());
        curl_mime_data(part, value.data(), value.size());
      }
      curl_mimepart* file = curl_mime_addpart(mime);
      curl_mime_name(file, "file");
      curl_mime_filedata(file, path.c_str());  // streamed from disk while sending
      curl_mime_filename(file, filename.c_str());
      curl_mime_type(file, mime_type.c_str());
      Perform(url, headers, response, [&](CURL* h) {
        curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
      });
      curl_easy_setopt(curl_, CURLOPT_MIMEPOST, static_cast<curl_mime*>(nullptr));
      curl_mime_free(mime);
      return response;
    });
  }

 private:
  template <typename F>
  HttpResponse Guarded(F f) {
    try {
      return f();
    } catch (const std::exception& e) {
      HttpResponse response;
      response.transport_error = std::string("http client: ") + e.what();
      return response;
    } catch (...) {
      HttpResponse response;
      response.transport_error = "http client: unknown exception";
      return response;
    }
  }

  // Runs one request on the reused handle: common options, then `setup` (method, body, sink).
  template <typename Setup>
  void Perform(const std::string& url, const std::map<std::string, std::string>& headers,
               HttpResponse& response, Setup setup) {
    if (curl_ == nullptr) {
      response.transport_error = "curl_easy_init failed";
      return;
    }
    // Reset clears the options of the previous request but keeps live connections (keep-alive).
    curl_easy_reset(curl_);

    curl_slist* list = nullptr;
    for (const auto& [name, value] : headers) {
      list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    // libcurl 7.x sends "Expect: 100-continue" for bodies over 1 KiB and then waits for the
    // interim answer; an empty Expect header turns that round trip off.
    list = curl_slist_append(list, "Expect:");

    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "handoffd/" HANDOFFD_VERSION);
    setup(curl_);

    CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    // The handle keeps pointers to these; drop them before they go out of scope.
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));

    if (rc != CURLE_OK) {
      response.status = 0;
      response.body.clear();
      response.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
      response.transport_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      return;
    }
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
  }

  HttpClientOptions options_;
  CURL* curl_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpClientOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace handoffd
