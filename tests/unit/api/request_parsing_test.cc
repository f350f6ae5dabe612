#include "api/request_parsing.h"

#include <gtest/gtest.h>

#include <string>

#include "common/encoding.h"
#include "common/status.h"

namespace svault::api {
namespace {

// 63 ASCII bytes, then "é" (2 bytes) across the 64-byte cut of an echoed name.
const std::string kLongName = std::string(63, 'a') + "\xC3\xA9" + "tail";

// A name that is long, not ASCII, or holds a run of hex digits may be a value, token or share
// pasted in the wrong place: it is never echoed (the 422 body stays valid UTF-8, too; an earlier
// cut at 64 bytes split a character, found by fuzz/fuzz_request_parsing.cc).
TEST(RequestParsingTest, UnusualFieldNamesAreWithheld) {
  const std::string share =
      "svs1-0123456789ab-1-2-5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f-"
      "e24a2e3c";
  for (const std::string& name : {kLongName, share, "svt_" + std::string(64, 'c'),
                                  std::string("x\xC3\xA9"), std::string("0123456789abcdef")}) {
    Result<boost::json::object> body =
        ParseJsonObject(boost::json::serialize(boost::json::object{{name, 1}}));
    ASSERT_TRUE(body.ok());
    FieldReader fields(*body, {"value"});
    const Status status = fields.Finish();
    ASSERT_EQ(status.details().size(), 1u);
    EXPECT_EQ(status.details()[0].field, "/(unexpected name, not shown)") << name;
    QueryReader query(name + "=1", {"limit"});
    EXPECT_EQ(query.Finish().details()[0].field, "?(unexpected name, not shown)") << name;
  }
}

TEST(RequestParsingTest, ShortNamesAreEchoedWhole) {
  QueryReader query("colour=1&limit=5", {"limit"});
  const Status status = query.Finish();
  ASSERT_EQ(status.details().size(), 1u);
  EXPECT_EQ(status.details()[0].field, "?colour");
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
