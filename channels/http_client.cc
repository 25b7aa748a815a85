#include "channels/http_client.h"

#include <curl/curl.h>

#include <exception>
#include <mutex>

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
    HttpResponse response;
    try {
      response = DoPost(url, headers, body);
    } catch (const std::exception& e) {
      response = HttpResponse{};
      response.transport_error = std::string("http client: ") + e.what();
    } catch (...) {
      response = HttpResponse{};
      response.transport_error = "http client: unknown exception";
    }
    return response;
  }

 private:
  HttpResponse DoPost(const std::string& url, const std::map<std::string, std::string>& headers,
                      const std::string& body) {
    HttpResponse response;
    if (curl_ == nullptr) {
      response.transport_error = "curl_easy_init failed";
      return response;
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
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "handoffd/" HANDOFFD_VERSION);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response.body);

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
      return response;
    }
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
  }

  HttpClientOptions options_;
  CURL* curl_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const HttpClientOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace handoffd
