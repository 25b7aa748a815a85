// GET/POST /webhooks/whatsapp (API.md "Channel webhooks"; facts §1-3): the signature is checked
// over the raw bytes before anything is parsed, and 200 is answered only once everything the
// POST carried is committed.
#include "channels/whatsapp/signature.h"
#include "channels/whatsapp/webhook_parser.h"
#include "http/http_internal.h"

namespace handoffd::http {

void RegisterWebhookRoutes(httplib::Server& server, Context& ctx) {
  server.Get("/webhooks/whatsapp", [&ctx](const httplib::Request& req, httplib::Response& res) {
    const std::string mode = req.get_param_value("hub.mode");
    const std::string token = req.get_param_value("hub.verify_token");
    if (!whatsapp::VerifySubscription(mode, token, ctx.options.verify_token)) {
      ctx.deps.log.Warn("webhook.verification_refused", {{"mode", mode}});
      SendError(res, Status::Forbidden("verification token mismatch"));
      return;
    }
    ctx.deps.log.Info("webhook.verified");
    res.status = 200;
    res.set_content(req.get_param_value("hub.challenge"), "text/plain");
  });

  Post(server, ctx, "/webhooks/whatsapp",
       Timed(ctx, "webhook", [&ctx](const httplib::Request& req, httplib::Response& res) {
         const std::string signature = req.get_header_value("X-Hub-Signature-256");
         if (!whatsapp::VerifySignature(ctx.options.app_secret, req.body, signature)) {
           ctx.deps.metrics.WebhookRejected("signature");
           ctx.deps.log.Warn("webhook.rejected",
                             {{"reason", signature.empty() ? "missing signature" : "bad signature"},
                              {"bytes", req.body.size()}});
           SendError(
               res, Status::Unauthorized(signature.empty() ? "missing X-Hub-Signature-256"
                                                           : "X-Hub-Signature-256 does not match"));
           return;
         }
         whatsapp::ParseOptions options{ctx.options.phone_number_ids};
         auto batch = whatsapp::ParseWebhook(req.body, options);
         if (!batch.ok()) {
           ctx.deps.metrics.WebhookRejected("not_json");
           ctx.deps.log.Warn("webhook.rejected", {{"reason", batch.status().message()}});
           SendError(res, batch.status());
           return;
         }
         auto report = ctx.deps.router.HandleBatch(*batch, req.body);
         if (!report.ok()) {
           ctx.deps.metrics.WebhookRejected("database");
           ctx.deps.log.Error("webhook.failed", {{"error", report.status().ToString()},
                                                 {"messages", batch->messages.size()},
                                                 {"statuses", batch->statuses.size()}});
           // Meta redelivers anything not answered with 200: a database outage is a 503, a bug
           // a 500 (kInternal), so the two stay apart in metrics and logs.
           SendError(res, report.status());
           return;
         }
         ++ctx.deps.metrics.webhooks_received;
         ctx.deps.log.Debug("webhook.received", {{"messages", batch->messages.size()},
                                                 {"statuses", batch->statuses.size()},
                                                 {"ignored", batch->ignored.size()},
                                                 {"duplicates", report->duplicates}});
         SendJson(res, 200, {{"status", "received"}});
         // Media downloads start after the commit; the worker never delays this answer.
         if (ctx.deps.on_webhook && !batch->messages.empty()) ctx.deps.on_webhook();
       }));
}

}  // namespace handoffd::http
