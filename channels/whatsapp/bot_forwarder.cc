#include "channels/whatsapp/bot_forwarder.h"

#include <exception>
#include <map>
#include <memory>
#include <utility>

#include "channels/whatsapp/signature.h"

namespace handoffd::whatsapp {
namespace {

// A bot's answer longer than this is not read (its handoff request is ignored).
constexpr size_t kMaxBotAnswerBytes = 64 * 1024;

SendResult Failure(SendResult::Outcome outcome, int64_t code, std::string title) {
  SendResult r;
  r.outcome = outcome;
  r.error = MessageError{code, std::move(title)};
  return r;
}

class HttpBotForwarder final : public BotForwarder {
 public:
  HttpBotForwarder(std::unique_ptr<HttpClient> client, std::string secret,
                   std::map<std::string, std::string> integration_secrets)
      : client_(std::move(client)),
        secret_(std::move(secret)),
        integration_secrets_(std::move(integration_secrets)) {}
  SendResult Forward(const std::string& url, const std::string& raw_body) override {
    return ForwardToBot(*client_, url, secret_, raw_body);
  }
  SendResult DeliverEvent(const std::string& url, const std::string& body) override {
    auto it = integration_secrets_.find(url);
    if (it == integration_secrets_.end()) return BotForwarder::DeliverEvent(url, body);
    return DeliverIntegrationEvent(*client_, url, it->second, body);
  }

 private:
  std::unique_ptr<HttpClient> client_;
  std::string secret_;
  std::map<std::string, std::string> integration_secrets_;
};

}  // namespace

/// POSTs `raw_body` signed in `header` with `secret`; outcomes as ForwardToBot's.
SendResult PostSigned(HttpClient& client, const std::string& url, const std::string& header,
                      const std::string& secret, const std::string& raw_body);

std::unique_ptr<BotForwarder> MakeBotForwarder(
    std::unique_ptr<HttpClient> client, std::string secret,
    std::map<std::string, std::string> integration_secrets) {
  return std::make_unique<HttpBotForwarder>(std::move(client), std::move(secret),
                                            std::move(integration_secrets));
}

SendResult ForwardToBot(HttpClient& client, const std::string& url, const std::string& secret,
                        const std::string& raw_body) {
  return PostSigned(client, url, "X-Hub-Signature-256", secret, raw_body);
}

SendResult DeliverIntegrationEvent(HttpClient& client, const std::string& url,
                                   const std::string& secret, const std::string& body) {
  SendResult r = PostSigned(client, url, "X-Handoffd-Signature", secret, body);
  r.response_body.clear();  // only a bot's answer means something
  // Retried until a 2xx, whatever the receiver answers (API.md "Agent tools and reports").
  if (r.outcome == SendResult::Outcome::kPermanent) r.outcome = SendResult::Outcome::kRetryable;
  return r;
}

SendResult PostSigned(HttpClient& client, const std::string& url, const std::string& header,
                      const std::string& secret, const std::string& raw_body) {
  try {
    std::map<std::string, std::string> headers = {
        {"Content-Type", "application/json"},
        {header, SignBody(secret, raw_body)},
    };
    HttpResponse http = client.Post(url, headers, raw_body);
    if (http.timed_out) {
      SendResult r =
          Failure(SendResult::Outcome::kRetryable, 0, "bot timeout: " + http.transport_error);
      r.timed_out = true;
      return r;
    }
    if (http.status == 0) {
      return Failure(SendResult::Outcome::kRetryable, 0,
                     "bot transport error: " + http.transport_error);
    }
    if (http.status >= 200 && http.status < 300) {
      SendResult sent;
      if (http.body.size() <= kMaxBotAnswerBytes) sent.response_body = std::move(http.body);
      return sent;
    }
    std::string title = "bot answered HTTP " + std::to_string(http.status);
    if (http.status >= 400 && http.status < 500 && http.status != 408 && http.status != 429) {
      return Failure(SendResult::Outcome::kPermanent, http.status, std::move(title));
    }
    if (http.status >= 500 || http.status == 408 || http.status == 429) {
      return Failure(SendResult::Outcome::kRetryable, http.status, std::move(title));
    }
    // 1xx/3xx: redirects are not followed; the configured URL is wrong.
    return Failure(SendResult::Outcome::kPermanent, http.status, std::move(title));
  } catch (const std::exception& e) {
    return Failure(SendResult::Outcome::kRetryable, 0,
                   std::string("bot forward failed: ") + e.what());
  }
}

}  // namespace handoffd::whatsapp
