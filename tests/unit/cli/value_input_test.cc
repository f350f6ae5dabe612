#include "cli/value_input.h"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <sstream>

#include "common/encoding.h"
#include "temp_dir.h"

namespace svault::cli {
namespace {

namespace json = boost::json;
using testing::TempDir;

TEST(ReadFileBytes, KeepsEveryByte) {
  TempDir dir;
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  all += "\r\n\r\n";
  auto read = ReadFileBytes(dir.Write("v", all));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->Reveal(), all);
}

TEST(ReadFileBytes, ReadsLargeFilesAcrossChunks) {
  TempDir dir;
  const std::string big(300'000, 'x');
  auto read = ReadFileBytes(dir.Write("v", big + "\n"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), big.size() + 1);
}

TEST(ReadFileBytes, EmptyFileIsAnEmptyValue) {
  TempDir dir;
  auto read = ReadFileBytes(dir.Write("v", ""));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST(ReadFileBytes, BoundedAndMissing) {
  TempDir dir;
  EXPECT_FALSE(ReadFileBytes(dir.Write("v", "12345"), 4).ok());
  EXPECT_TRUE(ReadFileBytes(dir.Write("w", "1234"), 4).ok());
  EXPECT_EQ(ReadFileBytes(dir.Path("missing")).status().code(), Code::kBadRequest);
}

TEST(ReadStreamBytes, KeepsEveryByteAndIsBounded) {
  std::istringstream in(std::string("a\0\r\n\xff", 5));
  auto read = ReadStreamBytes(in);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->Reveal(), std::string("a\0\r\n\xff", 5));

  std::istringstream big(std::string(10, 'x'));
  EXPECT_FALSE(ReadStreamBytes(big, 9).ok());
}

TEST(BuildValueBody, Utf8AsValueWithEscapes) {
  const std::string value("q\"b\\s\x01\x1f\t\n\r\0\xc3\xa9\x7f", 14);
  json::object metadata{{"type", "password"}, {"cas", 0}};
  const SecretBytes body = BuildValueBody(SecretBytes(value), metadata);
  const json::value parsed = json::parse(body.Reveal());
  EXPECT_EQ(parsed.at("value").as_string(), value);
  EXPECT_EQ(parsed.at("type").as_string(), "password");
  EXPECT_EQ(parsed.at("cas").as_int64(), 0);
  EXPECT_EQ(parsed.as_object().size(), 3u);
}

TEST(BuildValueBody, InvalidUtf8AsBase64) {
  for (const std::string& value : {std::string("\xff"), std::string("\xc3("),
                                   std::string("\xed\xa0\x80"), std::string("ok\xf5")}) {
    const SecretBytes body = BuildValueBody(SecretBytes(value), {});
    const json::value parsed = json::parse(body.Reveal());
    ASSERT_TRUE(parsed.as_object().contains("value_base64")) << body.Reveal();
    EXPECT_EQ(Base64Decode(parsed.at("value_base64").as_string()), value);
    EXPECT_EQ(parsed.as_object().size(), 1u);
  }
}

TEST(BuildValueBody, EmptyValue) {
  EXPECT_EQ(BuildValueBody(SecretBytes(), {}).Reveal(), R"({"value":""})");
}

TEST(PromptNoEcho, RefusesWhenStdinIsNotATerminal) {
  if (isatty(0)) GTEST_SKIP() << "stdin is a terminal here";
  EXPECT_EQ(PromptNoEcho("value: ").status().code(), Code::kBadRequest);
}

}  // namespace
}  // namespace svault::cli
