// Bearer-token comparison for /v1/*.
#include <gtest/gtest.h>

#include "proxy/admin/auth.h"

namespace faultline::proxy::admin {
namespace {

TEST(AdminAuth, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("s3cret", "s3cret"));
  EXPECT_FALSE(constant_time_equals("s3cret", "s3creT"));
  EXPECT_FALSE(constant_time_equals("s3cret", "s3cre"));  // prefix
  EXPECT_FALSE(constant_time_equals("s3cre", "s3cret"));
  EXPECT_FALSE(constant_time_equals("", "x"));
  EXPECT_FALSE(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(AdminAuth, EmptyTokenMeansAuthOff) {
  EXPECT_TRUE(bearer_authorized("", ""));
  EXPECT_TRUE(bearer_authorized("Bearer anything", ""));
}

TEST(AdminAuth, BearerScheme) {
  EXPECT_TRUE(bearer_authorized("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearer_authorized("bearer s3cret", "s3cret"));  // scheme is case-insensitive
  EXPECT_TRUE(bearer_authorized("BEARER  s3cret ", "s3cret"));
  EXPECT_FALSE(bearer_authorized("", "s3cret"));
  EXPECT_FALSE(bearer_authorized("s3cret", "s3cret"));  // no scheme
  EXPECT_FALSE(bearer_authorized("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearer_authorized("Bearer S3CRET", "s3cret"));  // the token is case-sensitive
  EXPECT_FALSE(bearer_authorized("Bearer s3cret, Bearer s3cret", "s3cret"));  // duplicated header
  EXPECT_FALSE(bearer_authorized("Bearer ", "s3cret"));
  EXPECT_FALSE(bearer_authorized("Bearers3cret", "s3cret"));
}

}  // namespace
}  // namespace faultline::proxy::admin
