#include "api/request_parsing.h"

#include <gtest/gtest.h>

#include <string>

#include "common/encoding.h"
#include "common/status.h"

namespace svault::api {
namespace {

// 63 ASCII bytes, then "é" (2 bytes) across the 64-byte cut of an echoed name.
const std::string kLongName = std::string(63, 'a') + "\xC3\xA9" + "tail";

// Found by fuzz/fuzz_request_parsing.cc: the echoed name was cut at 64 bytes in the middle of a
// UTF-8 character, so the 422 body was no longer valid UTF-8 (hence no longer JSON).
TEST(RequestParsingTest, UnknownFieldNameIsCutAtACharacterBoundary) {
  Result<boost::json::object> body = ParseJsonObject("{\"" + kLongName + "\":1}");
  ASSERT_TRUE(body.ok());
  FieldReader fields(*body, {"value"});
  const Status status = fields.Finish();
  ASSERT_EQ(status.code(), Code::kValidationFailed);
  ASSERT_EQ(status.details().size(), 1u);
  EXPECT_EQ(status.details()[0].field, "/" + std::string(63, 'a'));
  EXPECT_TRUE(IsValidUtf8(status.details()[0].field));
}

TEST(RequestParsingTest, UnknownQueryNameIsCutAtACharacterBoundary) {
  QueryReader query(kLongName + "=1", {"limit"});
  const Status status = query.Finish();
  ASSERT_EQ(status.code(), Code::kValidationFailed);
  ASSERT_EQ(status.details().size(), 1u);
  EXPECT_EQ(status.details()[0].field, "?" + std::string(63, 'a'));
  EXPECT_TRUE(IsValidUtf8(status.details()[0].field));
}

TEST(RequestParsingTest, ShortNamesAreEchoedWhole) {
  QueryReader query("x\xC3\xA9=1&limit=5", {"limit"});
  const Status status = query.Finish();
  ASSERT_EQ(status.details().size(), 1u);
  EXPECT_EQ(status.details()[0].field, "?x\xC3\xA9");
  EXPECT_EQ(query.Integer("limit", 100, 1, 1000), 5u);
}

TEST(RequestParsingTest, QueryNameThatIsNotUtf8IsNotEchoed) {
  QueryReader query("\xff\xfe=1", {"limit"});
  const Status status = query.Finish();
  ASSERT_EQ(status.details().size(), 1u);
  EXPECT_TRUE(IsValidUtf8(status.details()[0].field));
  EXPECT_EQ(status.details()[0].field.find('\xff'), std::string::npos);
}

TEST(RequestParsingTest, RepeatedKeysAreRefusedAtAnyDepth) {
  for (const char* body :
       {R"({"value":"first","value":"second"})", R"({"value":"x","tags":{"a":"1","a":"2"}})",
        R"({"value":"x","cas":99,"cas":2})"}) {
    Result<boost::json::object> parsed = ParseJsonObject(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), Code::kValidationFailed) << body;
    EXPECT_EQ(parsed.status().details().at(0).reason, "given more than once");
  }
  EXPECT_EQ(
      ParseJsonObject(R"({"value":"x","tags":{"a":"1","a":"2"}})").status().details()[0].field,
      "/tags/a");
  EXPECT_EQ(ParseJsonObject(R"({"l":[1,{"k":1},{"k/~":1,"k/~":2}]})").status().details()[0].field,
            "/l/2/k~1~0");
  // The same key in two different objects is fine.
  EXPECT_TRUE(ParseJsonObject(R"({"a":{"k":"1"},"b":{"k":"2"},"k":[{"k":1},{"k":2}]})").ok());
}

}  // namespace
}  // namespace svault::api
