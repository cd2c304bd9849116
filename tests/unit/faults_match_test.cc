// Matchers and sampling primitives.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include "faults/match.h"
#include "faults/rng.h"
#include "faults/sampling.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

TEST(Glob, StarMatchesAnyRun) {
  EXPECT_TRUE(glob_match("/api/cart/*", "/api/cart/"));
  EXPECT_TRUE(glob_match("/api/cart/*", "/api/cart/1/items"));
  EXPECT_FALSE(glob_match("/api/cart/*", "/api/cart"));
  EXPECT_TRUE(glob_match("/api/checkout", "/api/checkout"));
  EXPECT_FALSE(glob_match("/api/checkout", "/api/checkout/"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*/orders/*/items", "/v1/orders/9/items"));
  EXPECT_FALSE(glob_match("*/orders/*/items", "/v1/orders/9/itemz"));
  EXPECT_TRUE(glob_match("/a*b*c", "/aXbYbZc"));
  EXPECT_FALSE(glob_match("/a*b*c", "/aXbYbZ"));
  EXPECT_TRUE(glob_match("**", "anything"));
  EXPECT_FALSE(glob_match("", "x"));
}

TEST(Glob, StripQuery) {
  EXPECT_EQ(strip_query("/a/b?x=1&y=2"), "/a/b");
  EXPECT_EQ(strip_query("/a#frag"), "/a");
  EXPECT_EQ(strip_query("/a"), "/a");
}

TEST(Matcher, SourcesIncludingIpv6AndMissingPeer) {
  config::MatchConfig match;
  match.sources = {*config::parse_cidr("10.0.0.0/8"), *config::parse_cidr("fd00::/8")};
  Matcher matcher(match);
  const sockaddr_in inside = testing::ipv4("10.200.0.1"), outside = testing::ipv4("11.0.0.1");
  EXPECT_TRUE(matcher.matches_source(reinterpret_cast<const sockaddr*>(&inside)));
  EXPECT_FALSE(matcher.matches_source(reinterpret_cast<const sockaddr*>(&outside)));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "fd12::1", &v6.sin6_addr);
  EXPECT_TRUE(matcher.matches_source(reinterpret_cast<const sockaddr*>(&v6)));
  EXPECT_FALSE(matcher.matches_source(nullptr));
  EXPECT_TRUE(Matcher(config::MatchConfig{}).matches_source(nullptr));
}

TEST(Matcher, MethodsAndHeaderNamesAreCaseInsensitive) {
  config::MatchConfig match;
  match.methods = {"POST"};
  match.headers = {{"X-Tier", "beta"}};
  Matcher matcher(match);
  const HeaderView headers[] = {{"x-other", "1"}, {"x-tier", "gold"}, {"X-TIER", "beta"}};
  RequestHead head{"post", "/", headers, nullptr, 0, {}};
  EXPECT_TRUE(matcher.matches(head, "/"));
  const HeaderView wrong_case_value[] = {{"x-tier", "Beta"}};
  head.headers = wrong_case_value;
  EXPECT_FALSE(matcher.matches(head, "/"));
}

TEST(Sampling, TraceparentParsing) {
  const auto key = trace_id_key("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key, trace_id_key(" 00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-00 "));
  EXPECT_NE(key, trace_id_key("00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_key("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_key("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_key("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_key("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_key("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  EXPECT_TRUE(trace_id_key("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  EXPECT_FALSE(trace_id_key(""));
}

TEST(Sampling, HashIsStable) {
  // Fixed values: the decision for a user must not change between releases or replicas.
  EXPECT_EQ(hash_key("user-1"), hash_key("user-1"));
  EXPECT_NE(hash_key("user-1"), hash_key("user-2"));
}

TEST(Sampling, EdgesAndMissingKey) {
  Rng rng(1);
  SampleKey missing{SampleKey::Kind::kMissing, 0};
  EXPECT_TRUE(sampled(missing, 100, 0, rng));
  EXPECT_FALSE(sampled(missing, 99.9, 0, rng));
  SampleKey random;
  EXPECT_FALSE(sampled(random, 0, 0, rng));
  EXPECT_TRUE(sampled(random, 100, 0, rng));
}

TEST(Rng, UniformInUnitInterval) {
  Rng rng(123);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
  Rng a = Rng::for_worker(5, 0), b = Rng::for_worker(5, 0);
  EXPECT_EQ(a.next(), b.next());
}

}  // namespace
}  // namespace faultline::faults
