#include "store/unicode_lower.h"

#include <gtest/gtest.h>

namespace handoffd {
namespace {

TEST(LowerUtf8, FoldsEveryScriptAndKeepsInvalidBytes) {
  EXPECT_EQ(LowerUtf8("ANNA Schmidt"), "anna schmidt");
  EXPECT_EQ(LowerUtf8("\xC3\x89lodie \xC3\x91\xC3\x9A\xC3\x91"
                      "EZ"),
            "\xC3\xA9lodie \xC3\xB1\xC3\xBA\xC3\xB1"
            "ez");  // Élodie ÑÚÑEZ
  EXPECT_EQ(LowerUtf8("\xD0\x90\xD0\x9D\xD0\x9D\xD0\x90"),
            "\xD0\xB0\xD0\xBD\xD0\xBD\xD0\xB0");  // АННА
  EXPECT_EQ(LowerUtf8("\xD9\x84\xD9\x8A\xD9\x84\xD9\x89"),
            "\xD9\x84\xD9\x8A\xD9\x84\xD9\x89");                       // Arabic: no case
  EXPECT_EQ(LowerUtf8("\xF0\x9F\x91\x8B ok"), "\xF0\x9F\x91\x8B ok");  // emoji untouched
  EXPECT_EQ(LowerUtf8("A\xFF"
                      "B\xC3"),
            "a\xFF"
            "b\xC3");  // invalid bytes kept
}

}  // namespace
}  // namespace handoffd
