#include "support/test_db.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "store/soci_includes.h"

namespace handoffd::testing {
namespace {

std::string RandomHex(size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kHex[gen() % 16];
  return out;
}

std::string AdminUrl() {
  const char* url = std::getenv("HANDOFFD_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "HANDOFFD_TEST_PG_URL is not set: PostgreSQL store tests need a server "
        "(run scripts/test, or source scripts/lib/postgres.sh and call start_postgres)");
  }
  return url;
}

/// The libpq URI `url` with its database name replaced by `db` (query parameters kept).
std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("not a PostgreSQL URI: " + url);
  const size_t authority = scheme + 3;
  const size_t query = url.find('?', authority);
  const size_t path = url.find('/', authority);
  if (path == std::string::npos || (query != std::string::npos && path > query)) {
    const size_t at = query == std::string::npos ? url.size() : query;
    return url.substr(0, at) + "/" + db + url.substr(at);
  }
  const size_t end = query == std::string::npos ? url.size() : query;
  return url.substr(0, path + 1) + db + url.substr(end);
}

}  // namespace

std::vector<std::string> TestDialects() { return {"sqlite", "postgresql"}; }

TestDatabase::TestDatabase(const std::string& dialect) : dialect_(dialect) {
  if (dialect == "sqlite") {
    std::string tmpl = (std::filesystem::temp_directory_path() / "handoffd-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + tmpl);
    }
    name_ = buf.data();
    url_ = "sqlite:" + name_ + "/test.db";
  } else if (dialect == "postgresql") {
    const std::string admin_url = AdminUrl();
    name_ = "t_" + RandomHex(16);
    soci::session admin(soci::postgresql, SociPostgresConnectString(admin_url));
    // A generated identifier (identifiers cannot be bound parameters).
    admin << "CREATE DATABASE " + name_;
    url_ = WithDatabase(admin_url, name_);
  } else {
    throw std::invalid_argument("unknown test dialect: " + dialect);
  }
}

TestDatabase::~TestDatabase() {
  if (dialect_ == "sqlite") {
    std::error_code ec;
    std::filesystem::remove_all(name_, ec);
    return;
  }
  try {
    soci::session admin(soci::postgresql, SociPostgresConnectString(AdminUrl()));
    admin << "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
  } catch (...) {
    // The server is going away with the test run anyway.
  }
}

StoreOptions TestDatabase::Options(int pool_size) const {
  StoreOptions options;
  options.url = url_;
  options.pool_size = pool_size;
  options.clock = &clock_;
  return options;
}

std::vector<std::vector<std::string>> TestDatabase::QueryRows(
    const std::string& sql, const std::optional<std::string>& param) const {
  soci::session raw;
  if (dialect_ == "postgresql") {
    raw.open(soci::postgresql, SociPostgresConnectString(url_));
  } else {
    raw.open(soci::sqlite3, "db=" + url_.substr(7));
  }
  std::string bound = param.value_or("");
  soci::rowset<soci::row> rows =
      param ? (raw.prepare << sql, soci::use(bound)) : (raw.prepare << sql);
  std::vector<std::vector<std::string>> out;
  for (const soci::row& row : rows) {
    std::vector<std::string> values;
    for (size_t i = 0; i < row.size(); ++i) {
      if (row.get_indicator(i) == soci::i_null) {
        values.emplace_back();
        continue;
      }
      switch (row.get_properties(i).get_data_type()) {
        case soci::dt_string:
          values.push_back(row.get<std::string>(i));
          break;
        case soci::dt_integer:
          values.push_back(std::to_string(row.get<int>(i)));
          break;
        case soci::dt_long_long:
          values.push_back(std::to_string(row.get<long long>(i)));
          break;
        case soci::dt_unsigned_long_long:
          values.push_back(std::to_string(row.get<unsigned long long>(i)));
          break;
        case soci::dt_double:
          values.push_back(std::to_string(row.get<double>(i)));
          break;
        default:
          throw std::runtime_error("QueryRows: unsupported column type in " + sql);
      }
    }
    out.push_back(std::move(values));
  }
  return out;
}

std::string TestDatabase::QueryText(const std::string& sql,
                                    const std::optional<std::string>& param) const {
  auto rows = QueryRows(sql, param);
  if (rows.empty() || rows.front().empty()) return "";
  return rows.front().front();
}

void TestDatabase::TerminateOtherConnections() const {
  if (dialect_ != "postgresql")
    throw std::logic_error("TerminateOtherConnections: PostgreSQL only");
  soci::session admin(soci::postgresql, SociPostgresConnectString(url_));
  admin << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
           " WHERE datname = current_database() AND pid <> pg_backend_pid()";
}

std::unique_ptr<Store> TestDatabase::OpenMigrated(int pool_size) const {
  auto store = OpenStore(Options(pool_size));
  if (!store.ok()) {
    throw std::runtime_error("OpenStore(" + url_ + "): " + store.status().ToString());
  }
  auto migrated = (*store)->Migrate();
  if (!migrated.ok()) {
    throw std::runtime_error("Migrate(" + url_ + "): " + migrated.status().ToString());
  }
  return std::move(store).value();
}

}  // namespace handoffd::testing
