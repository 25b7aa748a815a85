#include "store/sql_statement.h"

#include <exception>

namespace handoffd::sqlstore {

const char* DialectName(SqlDialect d) { return d == SqlDialect::kSqlite ? "sqlite" : "postgresql"; }

Status StatusFromCurrentException() {
  try {
    throw;
  } catch (const DataError& e) {
    return Status::Internal(e.what());
  } catch (const std::logic_error& e) {
    // A programming error (a statement bound with the wrong parameters): retrying cannot help,
    // so it must not be a 503 that makes Meta redeliver the webhook forever.
    return Status::Internal(e.what());
  } catch (const soci::soci_error& e) {
    return Status::Unavailable(e.what());  // the database refused or is gone: retry later
  } catch (const std::bad_alloc& e) {
    return Status::Unavailable(e.what());
  } catch (const std::exception& e) {
    return Status::Internal(e.what());
  } catch (...) {
    return Status::Internal("unknown exception in the store");
  }
}

Stmt::Stmt(soci::session& sql, const std::string& query, std::string_view params,
           std::string_view cols, bool repeatable)
    : param_kinds_(params), params_(params.size()), cols_(cols.size()), st_(sql) {
  for (size_t k = 0; k < cols.size(); ++k) {
    if (cols[k] == 'i') {
      st_.exchange(soci::into(cols_[k].i, cols_[k].ind));
    } else {
      st_.exchange(soci::into(cols_[k].s, cols_[k].ind));
    }
  }
  for (size_t k = 0; k < params.size(); ++k) {
    if (params[k] == 'i') {
      st_.exchange(soci::use(params_[k].i, params_[k].ind));
    } else {
      st_.exchange(soci::use(params_[k].s, params_[k].ind));
    }
  }
  st_.alloc();
  st_.prepare(query,
              repeatable ? soci::details::st_repeatable_query : soci::details::st_one_time_query);
  st_.define_and_bind();
}

Stmt& Stmt::Int(int64_t v) {
  Cell& c = Next('i');
  c.i = v;
  c.ind = soci::i_ok;
  return *this;
}

Stmt& Stmt::OptInt(std::optional<int64_t> v) {
  Cell& c = Next('i');
  c.i = v.value_or(0);
  c.ind = v ? soci::i_ok : soci::i_null;
  return *this;
}

Stmt& Stmt::Text(std::string_view v) {
  Cell& c = Next('t');
  c.s.assign(v);
  c.ind = soci::i_ok;
  return *this;
}

Stmt& Stmt::OptText(const std::optional<std::string>& v) {
  Cell& c = Next('t');
  c.s = v.value_or(std::string());
  c.ind = v ? soci::i_ok : soci::i_null;
  return *this;
}

bool Stmt::Run() {
  if (next_ != params_.size()) throw std::logic_error("statement parameter count mismatch");
  next_ = 0;
  has_row_ = st_.execute(true);
  return has_row_;
}

bool Stmt::Fetch() {
  has_row_ = st_.fetch();
  return has_row_;
}

Cell& Stmt::Next(char kind) {
  if (next_ >= params_.size() || param_kinds_[next_] != kind) {
    throw std::logic_error("statement parameter kind mismatch");
  }
  return params_[next_++];
}

}  // namespace handoffd::sqlstore
