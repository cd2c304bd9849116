#include "proxy/version.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

// FAULTLINE_PROJECT_VERSION is CMake's PROJECT_VERSION, passed to this test as a compile
// definition (tests/unit/proxy.cmake): the binary must report exactly the version the build
// declares, whatever path the string takes into version.cc.
#ifndef FAULTLINE_PROJECT_VERSION
#error "tests/unit/proxy.cmake must define FAULTLINE_PROJECT_VERSION"
#endif

TEST(Version, IsTheProjectVersionCMakeDeclares) {
  EXPECT_EQ(std::string(faultline::proxy::version()), std::string(FAULTLINE_PROJECT_VERSION));
}

TEST(Version, IsMajorMinorPatch) {
  EXPECT_TRUE(std::regex_match(faultline::proxy::version(), std::regex(R"(\d+\.\d+\.\d+)")))
      << faultline::proxy::version();
}
