// `handoffd simulate`: plays a WhatsApp customer against a running daemon.
#include <chrono>
#include <iostream>

#include "channels/http_client.h"
#include "channels/whatsapp/signature.h"
#include "channels/whatsapp/webhook_builder.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace handoffd {
namespace {

/// The title the customer sees on the button `id`: the configured menu's, else the id itself.
std::string ButtonTitle(const Config& config, const std::string& id) {
  for (const auto& b : config.bot.menu_buttons) {
    if (b.id == id) return b.title;
  }
  return id;
}

}  // namespace

int RunSimulate(const Config& config, const SimulateArgs& args) {
  if (config.whatsapp.app_secret.empty()) {
    return Fail("whatsapp.app_secret is not set (WHATSAPP_APP_SECRET); cannot sign the webhook");
  }
  std::string url = args.url;
  if (url.empty()) {
    const std::string host = config.server.host == "0.0.0.0" ? "127.0.0.1" : config.server.host;
    url = "http://" + host + ":" + std::to_string(config.server.port) + "/webhooks/whatsapp";
  }
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return Fail("--url must look like http://host:port/path", 2);
  if (url.find('/', scheme + 3) == std::string::npos) url += "/webhooks/whatsapp";

  whatsapp::SimulatedMessage m;
  if (!config.whatsapp.phone_number_id.empty()) m.phone_number_id = config.whatsapp.phone_number_id;
  m.from = args.from;
  m.name = args.name;
  m.timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(SystemClock().Now().time_since_epoch())
          .count();
  m.text = args.text;
  m.button_id = args.button;
  m.button_title = args.title.empty() ? ButtonTitle(config, args.button) : args.title;
  const std::string body = whatsapp::BuildMessageWebhook(m);

  HttpClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.total_timeout = std::chrono::seconds(30);
  auto client = MakeCurlHttpClient(options);
  HttpResponse res =
      client->Post(url,
                   {{"Content-Type", "application/json"},
                    {"X-Hub-Signature-256", whatsapp::SignBody(config.whatsapp.app_secret, body)}},
                   body);
  if (res.status == 0) {
    return Fail("POST " + url +
                " failed: " + (res.timed_out ? std::string("timed out") : res.transport_error));
  }
  std::cout << res.status << "\n";
  return res.status == 200 ? 0 : 1;
}

}  // namespace handoffd
