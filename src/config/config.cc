#include "config/config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "config/config_values.h"

namespace handoffd {
namespace {

using namespace config_internal;  // NOLINT: the value checks of this key table
// One configuration key. Exactly one of the setters is set; it determines the TOML type.
struct Field {
  std::string key;  // dotted TOML key
  std::string env;  // environment variable overriding it; empty: none
  // A TOML string, or the environment value as is.
  std::function<Status(const std::string& label, const std::string& value)> text;
  // Message for a TOML value that is not a string (text fields only).
  std::string text_type_error = "expected a string";
  std::function<Status(const std::string& label, int64_t value)> integer;
  // A TOML array of strings, or the environment value split at commas (trimmed, empties dropped).
  std::function<Status(const std::string& label, const std::vector<std::string>& values)> list;
  // Any TOML value; no environment variable.
  std::function<Status(const std::string& label, const toml::node& node)> node;
};

// Every key of API.md "Configuration", in the order they are applied. The setters write into `c`,
// which must outlive the returned fields.
std::vector<Field> Fields(Config& c) {
  const std::string duration_type_error =
      "expected a duration string " + std::string(kDurationHint);
  auto text = [](std::string key, std::string env, auto set) {
    Field f;
    f.key = std::move(key);
    f.env = std::move(env);
    f.text = std::move(set);
    return f;
  };
  auto duration = [&](std::string key, std::string env, Duration& out) {
    Field f =
        text(std::move(key), std::move(env),
             [&out](const std::string& l, const std::string& v) { return SetDuration(l, v, out); });
    f.text_type_error = duration_type_error;
    return f;
  };
  auto plain = [&](std::string key, std::string env, std::string& out) {
    return text(std::move(key), std::move(env), [&out](const std::string&, const std::string& v) {
      out = v;
      return Status::Ok();
    });
  };
  auto message_text = [&](std::string key, std::string& out) {
    return text(std::move(key), "", [&out](const std::string& l, const std::string& v) {
      return SetText(l, v, kMaxTextBody, out);
    });
  };
  auto integer = [](std::string key, int64_t min, int64_t max, auto& out) {
    Field f;
    f.key = std::move(key);
    f.integer = [min, max, &out](const std::string& l, int64_t v) {
      return SetInt(l, v, min, max, out);
    };
    return f;
  };
  auto list = [](std::string key, std::string env, std::vector<std::string>& out) {
    Field f;
    f.key = std::move(key);
    f.env = std::move(env);
    f.list = [&out](const std::string& l, const std::vector<std::string>& v) {
      return SetTrimmedList(l, v, out);
    };
    return f;
  };

  std::vector<Field> fields;
  fields.push_back(
      text("server.listen", "HANDOFFD_LISTEN",
           [&c](const std::string& l, const std::string& v) { return SetListen(l, v, c.server); }));
  fields.push_back(integer("server.max_body_bytes", 1, std::numeric_limits<int64_t>::max(),
                           c.server.max_body_bytes));
  fields.push_back(integer("server.threads", 1, 1024, c.server.threads));
  fields.push_back(integer("server.max_connections", 1, 1000000, c.server.max_connections));
  fields.push_back(integer("server.max_connections_per_address", 1, 1000000,
                           c.server.max_connections_per_address));
  fields.push_back(
      integer("server.reserved_connections", 0, 100000, c.server.reserved_connections));
  fields.push_back(duration("server.head_timeout", "", c.server.head_timeout));
  fields.push_back(duration("server.worker_idle_timeout", "", c.server.worker_idle_timeout));
  fields.push_back(integer("server.worker_stack_kb", 0, 65536, c.server.worker_stack_kb));
  fields.push_back(
      integer("server.max_streams_per_agent", 1, 100000, c.server.max_streams_per_agent));
  fields.push_back(plain("server.dashboard_dir", "", c.server.dashboard_dir));
  fields.push_back(text("server.public_url", "HANDOFFD_PUBLIC_URL",
                        [&c](const std::string& l, const std::string& v) {
                          if (Trim(v).empty()) {
                            c.server.public_url.clear();
                            return Status::Ok();
                          }
                          return SetApiBase(l, v, c.server.public_url);
                        }));
  Field online_on_login;
  online_on_login.key = "agents.online_on_login";
  online_on_login.node = [&c](const std::string& l, const toml::node& n) {
    if (!n.is_boolean()) return Err(l, "expected true or false");
    c.agents.online_on_login = n.as_boolean()->get();
    return Status::Ok();
  };
  fields.push_back(std::move(online_on_login));
  fields.push_back(duration("events.retention", "", c.events.retention));
  fields.push_back(text("database.url", "HANDOFFD_DATABASE_URL",
                        [&c](const std::string& l, const std::string& v) {
                          return SetDatabaseUrl(l, v, c.database.url);
                        }));
  fields.push_back(integer("database.pool_size", 1, 512, c.database.pool_size));
  fields.push_back(integer("database.group_commit_max", 0, 1024, c.database.group_commit_max));
  fields.push_back(
      integer("database.group_commit_window_us", 0, 100000, c.database.group_commit_window_us));
  fields.push_back(integer("database.group_commit_groups", 1, 64, c.database.group_commit_groups));
  fields.push_back(plain("whatsapp.app_secret", "WHATSAPP_APP_SECRET", c.whatsapp.app_secret));
  fields.push_back(
      plain("whatsapp.verify_token", "WHATSAPP_VERIFY_TOKEN", c.whatsapp.verify_token));
  fields.push_back(
      plain("whatsapp.access_token", "WHATSAPP_ACCESS_TOKEN", c.whatsapp.access_token));
  fields.push_back(text("whatsapp.api_base", "WHATSAPP_API_BASE",
                        [&c](const std::string& l, const std::string& v) {
                          return SetApiBase(l, v, c.whatsapp.api_base);
                        }));
  fields.push_back(text("whatsapp.phone_number_id", "WHATSAPP_PHONE_NUMBER_ID",
                        [&c](const std::string&, const std::string& v) {
                          c.whatsapp.phone_number_id = Trim(v);
                          return Status::Ok();
                        }));
  fields.push_back(
      list("whatsapp.phone_number_ids", "WHATSAPP_PHONE_NUMBER_IDS", c.whatsapp.phone_number_ids));
  fields.push_back(
      integer("whatsapp.rate_limit_per_second", 1, 10000, c.whatsapp.rate_limit_per_second));
  fields.push_back(duration("whatsapp.send_timeout", "", c.whatsapp.send_timeout));
  Field templates;
  templates.key = "whatsapp.templates";
  templates.node = [&c](const std::string& l, const toml::node& n) {
    return SetTemplates(l, n, c.whatsapp.templates);
  };
  fields.push_back(std::move(templates));
  Field numbers;
  numbers.key = "whatsapp.numbers";
  numbers.node = [&c](const std::string& l, const toml::node& n) {
    return SetNumbers(l, n, c.whatsapp.numbers);
  };
  fields.push_back(std::move(numbers));
  fields.push_back(
      text("media.dir", "HANDOFFD_MEDIA_DIR", [&c](const std::string& l, const std::string& v) {
        if (Trim(v).empty()) return Err(l, "must not be empty");
        c.media.dir = Trim(v);
        return Status::Ok();
      }));
  fields.push_back(integer("media.max_bytes", 1, int64_t{1} << 40, c.media.max_bytes));
  fields.push_back(text("handoff.trigger_id", "", [&c](const std::string& l, const std::string& v) {
    return SetText(l, v, kMaxButtonId, c.handoff.trigger_id);
  }));
  fields.push_back(list("handoff.trigger_keywords", "", c.handoff.trigger_keywords));
  fields.push_back(list("handoff.end_keywords", "", c.handoff.end_keywords));
  fields.push_back(duration("handoff.session_ttl", "HANDOFFD_SESSION_TTL", c.handoff.session_ttl));
  fields.push_back(duration("handoff.expiry_sweep_interval", "HANDOFFD_EXPIRY_SWEEP_INTERVAL",
                            c.handoff.expiry_sweep_interval));
  fields.push_back(message_text("texts.connecting", c.texts.connecting));
  fields.push_back(message_text("texts.agent_joined", c.texts.agent_joined));
  fields.push_back(message_text("texts.ended", c.texts.ended));
  fields.push_back(message_text("texts.expired", c.texts.expired));
  fields.push_back(message_text("texts.queued", c.texts.queued));
  fields.push_back(message_text("texts.after_hours", c.texts.after_hours));
  fields.push_back(message_text("texts.transferred", c.texts.transferred));
  fields.push_back(text("routing.mode", "", [&c](const std::string& l, const std::string& v) {
    return SetOneOf(l, v, {"manual", "auto"}, c.routing.mode);
  }));
  Field lease =
      text("routing.first_response_timeout", "", [&c](const std::string& l, const std::string& v) {
        // "0s" (the default) turns the claim lease off.
        const std::string t = Trim(v);
        if (!t.empty() && t.find_first_not_of('0') != 0 &&
            (t.find_first_not_of('0') == std::string::npos ||
             t.find_first_not_of("0123456789") == t.find_first_not_of('0'))) {
          const std::string unit = t.substr(
              t.find_first_not_of('0') == std::string::npos ? t.size() : t.find_first_not_of('0'));
          if (unit.empty() || unit == "ms" || unit == "s" || unit == "m" || unit == "h" ||
              unit == "d") {
            c.routing.first_response_timeout = Duration{0};
            return Status::Ok();
          }
        }
        return SetDuration(l, v, c.routing.first_response_timeout);
      });
  lease.text_type_error = duration_type_error;
  fields.push_back(std::move(lease));
  fields.push_back(
      text("routing.when_no_agents", "", [&c](const std::string& l, const std::string& v) {
        return SetOneOf(l, v, {"queue", "after_hours"}, c.routing.when_no_agents);
      }));
  Field queue_updates;
  queue_updates.key = "routing.queue_updates";
  queue_updates.node = [&c](const std::string& l, const toml::node& n) {
    if (!n.is_boolean()) return Err(l, "expected true or false");
    c.routing.queue_updates = n.as_boolean()->get();
    return Status::Ok();
  };
  fields.push_back(std::move(queue_updates));
  fields.push_back(duration("routing.queue_update_interval", "", c.routing.queue_update_interval));
  fields.push_back(duration("routing.sweep_interval", "", c.routing.sweep_interval));
  fields.push_back(
      text("texts.csat_question", "", [&c](const std::string& l, const std::string& v) {
        return SetText(l, v, kMaxInteractiveBody, c.texts.csat_question);
      }));
  fields.push_back(message_text("texts.csat_thanks", c.texts.csat_thanks));
  Field csat_enabled;
  csat_enabled.key = "csat.enabled";
  csat_enabled.node = [&c](const std::string& l, const toml::node& n) {
    if (!n.is_boolean()) return Err(l, "expected true or false");
    c.csat.enabled = n.as_boolean()->get();
    return Status::Ok();
  };
  fields.push_back(std::move(csat_enabled));
  Field hooks;
  hooks.key = "integrations.webhooks";
  hooks.node = [&c](const std::string& l, const toml::node& n) {
    return SetIntegrationWebhooks(l, n, c.integrations.webhooks);
  };
  fields.push_back(std::move(hooks));
  fields.push_back(text("bot.forward_url", "HANDOFFD_BOT_FORWARD_URL",
                        [&c](const std::string& l, const std::string& v) {
                          return SetForwardUrl(l, v, c.bot.forward_url);
                        }));
  fields.push_back(
      plain("bot.forward_secret", "HANDOFFD_BOT_FORWARD_SECRET", c.bot.forward_secret));
  fields.push_back(text("bot.menu.body", "", [&c](const std::string& l, const std::string& v) {
    return SetText(l, v, kMaxInteractiveBody, c.bot.menu_body);
  }));
  Field buttons;
  buttons.key = "bot.menu.buttons";
  buttons.node = [&c](const std::string& l, const toml::node& n) {
    return SetMenuButtons(l, n, c.bot.menu_buttons);
  };
  fields.push_back(std::move(buttons));
  Field widgets;
  widgets.key = "webchat.widgets";
  widgets.node = [&c](const std::string& l, const toml::node& n) {
    return SetWebchatWidgets(l, n, c.webchat.widgets);
  };
  fields.push_back(std::move(widgets));
  fields.push_back(duration("webchat.session_ttl", "", c.webchat.session_ttl));
  fields.push_back(integer("webchat.rate_limit", 1, 100000, c.webchat.rate_limit));
  fields.push_back(
      integer("webchat.visitors_per_minute", 1, 1000000, c.webchat.visitors_per_minute));
  fields.push_back(
      text("log.format", "HANDOFFD_LOG_FORMAT", [&c](const std::string& l, const std::string& v) {
        return SetOneOf(l, v, {"json", "text"}, c.log.format);
      }));
  fields.push_back(text("log.level", "", [&c](const std::string& l, const std::string& v) {
    return SetOneOf(l, v, {"debug", "info", "warn", "error"}, c.log.level);
  }));
  fields.push_back(duration("auth.token_ttl", "", c.auth.token_ttl));
  fields.push_back(integer("auth.max_concurrent_hashes", 1, 256, c.auth.max_concurrent_hashes));
  fields.push_back(
      integer("auth.login_failures_per_account", 1, 1000000, c.auth.login_failures_per_account));
  fields.push_back(
      integer("auth.login_failures_per_address", 1, 1000000, c.auth.login_failures_per_address));
  fields.push_back(duration("auth.login_window", "", c.auth.login_window));
  return fields;
}

// Rejects keys that no field names (typos) and non-tables where a section is expected.
Status CheckKeys(const toml::table& table, const std::string& prefix,
                 const std::set<std::string>& keys, const std::set<std::string>& sections) {
  for (const auto& [k, node] : table) {
    const std::string_view name = k.str();
    std::string full = prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
    if (name.find('.') != std::string_view::npos) {
      // A quoted key containing a dot never names a field.
      return Status::BadRequest("unknown key " + (prefix.empty() ? "" : prefix + ".") +
                                Quote(name));
    }
    if (keys.count(full) > 0) continue;
    if (sections.count(full) > 0) {
      const toml::table* sub = node.as_table();
      if (sub == nullptr) return Err(full, "expected a table");
      HANDOFFD_RETURN_IF_ERROR(CheckKeys(*sub, full, keys, sections));
      continue;
    }
    return Status::BadRequest("unknown key " + full);
  }
  return Status::Ok();
}

const toml::node* Lookup(const toml::table& root, const std::string& key) {
  const toml::table* table = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    const toml::node* node = table->get(std::string_view(key).substr(start, dot - start));
    if (dot == std::string::npos || node == nullptr) return node;
    table = node->as_table();
    if (table == nullptr) return nullptr;
    start = dot + 1;
  }
}

Status ApplyToml(const toml::table& root, const std::vector<Field>& fields) {
  std::set<std::string> keys;
  std::set<std::string> sections;
  for (const Field& f : fields) {
    keys.insert(f.key);
    for (size_t dot = f.key.find('.'); dot != std::string::npos; dot = f.key.find('.', dot + 1)) {
      sections.insert(f.key.substr(0, dot));
    }
  }
  HANDOFFD_RETURN_IF_ERROR(CheckKeys(root, "", keys, sections));

  for (const Field& f : fields) {
    const toml::node* node = Lookup(root, f.key);
    if (node == nullptr) continue;
    if (f.text) {
      if (!node->is_string()) return Err(f.key, f.text_type_error);
      HANDOFFD_RETURN_IF_ERROR(f.text(f.key, node->as_string()->get()));
    } else if (f.integer) {
      if (!node->is_integer()) return Err(f.key, "expected an integer");
      HANDOFFD_RETURN_IF_ERROR(f.integer(f.key, node->as_integer()->get()));
    } else if (f.list) {
      const toml::array* array = node->as_array();
      std::vector<std::string> values;
      if (array != nullptr) {
        for (const toml::node& item : *array) {
          if (!item.is_string()) break;
          values.push_back(item.as_string()->get());
        }
      }
      if (array == nullptr || values.size() != array->size()) {
        return Err(f.key, "expected an array of strings");
      }
      HANDOFFD_RETURN_IF_ERROR(f.list(f.key, values));
    } else if (f.node) {
      HANDOFFD_RETURN_IF_ERROR(f.node(f.key, *node));
    }
  }
  return Status::Ok();
}

Status ApplyEnv(const std::map<std::string, std::string>& env, const std::vector<Field>& fields) {
  for (const Field& f : fields) {
    if (f.env.empty()) continue;
    const auto it = env.find(f.env);
    if (it == env.end()) continue;
    const std::string label = f.env + " (" + f.key + ")";
    const std::string& value = it->second;
    if (f.text) {
      HANDOFFD_RETURN_IF_ERROR(f.text(label, value));
    } else if (f.list) {
      std::vector<std::string> values;
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string item = Trim(std::string_view(value).substr(start, comma - start));
        if (!item.empty()) values.push_back(std::move(item));
        start = comma + 1;
      }
      HANDOFFD_RETURN_IF_ERROR(f.list(label, values));
    }
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  const std::string label = "config " + path;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Err(label, std::string("cannot open: ") + std::strerror(errno));
  std::string content;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) content.append(buf, n);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) return Err(label, std::string("cannot read: ") + std::strerror(read_errno));
  return content;
}

Result<toml::table> ParseToml(const std::string& path, const std::string& content) {
  const auto describe = [&path](const toml::parse_error& e) {
    std::string reason(e.description());
    for (char& c : reason) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return Err("config " + path, "line " + std::to_string(e.source().begin.line) + ", column " +
                                     std::to_string(e.source().begin.column) + ": " + reason);
  };
#if TOML_EXCEPTIONS
  try {
    return toml::parse(content, path);
  } catch (const toml::parse_error& e) {
    return describe(e);
  }
#else
  toml::parse_result result = toml::parse(content, path);
  if (!result) return describe(result.error());
  return std::move(result).table();
#endif
}

}  // namespace

Result<Duration> ParseDuration(const std::string& text) {
  const auto invalid = [&text] {
    return Status::BadRequest("invalid duration " + Quote(text) + " " + std::string(kDurationHint));
  };
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  size_t i = 0;
  int64_t count = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const int digit = text[i] - '0';
    if (count > (kMax - digit) / 10) return invalid();
    count = count * 10 + digit;
  }
  if (i == 0 || count == 0) return invalid();
  const std::string_view unit = std::string_view(text).substr(i);
  int64_t unit_ms = 0;
  if (unit == "ms") {
    unit_ms = 1;
  } else if (unit == "s") {
    unit_ms = 1000;
  } else if (unit == "m") {
    unit_ms = 60 * 1000;
  } else if (unit == "h") {
    unit_ms = 60 * 60 * 1000;
  } else if (unit == "d") {
    unit_ms = 24 * 60 * 60 * 1000;
  } else {
    return invalid();
  }
  if (count > kMaxDurationMs / unit_ms) return invalid();
  return Duration(count * unit_ms);
}

Result<Config> LoadConfig(const std::optional<std::string>& path,
                          const std::map<std::string, std::string>& env) {
  Config config;
  const std::vector<Field> fields = Fields(config);
  if (path.has_value()) {
    HANDOFFD_ASSIGN_OR_RETURN(auto content, ReadFile(*path));
    HANDOFFD_ASSIGN_OR_RETURN(auto root, ParseToml(*path, content));
    HANDOFFD_RETURN_IF_ERROR(ApplyToml(root, fields));
  }
  HANDOFFD_RETURN_IF_ERROR(ApplyEnv(env, fields));
  return config;
}

}  // namespace handoffd
