// `[[webchat.widgets]]` (API.md "Web chat"): the widgets a site may embed, each with its key,
// allowed origins, team, texts and bot.
#include <toml++/toml.h>

#include <set>
#include <string>

#include "config/config_values.h"

namespace handoffd::config_internal {
namespace {

constexpr size_t kMaxWidgetKey = 64;
constexpr size_t kMaxOrigin = 255;

bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxWidgetKey) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// "scheme://host[:port]" without a path, as browsers send it in `Origin`.
bool ValidOrigin(const std::string& origin) {
  if (origin.size() > kMaxOrigin) return false;
  const size_t scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return false;
  const std::string scheme = origin.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  const std::string rest = origin.substr(scheme_end + 3);
  return !rest.empty() && rest.find('/') == std::string::npos &&
         rest.find(' ') == std::string::npos;
}

Status Text(const std::string& label, const toml::table& t, const char* field, size_t max_chars,
            std::string& out) {
  const toml::node* v = t.get(field);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Err(label + "." + field, "expected a string");
  return SetText(label + "." + field, v->as_string()->get(), max_chars, out);
}

Status ParseWidget(const std::string& label, const toml::table& t, WebchatWidget& w) {
  static const std::set<std::string> kKnown = {
      "key", "name", "allowed_origins", "team", "welcome_text", "bot_forward_url", "menu_buttons"};
  for (const auto& [key, value] : t) {
    if (kKnown.count(std::string(key.str())) == 0) {
      return Status::BadRequest("unknown key " + label + "." + std::string(key.str()));
    }
  }
  const toml::node* key = t.get("key");
  if (key == nullptr) return Err(label + ".key", "missing");
  if (!key->is_string() || !ValidKey(key->as_string()->get())) {
    return Err(label + ".key", "expected 1-64 letters, digits, '-' or '_'");
  }
  w.key = key->as_string()->get();
  HANDOFFD_RETURN_IF_ERROR(Text(label, t, "name", 100, w.name));
  HANDOFFD_RETURN_IF_ERROR(Text(label, t, "team", 100, w.team));
  HANDOFFD_RETURN_IF_ERROR(Text(label, t, "welcome_text", kMaxTextBody, w.welcome_text));
  if (const toml::node* url = t.get("bot_forward_url")) {
    if (!url->is_string()) return Err(label + ".bot_forward_url", "expected a string");
    if (!Trim(url->as_string()->get()).empty()) {
      HANDOFFD_RETURN_IF_ERROR(
          SetForwardUrl(label + ".bot_forward_url", url->as_string()->get(), w.bot_forward_url));
    }
  }
  if (const toml::node* origins = t.get("allowed_origins")) {
    const toml::array* array = origins->as_array();
    if (array == nullptr) return Err(label + ".allowed_origins", "expected an array of origins");
    for (const toml::node& o : *array) {
      std::string origin = o.is_string() ? Trim(o.as_string()->get()) : "";
      while (!origin.empty() && origin.back() == '/') origin.pop_back();
      if (!ValidOrigin(origin)) {
        return Err(label + ".allowed_origins",
                   "expected origins like \"https://shop.example.com\" (scheme://host[:port])");
      }
      w.allowed_origins.push_back(origin);
    }
  }
  if (const toml::node* buttons = t.get("menu_buttons")) {
    HANDOFFD_RETURN_IF_ERROR(SetMenuButtons(label + ".menu_buttons", *buttons, w.menu_buttons));
  }
  return Status::Ok();
}

}  // namespace

Status SetWebchatWidgets(std::string_view label, const toml::node& node,
                         std::vector<WebchatWidget>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Err(label, "expected an array of tables ([[webchat.widgets]])");
  std::vector<WebchatWidget> widgets;
  std::set<std::string> keys;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = std::string(label) + "[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (t == nullptr) return Err(item, "expected a table");
    WebchatWidget w;
    HANDOFFD_RETURN_IF_ERROR(ParseWidget(item, *t, w));
    if (!keys.insert(w.key).second) return Err(item + ".key", "duplicate key " + Quote(w.key));
    widgets.push_back(std::move(w));
  }
  out = std::move(widgets);
  return Status::Ok();
}

}  // namespace handoffd::config_internal
