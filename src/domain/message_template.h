// WhatsApp message templates as configured (whatsapp.templates) and the business numbers of
// whatsapp.numbers (API.md "WhatsApp: window, templates, media, read, typing").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace handoffd {

/// One approved template: name and language as approved in Meta's tools, and its body text with
/// placeholders {{1}}, {{2}}, ... (facts §7 "Template").
struct MessageTemplate {
  std::string name;
  std::string language;
  std::string body;
};

/// The number of body parameters: the highest n of any {{n}} placeholder (0 when none).
int TemplateParameterCount(const std::string& body);

/// The body with each {{n}} replaced by parameters[n-1] (placeholders without a parameter stay).
std::string FillTemplate(const std::string& body, const std::vector<std::string>& parameters);

/// A business number's own settings (whatsapp.numbers).
struct BusinessNumber {
  std::string phone_number_id;
  /// Empty: the default whatsapp.access_token.
  std::string access_token;
  /// Slug of the team new sessions on this number go to; empty: the default routing.
  std::string team;
};

}  // namespace handoffd
