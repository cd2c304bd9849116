// config/ascii.h: the one ASCII case-insensitive comparison every layer uses.
#include "config/ascii.h"

#include <gtest/gtest.h>

#include <clocale>
#include <string>

namespace faultline::config {
namespace {

TEST(Ascii, LowerFoldsOnlyAToZ) {
  EXPECT_EQ(ascii_lower('A'), 'a');
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('a'), 'a');
  // The neighbours of A-Z ('@' and '[') and everything else stay as they are.
  for (char c : std::string("@[`{0-_ \t")) EXPECT_EQ(ascii_lower(c), c) << int(c);
  // Bytes above 0x7f (Latin-1 'À' is 0xc0) are not letters to a protocol.
  EXPECT_EQ(ascii_lower(static_cast<char>(0xc0)), static_cast<char>(0xc0));
}

TEST(Ascii, IequalsIgnoresCaseOnly) {
  EXPECT_TRUE(ascii_iequals("Content-Length", "content-length"));
  EXPECT_TRUE(ascii_iequals("X-CHAOS-DELAY", "x-chaos-delay"));
  EXPECT_TRUE(ascii_iequals("", ""));
  EXPECT_FALSE(ascii_iequals("content-length", "content-lengt"));
  EXPECT_FALSE(ascii_iequals("host", "hosts"));
  // '@' and '`' differ from each other by the same 0x20 as 'A' and 'a': not a case pair.
  EXPECT_FALSE(ascii_iequals("@", "`"));
  EXPECT_FALSE(ascii_iequals("[", "{"));
  // 0xc0 and 0xe0 are 'À' and 'à' in Latin-1; a token comparison must not fold them.
  EXPECT_FALSE(ascii_iequals("\xc0", "\xe0"));
}

TEST(Ascii, IequalsDoesNotFollowTheLocale) {
  // strcasecmp and std::tolower would fold 'I' to a dotless i under a Turkish locale; the
  // comparison must give the same answer whatever locale the process runs in.
  const char* previous = std::setlocale(LC_ALL, nullptr);
  const std::string saved = previous ? previous : "C";
  std::setlocale(LC_ALL, "tr_TR.UTF-8");  // may be missing; the assertions hold either way
  EXPECT_TRUE(ascii_iequals("TRAILER", "trailer"));
  EXPECT_TRUE(ascii_iequals("Upgrade", "uPGRADE"));
  std::setlocale(LC_ALL, saved.c_str());
}

TEST(Ascii, IstartsWith) {
  EXPECT_TRUE(ascii_istarts_with("X-Chaos-Delay", "x-chaos-"));
  EXPECT_TRUE(ascii_istarts_with("Bearer abc", "bearer "));
  EXPECT_TRUE(ascii_istarts_with("anything", ""));
  EXPECT_FALSE(ascii_istarts_with("x-chao", "x-chaos-"));
  EXPECT_FALSE(ascii_istarts_with("x-chaosy", "x-chaos-"));
}

TEST(Ascii, TrimOwsRemovesOnlySpacesAndTabs) {
  EXPECT_EQ(trim_ows(" \t 503 \t"), "503");
  EXPECT_EQ(trim_ows("a b"), "a b");
  EXPECT_EQ(trim_ows(" \t "), "");
  EXPECT_EQ(trim_ows("\r\n5\n"), "\r\n5\n");  // CR/LF are not optional whitespace
}

TEST(Ascii, IsUsableAtCompileTime) {
  static_assert(ascii_iequals("Host", "HOST"));
  static_assert(!ascii_iequals("Host", "Hosts"));
  static_assert(ascii_lower('Q') == 'q');
}

}  // namespace
}  // namespace faultline::config
