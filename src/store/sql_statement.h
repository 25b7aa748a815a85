// Internal to src/store: do not include from outside the store layer (it brings in SOCI).
//
// Statements with owned, address-stable buffers, so that one prepared statement can be executed
// again and again with new values, and the reader of their result rows.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/soci_includes.h"

namespace handoffd::sqlstore {

enum class SqlDialect { kSqlite, kPostgres };

/// "sqlite" or "postgresql".
const char* DialectName(SqlDialect d);

/// A stored value that the domain cannot represent (an unknown enum string): a bug or a foreign
/// write, reported as kInternal.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Maps the exception being handled (from SOCI or the standard library) to a Status: DataError
/// is kInternal, everything else kUnavailable. Call only inside a catch block.
Status StatusFromCurrentException();

/// One parameter or result column. Kind 'i' uses `i`, kind 't' uses `s`; `ind` says NULL.
struct Cell {
  long long i = 0;
  std::string s;
  soci::indicator ind = soci::i_ok;
};

class Stmt {
 public:
  /// `params` and `cols` give the kind of each placeholder (in order of appearance) and of each
  /// result column: 'i' integer, 't' text. Every placeholder has a distinct name.
  Stmt(soci::session& sql, const std::string& query, std::string_view params, std::string_view cols,
       bool repeatable);

  Stmt& Int(int64_t v);
  Stmt& OptInt(std::optional<int64_t> v);
  Stmt& Time(TimePoint t) { return Int(ToUnixMillis(t)); }
  Stmt& OptTime(std::optional<TimePoint> t) {
    return OptInt(t ? std::optional<int64_t>(ToUnixMillis(*t)) : std::nullopt);
  }
  Stmt& Text(std::string_view v);
  Stmt& OptText(const std::optional<std::string>& v);

  /// Executes with the values set since the last Run(). True when a first row was fetched.
  bool Run();
  /// Moves to the next row; false at the end.
  bool Fetch();
  /// Runs the statement to completion (SQLite keeps a statement "in progress" until then).
  void Drain() {
    while (has_row_) Fetch();
  }
  /// Run() + Drain(); true when there was at least one row.
  bool RunAll() {
    const bool any = Run();
    Drain();
    return any;
  }
  long long Affected() { return st_.get_affected_rows(); }

  const std::vector<Cell>& row() const { return cols_; }

 private:
  Cell& Next(char kind);

  std::string param_kinds_;
  std::vector<Cell> params_;  // never resized: SOCI holds their addresses
  std::vector<Cell> cols_;
  size_t next_ = 0;
  bool has_row_ = false;
  soci::statement st_;
};

/// Reads the current row column by column.
class RowReader {
 public:
  explicit RowReader(const std::vector<Cell>& row) : row_(row) {}
  bool IsNull() const { return row_.at(k_).ind == soci::i_null; }
  int64_t Int() { return row_.at(k_++).i; }
  std::optional<int64_t> OptInt() {
    const Cell& c = row_.at(k_++);
    if (c.ind == soci::i_null) return std::nullopt;
    return c.i;
  }
  TimePoint Time() { return FromUnixMillis(Int()); }
  std::optional<TimePoint> OptTime() {
    auto v = OptInt();
    if (!v) return std::nullopt;
    return FromUnixMillis(*v);
  }
  std::string Text() {
    const Cell& c = row_.at(k_++);
    return c.ind == soci::i_null ? std::string() : c.s;
  }
  std::optional<std::string> OptText() {
    const Cell& c = row_.at(k_++);
    if (c.ind == soci::i_null) return std::nullopt;
    return c.s;
  }

 private:
  const std::vector<Cell>& row_;
  size_t k_ = 0;
};

}  // namespace handoffd::sqlstore
