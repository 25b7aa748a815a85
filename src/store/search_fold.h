// Folding for history search on SQLite, where the database has neither Unicode case folding nor
// `unaccent`: each SQLite connection registers FoldForSearch as `handoffd_fold(text)`, and the
// search compares handoffd_fold(column) LIKE handoffd_fold(pattern). PostgreSQL uses
// lower(unaccent(x)) instead (migrations/postgresql/0003). Thread-safe (pure; ICU's normalizer
// singletons are immutable).
#pragma once

#include <string>
#include <string_view>

namespace handoffd {

/// `text` (UTF-8) without accents and case-folded, by ICU: canonical decomposition (NFD), every
/// non-spacing mark (Unicode category Mn) removed, then full case folding. "João" -> "joao",
/// "ÉLODIE" -> "elodie", "Straße" -> "strasse". Invalid UTF-8 sequences become U+FFFD.
std::string FoldForSearch(std::string_view text);

}  // namespace handoffd
