// How exceptions inside the store become Status codes (sql_statement.h StatusFromCurrentException).
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include "store/sql_statement.h"

namespace handoffd::sqlstore {
namespace {

Status From(const std::function<void()>& thrower) {
  try {
    thrower();
  } catch (...) {
    return StatusFromCurrentException();
  }
  return Status::Ok();
}

// Bug: a statement bound with the wrong parameters (a programming error) came back as a
// retryable 503, so Meta would redeliver the webhook that hit it forever.
TEST(StoreErrors, ProgrammingErrorsAreInternalDatabaseErrorsUnavailable) {
  EXPECT_EQ(From([] { throw std::logic_error("statement parameter count mismatch"); }).code(),
            ErrorCode::kInternal);
  EXPECT_EQ(From([] { throw DataError("unexpected stored status 'x'"); }).code(),
            ErrorCode::kInternal);
  EXPECT_EQ(From([] { throw std::runtime_error("insert returned no id"); }).code(),
            ErrorCode::kInternal);
  EXPECT_EQ(
      From([] { throw soci::soci_error("server closed the connection unexpectedly"); }).code(),
      ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace handoffd::sqlstore
