#include <gtest/gtest.h>

#include <cstring>

namespace faultline::proxy {
const char* version();
}

TEST(Version, IsSemantic) { EXPECT_GT(std::strlen(faultline::proxy::version()), 4u); }
