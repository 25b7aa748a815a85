#include "common/result.h"

#include <gtest/gtest.h>

#include "http/errors.h"

namespace handoffd {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::BadRequest("odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  HANDOFFD_ASSIGN_OR_RETURN(int half, Half(n));
  HANDOFFD_ASSIGN_OR_RETURN(auto quarter, Half(half));
  return quarter;
}

Status CheckEven(int n) {
  HANDOFFD_RETURN_IF_ERROR(Half(n));  // a Result whose value is not needed
  return Status::Ok();
}

// Bug: a Result built from an OK Status only asserted, so release builds held "no value and OK".
TEST(Result, BuiltFromOkStatusIsInternalInEveryBuild) {
  Result<int> r{Status::Ok()};
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

TEST(Result, AssignOrReturnPropagatesTheFirstError) {
  ASSERT_TRUE(Quarter(8).ok());
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), ErrorCode::kBadRequest);  // 6 -> 3 is odd
  EXPECT_EQ(Quarter(5).status().message(), "odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).code(), ErrorCode::kBadRequest);
}

TEST(HttpErrors, EveryCodeHasItsStatusAndName) {
  struct Row {
    ErrorCode code;
    int http;
    const char* name;
  };
  const Row rows[] = {{ErrorCode::kBadRequest, 400, "bad_request"},
                      {ErrorCode::kUnauthorized, 401, "unauthorized"},
                      {ErrorCode::kForbidden, 403, "forbidden"},
                      {ErrorCode::kNotMember, 403, "not_member"},
                      {ErrorCode::kNotFound, 404, "not_found"},
                      {ErrorCode::kConflict, 409, "conflict"},
                      {ErrorCode::kAtCapacity, 409, "at_capacity"},
                      {ErrorCode::kWindowClosed, 409, "window_closed"},
                      {ErrorCode::kPayloadTooLarge, 413, "payload_too_large"},
                      {ErrorCode::kUnsupportedMediaType, 415, "unsupported_media_type"},
                      {ErrorCode::kRateLimited, 429, "rate_limited"},
                      {ErrorCode::kInternal, 500, "internal"},
                      {ErrorCode::kUnavailable, 503, "unavailable"}};
  for (const Row& r : rows) {
    EXPECT_EQ(http::HttpStatusFor(r.code), r.http) << r.name;
    EXPECT_STREQ(ErrorCodeName(r.code), r.name);
    if (r.code != ErrorCode::kNotMember && r.code != ErrorCode::kAtCapacity &&
        r.code != ErrorCode::kWindowClosed) {
      EXPECT_EQ(http::ErrorCodeForHttpStatus(r.http), r.code) << r.http;
    }
  }
}

TEST(HttpErrors, DetailsAndRetryAfterReachTheResponse) {
  Status lost = Status::Conflict("session 3 was taken by Ana");
  lost.WithDetail("agent_id", int64_t{7}).WithDetail("agent_name", std::string("Ana"));
  EXPECT_EQ(
      http::ErrorJson(lost),
      nlohmann::json::parse(R"({"error":{"code":"conflict","message":"session 3 was taken by Ana",
              "details":{"agent_id":7,"agent_name":"Ana"}}})"));
  EXPECT_FALSE(http::ErrorJson(Status::NotFound("x"))["error"].contains("details"));

  httplib::Response res;
  http::SendError(res, Status::RateLimited("too many login attempts", 30));
  EXPECT_EQ(res.status, 429);
  EXPECT_EQ(res.get_header_value("Retry-After"), "30");
  EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "rate_limited");
}

}  // namespace
}  // namespace handoffd
