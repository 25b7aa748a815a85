// Internal to src/store: do not include from outside the store layer.
//
// Many rows as one bound parameter: a JSON array of objects, one per row, that PostgreSQL's
// json_to_recordset() turns back into typed columns. A hand-rolled writer (no DOM), since the
// expiry scheduler writes hundreds of thousands of rows per sweep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handoffd::sqlstore {

class JsonRows {
 public:
  /// Starts the next row (object).
  JsonRows& Row();
  JsonRows& Int(std::string_view key, int64_t v);
  JsonRows& OptInt(std::string_view key, std::optional<int64_t> v);
  JsonRows& Text(std::string_view key, std::string_view v);
  JsonRows& OptText(std::string_view key, const std::optional<std::string>& v);
  JsonRows& Null(std::string_view key);
  /// The array ("[]" when no row was started). The writer is empty afterwards.
  std::string Take();

 private:
  void Key(std::string_view key);
  void String(std::string_view v);

  std::string out_ = "[";
  bool in_row_ = false;
  bool first_field_ = true;
};

}  // namespace handoffd::sqlstore
