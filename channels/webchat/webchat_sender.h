// The web chat channel's sender (channels/channel_sender.h seam). A web chat message reaches the
// visitor through the real-time feed (its message.created event, written with the message), so
// "sending" is accepting it: the result is `sent` with a local id. The visitor's event stream
// then marks it `delivered`, and the visitor's read report `read` (webchat_service.h).
#pragma once

#include <memory>

#include "channels/channel_sender.h"

namespace handoffd::webchat {

/// A sender for OutboundMessage.channel == "webchat": always kSent, id "webchat-" + 24 hex.
std::unique_ptr<ChannelSender> MakeWebchatSender();

/// Routes each message by its channel: web chat to `webchat`, everything else to `other`.
std::unique_ptr<ChannelSender> MakeChannelRouter(std::unique_ptr<ChannelSender> other,
                                                 std::unique_ptr<ChannelSender> webchat);

}  // namespace handoffd::webchat
