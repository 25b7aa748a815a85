#include "channels/webchat/webchat_sender.h"

#include <random>
#include <string>

#include "domain/webchat.h"

namespace handoffd::webchat {
namespace {

class WebchatSender final : public ChannelSender {
 public:
  WebchatSender() : rng_(std::random_device{}()) {}
  SendResult Send(const OutboundMessage&, int) override {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id = "webchat-";
    for (int i = 0; i < 24; ++i) id += kHex[rng_() & 15];
    SendResult r;
    r.outcome = SendResult::Outcome::kSent;
    r.channel_message_id = std::move(id);
    return r;
  }

 private:
  std::mt19937_64 rng_;
};

class ChannelRouter final : public ChannelSender {
 public:
  ChannelRouter(std::unique_ptr<ChannelSender> other, std::unique_ptr<ChannelSender> webchat)
      : other_(std::move(other)), webchat_(std::move(webchat)) {}
  SendResult Send(const OutboundMessage& m, int attempt) override {
    return m.channel == kWebchatChannel ? webchat_->Send(m, attempt) : other_->Send(m, attempt);
  }

 private:
  std::unique_ptr<ChannelSender> other_;
  std::unique_ptr<ChannelSender> webchat_;
};

}  // namespace

std::unique_ptr<ChannelSender> MakeWebchatSender() { return std::make_unique<WebchatSender>(); }

std::unique_ptr<ChannelSender> MakeChannelRouter(std::unique_ptr<ChannelSender> other,
                                                 std::unique_ptr<ChannelSender> webchat) {
  return std::make_unique<ChannelRouter>(std::move(other), std::move(webchat));
}

}  // namespace handoffd::webchat
