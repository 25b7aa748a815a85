#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace handoffd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Env = std::map<std::string, std::string>;

// Writes `content` to a fresh file named after the running test; removed in the destructor.
class TempConfig {
 public:
  explicit TempConfig(const std::string& content) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "handoffd_config_" + info->test_suite_name() + "_" +
            info->name() + ".toml";
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ~TempConfig() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Result<Config> LoadToml(const std::string& toml, const Env& env = {}) {
  TempConfig file(toml);
  return LoadConfig(file.path(), env);
}

// The error message of a load that must fail with kBadRequest.
std::string LoadError(const std::string& toml, const Env& env = {}) {
  Result<Config> r = LoadToml(toml, env);
  if (r.ok()) return "(loaded fine)";
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequest) << r.status().ToString();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << "message must be one line";
  return r.status().message();
}

std::string EnvError(const Env& env) {
  Result<Config> r = LoadConfig(std::nullopt, env);
  if (r.ok()) return "(loaded fine)";
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequest) << r.status().ToString();
  return r.status().message();
}

TEST(ConfigTest, DefaultsWithoutFileMatchApiMd) {
  Result<Config> r = LoadConfig(std::nullopt, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.server.max_body_bytes, 4194304);
  EXPECT_EQ(c.server.threads, 64);
  EXPECT_EQ(c.database.url, "sqlite:var/handoffd.db");
  EXPECT_EQ(c.database.pool_size, 16);
  EXPECT_EQ(c.whatsapp.app_secret, "");
  EXPECT_EQ(c.whatsapp.verify_token, "");
  EXPECT_EQ(c.whatsapp.access_token, "");
  EXPECT_EQ(c.whatsapp.api_base, "https://graph.facebook.com/v21.0");
  EXPECT_EQ(c.whatsapp.phone_number_id, "");
  EXPECT_TRUE(c.whatsapp.phone_number_ids.empty());
  EXPECT_EQ(c.whatsapp.rate_limit_per_second, 80);
  EXPECT_EQ(c.handoff.trigger_id, "AGENT_MODE");
  EXPECT_TRUE(c.handoff.trigger_keywords.empty());
  EXPECT_EQ(c.handoff.end_keywords, std::vector<std::string>{"end chat"});
  EXPECT_EQ(c.handoff.session_ttl, hours(22));
  EXPECT_EQ(c.handoff.expiry_sweep_interval, minutes(5));
  EXPECT_EQ(c.bot.forward_url, "");
  EXPECT_EQ(c.bot.forward_secret, "");
  ASSERT_EQ(c.bot.menu_buttons.size(), 1u);
  EXPECT_EQ(c.bot.menu_buttons[0].id, "AGENT_MODE");
  EXPECT_EQ(c.bot.menu_buttons[0].title, "Talk to Expert");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.auth.token_ttl, hours(12));
}

TEST(ConfigTest, EmptyFileGivesDefaults) {
  Result<Config> r = LoadToml("# nothing here\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(r->handoff.session_ttl, hours(22));
}

constexpr char kFullToml[] = R"(
[server]
listen = "0.0.0.0:9090"
max_body_bytes = 1048576
threads = 8

[database]
url = "postgresql://handoffd:secret@db.internal:5432/handoffd"
pool_size = 4

[whatsapp]
app_secret = "app-secret"
verify_token = "verify-me"
access_token = "EAAB-token"
api_base = "http://127.0.0.1:18080/v21.0/"
phone_number_id = "106540352242922"
phone_number_ids = ["106540352242922", " 106540352242923 "]
rate_limit_per_second = 20

[handoff]
trigger_id = "HUMAN"
trigger_keywords = ["agent", "  human please  "]
end_keywords = ["bye", "end chat"]
session_ttl = "1d"
expiry_sweep_interval = "30s"

[texts]
connecting = "Einen Moment..."
agent_joined = "Hier ist {agent_name}."
ended = "Danke!"
expired = "Abgelaufen."

[bot]
forward_url = "https://bot.example.com/hook"
forward_secret = "bot-secret"

[bot.menu]
body = "Wie können wir helfen?"
buttons = [
  { id = "HUMAN", title = "Mit Mensch reden" },
  { id = "FAQ", title = "FAQ" },
  { id = "HOURS", title = "Öffnungszeiten" },
]

[log]
format = "text"
level = "debug"

[auth]
token_ttl = "90m"
)";

TEST(ConfigTest, FullFileReadBackExactly) {
  Result<Config> r = LoadToml(kFullToml);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.server.listen, "0.0.0.0:9090");
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.server.max_body_bytes, 1048576);
  EXPECT_EQ(c.server.threads, 8);
  EXPECT_EQ(c.database.url, "postgresql://handoffd:secret@db.internal:5432/handoffd");
  EXPECT_EQ(c.database.pool_size, 4);
  EXPECT_EQ(c.whatsapp.app_secret, "app-secret");
  EXPECT_EQ(c.whatsapp.verify_token, "verify-me");
  EXPECT_EQ(c.whatsapp.access_token, "EAAB-token");
  EXPECT_EQ(c.whatsapp.api_base, "http://127.0.0.1:18080/v21.0");  // trailing "/" stripped
  EXPECT_EQ(c.whatsapp.phone_number_id, "106540352242922");
  EXPECT_EQ(c.whatsapp.phone_number_ids,
            (std::vector<std::string>{"106540352242922", "106540352242923"}));
  EXPECT_EQ(c.whatsapp.rate_limit_per_second, 20);
  EXPECT_EQ(c.handoff.trigger_id, "HUMAN");
  EXPECT_EQ(c.handoff.trigger_keywords, (std::vector<std::string>{"agent", "human please"}));
  EXPECT_EQ(c.handoff.end_keywords, (std::vector<std::string>{"bye", "end chat"}));
  EXPECT_EQ(c.handoff.session_ttl, hours(24));
  EXPECT_EQ(c.handoff.expiry_sweep_interval, seconds(30));
  EXPECT_EQ(c.texts.connecting, "Einen Moment...");
  EXPECT_EQ(c.texts.agent_joined, "Hier ist {agent_name}.");
  EXPECT_EQ(c.texts.ended, "Danke!");
  EXPECT_EQ(c.texts.expired, "Abgelaufen.");
  EXPECT_EQ(c.bot.forward_url, "https://bot.example.com/hook");
  EXPECT_EQ(c.bot.forward_secret, "bot-secret");
  EXPECT_EQ(c.bot.menu_body, "Wie können wir helfen?");
  ASSERT_EQ(c.bot.menu_buttons.size(), 3u);
  EXPECT_EQ(c.bot.menu_buttons[0].id, "HUMAN");
  EXPECT_EQ(c.bot.menu_buttons[0].title, "Mit Mensch reden");
  EXPECT_EQ(c.bot.menu_buttons[1].id, "FAQ");
  EXPECT_EQ(c.bot.menu_buttons[1].title, "FAQ");
  EXPECT_EQ(c.bot.menu_buttons[2].id, "HOURS");
  EXPECT_EQ(c.bot.menu_buttons[2].title, "Öffnungszeiten");
  EXPECT_EQ(c.log.format, "text");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.auth.token_ttl, minutes(90));
}

TEST(ConfigTest, EnvOverridesFile) {
  const Env env = {
      {"HANDOFFD_LISTEN", "[::1]:7070"},
      {"HANDOFFD_DATABASE_URL", "sqlite:/tmp/override.db"},
      {"WHATSAPP_APP_SECRET", "env-secret"},
      {"WHATSAPP_VERIFY_TOKEN", "env-verify"},
      {"WHATSAPP_ACCESS_TOKEN", ""},  // set but empty: dry-run
      {"WHATSAPP_API_BASE", "https://graph.example.com/v22.0///"},
      {"WHATSAPP_PHONE_NUMBER_ID", "42"},
      {"WHATSAPP_PHONE_NUMBER_IDS", "1,2"},
      {"HANDOFFD_SESSION_TTL", "1500ms"},
      {"HANDOFFD_EXPIRY_SWEEP_INTERVAL", "2m"},
      {"HANDOFFD_BOT_FORWARD_URL", ""},  // set but empty: built-in menu
      {"HANDOFFD_BOT_FORWARD_SECRET", "env-bot-secret"},
      {"HANDOFFD_LOG_FORMAT", "json"},
      {"UNRELATED", "ignored"},
  };
  Result<Config> r = LoadToml(kFullToml, env);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = *r;
  EXPECT_EQ(c.server.listen, "[::1]:7070");
  EXPECT_EQ(c.server.host, "::1");
  EXPECT_EQ(c.server.port, 7070);
  EXPECT_EQ(c.database.url, "sqlite:/tmp/override.db");
  EXPECT_EQ(c.whatsapp.app_secret, "env-secret");
  EXPECT_EQ(c.whatsapp.verify_token, "env-verify");
  EXPECT_EQ(c.whatsapp.access_token, "");
  EXPECT_EQ(c.whatsapp.api_base, "https://graph.example.com/v22.0");
  EXPECT_EQ(c.whatsapp.phone_number_id, "42");
  EXPECT_EQ(c.whatsapp.phone_number_ids, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(c.handoff.session_ttl, milliseconds(1500));
  EXPECT_EQ(c.handoff.expiry_sweep_interval, minutes(2));
  EXPECT_EQ(c.bot.forward_url, "");
  EXPECT_EQ(c.bot.forward_secret, "env-bot-secret");
  EXPECT_EQ(c.log.format, "json");
  // Keys without an environment variable keep the file's value.
  EXPECT_EQ(c.server.threads, 8);
  EXPECT_EQ(c.log.level, "debug");
}

TEST(ConfigTest, EnvWithoutFile) {
  Result<Config> r = LoadConfig(std::nullopt, {{"HANDOFFD_LISTEN", "localhost:1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server.host, "localhost");
  EXPECT_EQ(r->server.port, 1);
}

TEST(ConfigTest, PhoneNumberIdsEnvSplitting) {
  struct Case {
    std::string value;
    std::vector<std::string> want;
  };
  for (const Case& c : std::vector<Case>{
           {"111", {"111"}},
           {"111,222", {"111", "222"}},
           {" 111 , 222 ,, 333 ,", {"111", "222", "333"}},
           {",,", {}},
           {"", {}},  // set but empty: accept every number
       }) {
    Result<Config> r = LoadToml("[whatsapp]\nphone_number_ids = [\"999\"]\n",
                                {{"WHATSAPP_PHONE_NUMBER_IDS", c.value}});
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.status().ToString();
    EXPECT_EQ(r->whatsapp.phone_number_ids, c.want) << "value: \"" << c.value << "\"";
  }
}

TEST(ConfigTest, ApiBaseTrailingSlashStripped) {
  Result<Config> r = LoadToml("[whatsapp]\napi_base = \"https://graph.facebook.com/v21.0/\"\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->whatsapp.api_base, "https://graph.facebook.com/v21.0");
  r = LoadConfig(std::nullopt, {{"WHATSAPP_API_BASE", "http://localhost:9000/"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->whatsapp.api_base, "http://localhost:9000");
}

TEST(ConfigTest, ListenForms) {
  Result<Config> r = LoadToml("[server]\nlisten = \"[::]:443\"\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server.host, "::");
  EXPECT_EQ(r->server.port, 443);
  r = LoadToml("[server]\nlisten = \"example.org:65535\"\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server.host, "example.org");
  EXPECT_EQ(r->server.port, 65535);
}

TEST(ConfigTest, ExactErrorMessages) {
  EXPECT_EQ(LoadError("[whatsapp]\napi_base = \"https:///\"\n"),
            "whatsapp.api_base: missing host (got \"https:///\")");
  EXPECT_EQ(LoadError("[whatsapp]\napi_base = \"graph.facebook.com\"\n"),
            "whatsapp.api_base: must start with http:// or https:// (got \"graph.facebook.com\")");
  EXPECT_EQ(LoadError("[handoff]\nsession_ttl = \"abc\"\n"),
            "handoff.session_ttl: invalid duration \"abc\" (use e.g. 1500ms, 90s, 5m, 22h, 7d)");
  EXPECT_EQ(EnvError({{"HANDOFFD_SESSION_TTL", "22"}}),
            "HANDOFFD_SESSION_TTL (handoff.session_ttl): invalid duration \"22\" "
            "(use e.g. 1500ms, 90s, 5m, 22h, 7d)");
  EXPECT_EQ(LoadError("[server]\nmax_body_bytes = \"4MB\"\n"),
            "server.max_body_bytes: expected an integer");
  EXPECT_EQ(LoadError("[server]\nlisen = \"127.0.0.1:8080\"\n"), "unknown key server.lisen");
  EXPECT_EQ(LoadError("[server]\nthreads = 0\n"),
            "server.threads: must be between 1 and 1024 (got 0)");
  EXPECT_EQ(LoadError("[server]\nlisten = \"127.0.0.1:70000\"\n"),
            "server.listen: invalid port in \"127.0.0.1:70000\" (must be 1-65535)");
  EXPECT_EQ(LoadError("[log]\nformat = \"xml\"\n"),
            "log.format: must be \"json\" or \"text\" (got \"xml\")");
  EXPECT_EQ(LoadError("[handoff]\nsession_ttl = 3600\n"),
            "handoff.session_ttl: expected a duration string (use e.g. 1500ms, 90s, 5m, 22h, 7d)");
}

// Every kind of bad value fails with a message that starts with the key it concerns.
TEST(ConfigTest, BadValuesNameTheKey) {
  struct Case {
    std::string toml;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"server = 1", "server"},
      {"[server]\nlisten = 8080", "server.listen"},
      {"[server]\nlisten = \"8080\"", "server.listen"},
      {"[server]\nlisten = \":8080\"", "server.listen"},
      {"[server]\nlisten = \"localhost:\"", "server.listen"},
      {"[server]\nlisten = \"localhost:0\"", "server.listen"},
      {"[server]\nlisten = \"localhost:80x\"", "server.listen"},
      {"[server]\nlisten = \"::1:8080\"", "server.listen"},
      {"[server]\nlisten = \"[::1]8080\"", "server.listen"},
      {"[server]\nlisten = \"\"", "server.listen"},
      {"[server]\nmax_body_bytes = 0", "server.max_body_bytes"},
      {"[server]\nmax_body_bytes = -1", "server.max_body_bytes"},
      {"[server]\nmax_body_bytes = 1.5", "server.max_body_bytes"},
      {"[server]\nthreads = 1025", "server.threads"},
      {"[database]\nurl = \"mysql://x\"", "database.url"},
      {"[database]\nurl = \"sqlite:\"", "database.url"},
      {"[database]\nurl = 5", "database.url"},
      {"[database]\npool_size = 0", "database.pool_size"},
      {"[database]\npool_size = 513", "database.pool_size"},
      {"[whatsapp]\napp_secret = 1", "whatsapp.app_secret"},
      {"[whatsapp]\nverify_token = true", "whatsapp.verify_token"},
      {"[whatsapp]\naccess_token = []", "whatsapp.access_token"},
      {"[whatsapp]\napi_base = \"graph.facebook.com\"", "whatsapp.api_base"},
      {"[whatsapp]\napi_base = \"https://\"", "whatsapp.api_base"},
      {"[whatsapp]\nphone_number_id = 123", "whatsapp.phone_number_id"},
      {"[whatsapp]\nphone_number_ids = \"1,2\"", "whatsapp.phone_number_ids"},
      {"[whatsapp]\nphone_number_ids = [1, 2]", "whatsapp.phone_number_ids"},
      {"[whatsapp]\nphone_number_ids = [\" \"]", "whatsapp.phone_number_ids[0]"},
      {"[whatsapp]\nrate_limit_per_second = 0", "whatsapp.rate_limit_per_second"},
      {"[whatsapp]\nrate_limit_per_second = 10001", "whatsapp.rate_limit_per_second"},
      {"[handoff]\ntrigger_id = \"\"", "handoff.trigger_id"},
      {"[handoff]\ntrigger_keywords = \"agent\"", "handoff.trigger_keywords"},
      {"[handoff]\nend_keywords = [\"bye\", \"\"]", "handoff.end_keywords[1]"},
      {"[handoff]\nsession_ttl = \"0h\"", "handoff.session_ttl"},
      {"[handoff]\nexpiry_sweep_interval = \"5 m\"", "handoff.expiry_sweep_interval"},
      {"[texts]\nconnecting = \"\"", "texts.connecting"},
      {"[texts]\nagent_joined = 1", "texts.agent_joined"},
      {"[texts]\nended = false", "texts.ended"},
      {"[texts]\nexpired = \"\"", "texts.expired"},
      {"[bot]\nforward_url = \"ftp://x\"", "bot.forward_url"},
      {"[bot]\nforward_secret = 1", "bot.forward_secret"},
      {"[bot]\nmenu = \"x\"", "bot.menu"},
      {"[bot.menu]\nbody = \"\"", "bot.menu.body"},
      {"[bot.menu]\nbuttons = \"AGENT_MODE\"", "bot.menu.buttons"},
      {"[bot.menu]\nbuttons = []", "bot.menu.buttons"},
      {"[bot.menu]\nbuttons = [\"A\"]", "bot.menu.buttons[0]"},
      {"[bot.menu]\nbuttons = [{ title = \"A\" }]", "bot.menu.buttons[0].id"},
      {"[bot.menu]\nbuttons = [{ id = \"A\", title = 1 }]", "bot.menu.buttons[0].title"},
      {"[bot.menu]\nbuttons = [{ id = \"A\", title = \"\" }]", "bot.menu.buttons[0].title"},
      {"[log]\nformat = \"JSON\"", "log.format"},
      {"[log]\nlevel = \"trace\"", "log.level"},
      {"[auth]\ntoken_ttl = \"12\"", "auth.token_ttl"},
      {"[auth]\ntoken_ttl = 12", "auth.token_ttl"},
  };
  for (const Case& c : cases) {
    const std::string message = LoadError(c.toml + "\n");
    EXPECT_EQ(message.rfind(c.key + ": ", 0), 0u) << "toml: " << c.toml << "\nmessage: " << message;
  }
}

TEST(ConfigTest, BadEnvValuesNameVarAndKey) {
  struct Case {
    std::string var;
    std::string value;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"HANDOFFD_LISTEN", "", "server.listen"},
      {"HANDOFFD_LISTEN", "localhost", "server.listen"},
      {"HANDOFFD_DATABASE_URL", "", "database.url"},
      {"HANDOFFD_DATABASE_URL", "file.db", "database.url"},
      {"WHATSAPP_API_BASE", "", "whatsapp.api_base"},
      {"HANDOFFD_SESSION_TTL", "", "handoff.session_ttl"},
      {"HANDOFFD_EXPIRY_SWEEP_INTERVAL", "-5m", "handoff.expiry_sweep_interval"},
      {"HANDOFFD_BOT_FORWARD_URL", "bot.example.com", "bot.forward_url"},
      {"HANDOFFD_LOG_FORMAT", "", "log.format"},
  };
  for (const Case& c : cases) {
    const std::string message = EnvError({{c.var, c.value}});
    const std::string prefix = c.var + " (" + c.key + "): ";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << c.var << "=" << c.value << "\nmessage: " << message;
  }
}

TEST(ConfigTest, EnvErrorWinsOverValidFile) {
  EXPECT_EQ(LoadError("[log]\nformat = \"text\"\n", {{"HANDOFFD_LOG_FORMAT", "yaml"}}),
            "HANDOFFD_LOG_FORMAT (log.format): must be \"json\" or \"text\" (got \"yaml\")");
}

TEST(ConfigTest, DatabaseUrlErrorDoesNotEchoPassword) {
  const std::string message = LoadError("[database]\nurl = \"mysql://u:hunter2@h/db\"\n");
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_EQ(message,
            "database.url: must start with \"sqlite:\", \"postgresql://\" or \"postgres://\"");
}

TEST(ConfigTest, DatabaseUrlForms) {
  for (const std::string url : {"sqlite::memory:", "sqlite:var/x.db", "postgres://u@h/db",
                                "postgresql:///handoffd?host=/var/run/postgresql"}) {
    Result<Config> r = LoadConfig(std::nullopt, {{"HANDOFFD_DATABASE_URL", url}});
    ASSERT_TRUE(r.ok()) << url << ": " << r.status().ToString();
    EXPECT_EQ(r->database.url, url);
  }
}

TEST(ConfigTest, UnknownKeys) {
  EXPECT_EQ(LoadError("[server]\nlisen = \"x\"\n"), "unknown key server.lisen");
  EXPECT_EQ(LoadError("[sever]\nlisten = \"x\"\n"), "unknown key sever");
  EXPECT_EQ(LoadError("listen = \"127.0.0.1:8080\"\n"), "unknown key listen");
  EXPECT_EQ(LoadError("[bot.menu]\nbuttonz = []\n"), "unknown key bot.menu.buttonz");
  EXPECT_EQ(LoadError("[bot.menu]\nbuttons = [{ id = \"A\", title = \"A\", url = \"x\" }]\n"),
            "unknown key bot.menu.buttons[0].url");
  // Unknown keys are reported before bad values, since a typo is the likelier cause.
  EXPECT_EQ(LoadError("[server]\nthreads = 0\n[log]\nlevl = \"x\"\n"), "unknown key log.levl");
}

TEST(ConfigTest, FileErrors) {
  const std::string missing = ::testing::TempDir() + "handoffd_config_does_not_exist.toml";
  Result<Config> r = LoadConfig(missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequest);
  EXPECT_EQ(r.status().message(), "config " + missing + ": cannot open: No such file or directory");

  TempConfig broken("[server]\nlisten = \"127.0.0.1:8080\"\nthreads = = 4\n");
  r = LoadConfig(broken.path(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequest);
  const std::string& message = r.status().message();
  EXPECT_EQ(message.rfind("config " + broken.path() + ": line 3, column ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);

  EXPECT_EQ(LoadError("[server]\nthreads = 1\nthreads = 2\n").rfind("config ", 0), 0u);
}

TEST(ConfigTest, MenuButtons) {
  EXPECT_EQ(LoadError(R"([bot.menu]
buttons = [{ id = "A", title = "A" }, { id = "B", title = "B" },
           { id = "C", title = "C" }, { id = "D", title = "D" }]
)"),
            "bot.menu.buttons: must have 1 to 3 buttons (got 4)");
  EXPECT_EQ(
      LoadError("[bot.menu]\nbuttons = [{ id = \"A\", title = \"123456789012345678901\" }]\n"),
      "bot.menu.buttons[0].title: must be 1 to 20 characters (got 21)");
  EXPECT_EQ(LoadError("[bot.menu]\nbuttons = [{ id = \"A\", title = \"One\" }, "
                      "{ id = \"A\", title = \"Two\" }]\n"),
            "bot.menu.buttons[1].id: duplicate id \"A\"");
  EXPECT_EQ(LoadError("[bot.menu]\nbuttons = [{ id = \"A\", title = \"Same\" }, "
                      "{ id = \"B\", title = \"Same\" }]\n"),
            "bot.menu.buttons[1].title: duplicate title \"Same\"");
  EXPECT_EQ(LoadError("[bot.menu]\nbuttons = [{ id = \"" + std::string(257, 'x') +
                      "\", title = \"A\" }]\n"),
            "bot.menu.buttons[0].id: must be 1 to 256 characters (got 257)");
  EXPECT_EQ(LoadError("[bot.menu]\nbuttons = [{ id = \" A\", title = \"A\" }]\n"),
            "bot.menu.buttons[0].id: must not have leading or trailing spaces");

  // 20 code points, 30 bytes: umlauts, ß and an emoji count as one character each.
  const std::string title = "Grüße 😀 Öffnung äöüß";
  ASSERT_GT(title.size(), 20u);
  Result<Config> r =
      LoadToml("[bot.menu]\nbuttons = [{ id = \"" + std::string(256, 'i') + "\", title = \"" +
               title + "\" }, { id = \"B\", title = \"" + std::string(20, 'b') + "\" }]\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->bot.menu_buttons.size(), 2u);
  EXPECT_EQ(r->bot.menu_buttons[0].title, title);
  EXPECT_EQ(r->bot.menu_buttons[0].id, std::string(256, 'i'));
  EXPECT_EQ(r->bot.menu_buttons[1].id, "B");

  // The same title plus one more code point is too long.
  EXPECT_EQ(LoadError("[bot.menu]\nbuttons = [{ id = \"A\", title = \"" + title + "!\" }]\n"),
            "bot.menu.buttons[0].title: must be 1 to 20 characters (got 21)");
}

}  // namespace
}  // namespace handoffd
