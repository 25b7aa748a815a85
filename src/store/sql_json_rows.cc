#include "store/sql_json_rows.h"

namespace handoffd::sqlstore {

JsonRows& JsonRows::Row() {
  if (in_row_) {
    out_ += "},{";
  } else {
    out_ += '{';
  }
  in_row_ = true;
  first_field_ = true;
  return *this;
}

void JsonRows::Key(std::string_view key) {
  if (!first_field_) out_ += ',';
  first_field_ = false;
  String(key);
  out_ += ':';
}

void JsonRows::String(std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_.push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t k = 0; k < v.size(); ++k) {
    const auto c = static_cast<unsigned char>(v[k]);
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    out_.append(v.data() + run, k - run);
    run = k + 1;
    if (c < 0x20) {
      const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out_.append(esc, sizeof esc);
    } else {
      const char esc[] = {'\\', static_cast<char>(c)};
      out_.append(esc, sizeof esc);
    }
  }
  out_.append(v.data() + run, v.size() - run);
  out_.push_back('"');
}

JsonRows& JsonRows::Int(std::string_view key, int64_t v) {
  Key(key);
  out_ += std::to_string(v);
  return *this;
}

JsonRows& JsonRows::OptInt(std::string_view key, std::optional<int64_t> v) {
  return v ? Int(key, *v) : Null(key);
}

JsonRows& JsonRows::Text(std::string_view key, std::string_view v) {
  Key(key);
  String(v);
  return *this;
}

JsonRows& JsonRows::OptText(std::string_view key, const std::optional<std::string>& v) {
  return v ? Text(key, *v) : Null(key);
}

JsonRows& JsonRows::Null(std::string_view key) {
  Key(key);
  out_ += "null";
  return *this;
}

std::string JsonRows::Take() {
  if (in_row_) out_.push_back('}');
  out_.push_back(']');
  std::string out;
  out.swap(out_);
  out_.push_back('[');
  in_row_ = false;
  first_field_ = true;
  return out;
}

}  // namespace handoffd::sqlstore
