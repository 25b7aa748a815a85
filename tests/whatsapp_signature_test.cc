#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "channels/whatsapp/signature.h"

namespace handoffd::whatsapp {
namespace {

constexpr char kFixtureSecret[] = "fixture_app_secret_0123456789abcdef";

struct SignedFixture {
  std::string file;
  std::string header;
  size_t length = 0;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<SignedFixture> LoadSignatures() {
  std::vector<SignedFixture> out;
  std::istringstream lines(ReadFile(std::string(HANDOFFD_FIXTURES_DIR) + "/SIGNATURES.txt"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    SignedFixture f;
    fields >> f.file >> f.header >> f.length;
    out.push_back(f);
  }
  return out;
}

std::string Fixture(const std::string& name) {
  return ReadFile(std::string(HANDOFFD_FIXTURES_DIR) + "/" + name);
}

TEST(WhatsappSignatureTest, EveryFixtureVerifiesOverItsExactBytes) {
  auto fixtures = LoadSignatures();
  ASSERT_EQ(fixtures.size(), 23u);
  for (const auto& f : fixtures) {
    SCOPED_TRACE(f.file);
    std::string body = Fixture(f.file);
    ASSERT_EQ(body.size(), f.length);
    EXPECT_TRUE(VerifySignature(kFixtureSecret, body, f.header));
  }
}

TEST(WhatsappSignatureTest, SignBodyReproducesEveryFixtureHeader) {
  for (const auto& f : LoadSignatures()) {
    SCOPED_TRACE(f.file);
    EXPECT_EQ(SignBody(kFixtureSecret, Fixture(f.file)), f.header);
  }
}

TEST(WhatsappSignatureTest, FlippedByteFails) {
  for (const auto& f : LoadSignatures()) {
    SCOPED_TRACE(f.file);
    std::string body = Fixture(f.file);
    for (size_t pos : {size_t{0}, body.size() / 2, body.size() - 1}) {
      std::string tampered = body;
      tampered[pos] = static_cast<char>(tampered[pos] ^ 0x01);
      EXPECT_FALSE(VerifySignature(kFixtureSecret, tampered, f.header)) << "byte " << pos;
    }
  }
}

TEST(WhatsappSignatureTest, ReserialisedUnicodeBodyFails) {
  // Regression: hashing decoded text instead of the raw "\u00e4" escapes breaks verification.
  std::string body = Fixture("06_image_with_caption.json");
  std::string decoded = body;
  auto pos = decoded.find("\\u00e4");
  ASSERT_NE(pos, std::string::npos);
  decoded.replace(pos, 6, "\xc3\xa4");
  EXPECT_FALSE(VerifySignature(kFixtureSecret, decoded, SignBody(kFixtureSecret, body)));
}

TEST(WhatsappSignatureTest, WrongSecretFails) {
  std::string body = Fixture("01_text.json");
  std::string header = SignBody(kFixtureSecret, body);
  EXPECT_FALSE(VerifySignature("fixture_app_secret_0123456789abcdeX", body, header));
  EXPECT_FALSE(VerifySignature("", body, header));
}

TEST(WhatsappSignatureTest, MalformedHeadersFail) {
  std::string body = Fixture("01_text.json");
  std::string header = SignBody(kFixtureSecret, body);
  std::string hex = header.substr(7);
  ASSERT_EQ(hex.size(), 64u);

  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, ""));
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, hex));                   // no prefix
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, "sha1=" + hex));         // other algorithm
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, "SHA256=" + hex));       // prefix is exact
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, "sha256="));             // empty hex
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, header.substr(0, 70)));  // truncated
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, header + "00"));         // too long
  std::string bad_hex = header;
  bad_hex[10] = 'g';
  EXPECT_FALSE(VerifySignature(kFixtureSecret, body, bad_hex));
}

TEST(WhatsappSignatureTest, UpperCaseHexAccepted) {
  std::string body = Fixture("33_text_unicode_emoji_rtl.json");
  std::string header = SignBody(kFixtureSecret, body);
  std::string upper = header;
  std::transform(upper.begin() + 7, upper.end(), upper.begin() + 7,
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  ASSERT_NE(upper, header);
  EXPECT_TRUE(VerifySignature(kFixtureSecret, body, upper));
}

TEST(WhatsappSignatureTest, SignBodyFormat) {
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  EXPECT_EQ(SignBody("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::string empty_body_sig = SignBody("secret", "");
  EXPECT_EQ(empty_body_sig.size(), 7u + 64u);
  EXPECT_TRUE(VerifySignature("secret", "", empty_body_sig));
}

TEST(WhatsappSignatureTest, VerifySubscription) {
  EXPECT_TRUE(VerifySubscription("subscribe", "my-verify-token", "my-verify-token"));
  EXPECT_FALSE(VerifySubscription("subscribe", "my-verify-tokem", "my-verify-token"));
  EXPECT_FALSE(VerifySubscription("subscribe", "my-verify-token-longer", "my-verify-token"));
  EXPECT_FALSE(VerifySubscription("subscribe", "", "my-verify-token"));
  EXPECT_FALSE(VerifySubscription("unsubscribe", "my-verify-token", "my-verify-token"));
  EXPECT_FALSE(VerifySubscription("", "my-verify-token", "my-verify-token"));
  // An unconfigured token never matches, not even an empty one.
  EXPECT_FALSE(VerifySubscription("subscribe", "", ""));
}

}  // namespace
}  // namespace handoffd::whatsapp
