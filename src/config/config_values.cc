#include "config/config_values.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

namespace handoffd::config_internal {

Status Err(std::string_view label, std::string_view message) {
  std::string m(label);
  m += ": ";
  m += message;
  return Status::BadRequest(std::move(m));
}

// `value` in double quotes, with quotes, backslashes and control bytes escaped so that an error
// message stays on one line.
std::string Quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b < 0x20 || b == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", b);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(kWhitespace);
  return std::string(s.substr(begin, end - begin + 1));
}

// Number of UTF-8 code points (the input is valid UTF-8: toml++ rejects anything else).
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Value checks shared by the TOML file and the environment. `label` names the source of the
// value ("server.listen" or "HANDOFFD_LISTEN (server.listen)") and starts every message.

Status SetListen(std::string_view label, const std::string& value, Config::Server& server) {
  const std::string bad_address =
      "invalid address " + Quote(value) + " (use HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)";
  std::string host;
  std::string_view port_text;
  if (StartsWith(value, "[")) {
    const size_t close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      return Err(label, bad_address);
    }
    host = value.substr(1, close - 1);
    port_text = std::string_view(value).substr(close + 2);
  } else {
    const size_t colon = value.rfind(':');
    if (colon == std::string::npos) return Err(label, bad_address);
    host = value.substr(0, colon);
    // A bare IPv6 address is ambiguous; it needs brackets.
    if (host.find(':') != std::string::npos) return Err(label, bad_address);
    port_text = std::string_view(value).substr(colon + 1);
  }
  if (host.empty()) return Err(label, bad_address);
  for (char c : host) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f || c == '[' || c == ']' || c == '/') return Err(label, bad_address);
  }
  const std::string bad_port = "invalid port in " + Quote(value) + " (must be 1-65535)";
  if (port_text.empty() || port_text.size() > 5) return Err(label, bad_port);
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return Err(label, bad_port);
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return Err(label, bad_port);
  server.listen = value;
  server.host = std::move(host);
  server.port = port;
  return Status::Ok();
}

Status SetDatabaseUrl(std::string_view label, const std::string& value, std::string& out) {
  // The value is not echoed: a PostgreSQL URI may carry a password.
  if (StartsWith(value, "sqlite:")) {
    if (value.size() == std::string_view("sqlite:").size()) {
      return Err(label, "\"sqlite:\" needs a database file path, e.g. sqlite:var/handoffd.db");
    }
  } else if (!StartsWith(value, "postgresql://") && !StartsWith(value, "postgres://")) {
    return Err(label, "must start with \"sqlite:\", \"postgresql://\" or \"postgres://\"");
  }
  out = value;
  return Status::Ok();
}

// http(s) URL with a host part; trailing slashes removed.
Result<std::string> NormalizeHttpUrl(std::string_view label, const std::string& value,
                                     bool echo_value) {
  const std::string shown = echo_value ? " (got " + Quote(value) + ")" : "";
  size_t scheme_end = 0;
  if (StartsWith(value, "https://")) {
    scheme_end = 8;
  } else if (StartsWith(value, "http://")) {
    scheme_end = 7;
  } else {
    return Err(label, "must start with http:// or https://" + shown);
  }
  std::string url = value;
  while (url.size() > scheme_end && url.back() == '/') url.pop_back();
  if (url.size() == scheme_end) return Err(label, "missing host" + shown);
  if (url.find_first_of(kWhitespace) != std::string::npos) {
    return Err(label, "must not contain whitespace" + shown);
  }
  return url;
}

Status SetApiBase(std::string_view label, const std::string& value, std::string& out) {
  HANDOFFD_ASSIGN_OR_RETURN(auto url, NormalizeHttpUrl(label, value, /*echo_value=*/true));
  out = std::move(url);
  return Status::Ok();
}

Status SetForwardUrl(std::string_view label, const std::string& value, std::string& out) {
  if (value.empty()) {  // the built-in menu
    out.clear();
    return Status::Ok();
  }
  // Not echoed: a forward URL may carry credentials.
  HANDOFFD_ASSIGN_OR_RETURN(auto url, NormalizeHttpUrl(label, value, /*echo_value=*/false));
  out = std::move(url);
  return Status::Ok();
}

Status SetDuration(std::string_view label, const std::string& value, Duration& out) {
  Result<Duration> d = ParseDuration(value);
  if (!d.ok())
    return Err(label, "invalid duration " + Quote(value) + " " + std::string(kDurationHint));
  out = *d;
  return Status::Ok();
}

Status SetOneOf(std::string_view label, const std::string& value,
                const std::vector<std::string_view>& allowed, std::string& out) {
  for (std::string_view a : allowed) {
    if (value == a) {
      out = value;
      return Status::Ok();
    }
  }
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) list += i + 1 == allowed.size() ? " or " : ", ";
    list += Quote(allowed[i]);
  }
  return Err(label, "must be " + list + " (got " + Quote(value) + ")");
}

Status SetText(std::string_view label, const std::string& value, size_t max_chars,
               std::string& out) {
  const size_t n = CodePoints(value);
  if (n == 0 || n > max_chars) {
    return Err(label, "must be 1 to " + std::to_string(max_chars) + " characters (got " +
                          std::to_string(n) + ")");
  }
  out = value;
  return Status::Ok();
}

// Trimmed entries; an entry that is empty after trimming is an error.
Status SetTrimmedList(std::string_view label, const std::vector<std::string>& values,
                      std::vector<std::string>& out) {
  std::vector<std::string> result;
  result.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    std::string v = Trim(values[i]);
    if (v.empty())
      return Err(std::string(label) + "[" + std::to_string(i) + "]", "must not be empty");
    result.push_back(std::move(v));
  }
  out = std::move(result);
  return Status::Ok();
}

namespace {

// The string fields of one table of an array: every key must be in `keys`; `required` ones must
// be present; each value a string of at most its limit.
Status ReadTableStrings(
    const std::string& item, const toml::table& t,
    const std::vector<std::tuple<const char*, size_t, std::string*, bool>>& keys) {
  for (const auto& [key, value] : t) {
    bool known = false;
    for (const auto& k : keys) known = known || key.str() == std::get<0>(k);
    if (!known) return Status::BadRequest("unknown key " + item + "." + std::string(key.str()));
  }
  for (const auto& [field, max_chars, dest, required] : keys) {
    const std::string field_label = item + "." + field;
    const toml::node* v = t.get(field);
    if (v == nullptr) {
      if (required) return Err(field_label, "missing");
      continue;
    }
    if (!v->is_string()) return Err(field_label, "expected a string");
    HANDOFFD_RETURN_IF_ERROR(SetText(field_label, v->as_string()->get(), max_chars, *dest));
    if (required && Trim(*dest).empty()) return Err(field_label, "must not be empty");
  }
  return Status::Ok();
}

}  // namespace

Status SetTemplates(std::string_view label, const toml::node& node,
                    std::vector<MessageTemplate>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Err(label, "expected an array of tables with name, language, body");
  std::vector<MessageTemplate> templates;
  std::set<std::string> keys;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = std::string(label) + "[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (t == nullptr) return Err(item, "expected a table with name, language and body");
    MessageTemplate tmpl;
    HANDOFFD_RETURN_IF_ERROR(ReadTableStrings(item, *t,
                                              {{"name", 512, &tmpl.name, true},
                                               {"language", 16, &tmpl.language, true},
                                               {"body", 1024, &tmpl.body, true}}));
    if (!keys.insert(tmpl.name + "\n" + tmpl.language).second) {
      return Err(item, "duplicate template " + Quote(tmpl.name) + " " + Quote(tmpl.language));
    }
    templates.push_back(std::move(tmpl));
  }
  out = std::move(templates);
  return Status::Ok();
}

Status SetNumbers(std::string_view label, const toml::node& node,
                  std::vector<BusinessNumber>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Err(label, "expected an array of tables with phone_number_id");
  std::vector<BusinessNumber> numbers;
  std::set<std::string> ids;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = std::string(label) + "[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (t == nullptr) return Err(item, "expected a table with phone_number_id");
    BusinessNumber n;
    HANDOFFD_RETURN_IF_ERROR(ReadTableStrings(item, *t,
                                              {{"phone_number_id", 64, &n.phone_number_id, true},
                                               {"access_token", 4096, &n.access_token, false},
                                               {"team", 128, &n.team, false}}));
    for (char c : n.phone_number_id) {
      if (c < '0' || c > '9') return Err(item + ".phone_number_id", "must be digits");
    }
    if (!ids.insert(n.phone_number_id).second) {
      return Err(item + ".phone_number_id", "duplicate " + Quote(n.phone_number_id));
    }
    numbers.push_back(std::move(n));
  }
  out = std::move(numbers);
  return Status::Ok();
}

Status SetMenuButtons(std::string_view label, const toml::node& node,
                      std::vector<ReplyButton>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Err(label, "expected an array of tables with id and title");
  if (array->empty() || array->size() > static_cast<size_t>(kMaxButtons)) {
    return Err(label, "must have 1 to " + std::to_string(kMaxButtons) + " buttons (got " +
                          std::to_string(array->size()) + ")");
  }
  std::vector<ReplyButton> buttons;
  std::set<std::string> ids;
  std::set<std::string> titles;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = std::string(label) + "[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (t == nullptr) return Err(item, "expected a table with id and title");
    for (const auto& [key, value] : *t) {
      if (key.str() != "id" && key.str() != "title") {
        return Status::BadRequest("unknown key " + item + "." + std::string(key.str()));
      }
    }
    ReplyButton button;
    for (auto [field, max_chars, dest] : {std::tuple{"id", kMaxButtonId, &button.id},
                                          std::tuple{"title", kMaxButtonTitle, &button.title}}) {
      const std::string field_label = item + "." + field;
      const toml::node* v = t->get(field);
      if (v == nullptr) return Err(field_label, "missing");
      if (!v->is_string()) return Err(field_label, "expected a string");
      HANDOFFD_RETURN_IF_ERROR(SetText(field_label, v->as_string()->get(), max_chars, *dest));
    }
    if (Trim(button.id) != button.id) {
      return Err(item + ".id", "must not have leading or trailing spaces");
    }
    if (!ids.insert(button.id).second) return Err(item + ".id", "duplicate id " + Quote(button.id));
    if (!titles.insert(button.title).second) {
      return Err(item + ".title", "duplicate title " + Quote(button.title));
    }
    buttons.push_back(std::move(button));
  }
  out = std::move(buttons);
  return Status::Ok();
}

Status SetIntegrationWebhooks(std::string_view label, const toml::node& node,
                              std::vector<Config::IntegrationWebhook>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return Err(label, "expected an array of tables with url and secret");
  std::vector<Config::IntegrationWebhook> hooks;
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string item = std::string(label) + "[" + std::to_string(i) + "]";
    const toml::table* t = (*array)[i].as_table();
    if (t == nullptr) return Err(item, "expected a table with url, secret and events");
    for (const auto& [key, value] : *t) {
      if (key.str() != "url" && key.str() != "secret" && key.str() != "events") {
        return Status::BadRequest("unknown key " + item + "." + std::string(key.str()));
      }
    }
    Config::IntegrationWebhook hook;
    const toml::node* url = t->get("url");
    if (url == nullptr || !url->is_string()) return Err(item + ".url", "expected a URL string");
    HANDOFFD_ASSIGN_OR_RETURN(hook.url,
                              NormalizeHttpUrl(item + ".url", url->as_string()->get(), false));
    const toml::node* secret = t->get("secret");
    if (secret == nullptr || !secret->is_string() || secret->as_string()->get().empty()) {
      return Err(item + ".secret", "expected a non-empty string");
    }
    hook.secret = secret->as_string()->get();
    if (const toml::node* events = t->get("events")) {
      const toml::array* list = events->as_array();
      if (list == nullptr || list->empty()) {
        return Err(item + ".events", "expected a non-empty array of event types");
      }
      hook.events.clear();
      for (const auto& e : *list) {
        if (!e.is_string() || Trim(e.as_string()->get()).empty()) {
          return Err(item + ".events", "expected event type strings");
        }
        hook.events.push_back(Trim(e.as_string()->get()));
      }
    }
    hooks.push_back(std::move(hook));
  }
  out = std::move(hooks);
  return Status::Ok();
}

}  // namespace handoffd::config_internal
