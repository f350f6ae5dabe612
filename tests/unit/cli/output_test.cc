#include "cli/output.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace svault::cli {
namespace {

namespace json = boost::json;

TEST(Printable, EscapesControlsAndBrokenUtf8ButKeepsText) {
  EXPECT_EQ(Printable("plain text"), "plain text");
  EXPECT_EQ(Printable("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
  EXPECT_EQ(Printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(Printable(std::string("\0\n\x7f", 3)), "\\x00\\x0a\\x7f");
  EXPECT_EQ(Printable("\xc2\x9b"), "\\xc2\\x9b");  // C1 CSI
  EXPECT_EQ(Printable("\xff\xc3"), "\\xff\\xc3");
}

TEST(FormatTable, AlignsByCodePointsAndTrimsTheLastColumn) {
  EXPECT_EQ(FormatTable({"A", "BB", "C"}, {{"x", "y", "z"}, {"\xc3\xa9t\xc3\xa9", "", "w"}}),
            "A    BB  C\n"
            "x    y   z\n"
            "\xc3\xa9t\xc3\xa9      w\n");
}

TEST(FormatTable, HeaderOnlyForNoRowsAndShortRowsPadded) {
  EXPECT_EQ(FormatTable({"ID", "NAME"}, {}), "ID  NAME\n");
  EXPECT_EQ(FormatTable({"ID", "NAME"}, {{"1"}}), "ID  NAME\n1\n");
}

TEST(FormatTable, EscapesCellsBeforeMeasuring) {
  EXPECT_EQ(FormatTable({"A", "B"}, {{"\x1b", "x"}}), "A     B\n\\x1b  x\n");
}

TEST(ValueText, RendersEachKind) {
  const json::value value =
      json::parse(R"({"s":"t","n":null,"i":3,"b":true,"a":["x","y"],"o":{"z":"1","a":"2"}})");
  const json::object& o = value.as_object();
  EXPECT_EQ(FieldText(o, "s"), "t");
  EXPECT_EQ(FieldText(o, "n"), "-");
  EXPECT_EQ(FieldText(o, "i"), "3");
  EXPECT_EQ(FieldText(o, "b"), "true");
  EXPECT_EQ(FieldText(o, "a"), "x,y");
  EXPECT_EQ(FieldText(o, "o"), "a=2,z=1");
  EXPECT_EQ(FieldText(o, "missing"), "-");
}

TEST(Redact, ReplacesLongEnoughSecrets) {
  std::vector<SecretBytes> sensitive;
  sensitive.emplace_back("s3cret");
  sensitive.emplace_back("ab");  // too short to redact safely
  EXPECT_EQ(Redact("x s3cret y s3crets ab", sensitive), "x [redacted] y [redacted]s ab");
}

TEST(FormatApiError, CodeMessageRequestIdAndDetails) {
  Response response;
  response.status = 422;
  response.body = R"({"error":{"code":"unresolved","message":"2 references",
      "details":[{"field":"/key","reason":"bad"},
                 {"key":"A","version":2,"line":3,"column":7,"reason":"missing"},
                 {"key":"B","version":null,"line":null,"reason":"unsafe_context"}]},
      "request_id":"req_1"})";
  EXPECT_EQ(FormatApiError(response, {}),
            "error: unresolved: 2 references (request_id req_1)\n"
            "  /key: bad\n"
            "  A@2 line 3 column 7: missing\n"
            "  B: unsafe_context\n");
}

TEST(FormatApiError, ForeignBodiesAreNotShown) {
  Response response;
  response.status = 502;
  response.request_id = "req_h";
  response.body = "<html>secret-ish proxy page</html>";
  EXPECT_EQ(FormatApiError(response, {}),
            "error: the server answered HTTP 502 without an API error body (request_id req_h)\n");
}

TEST(FormatApiError, ServerTextCannotDriveTheTerminal) {
  Response response;
  response.status = 400;
  response.body = R"({"error":{"code":"bad_request","message":"x\u001b]0;pwned\u0007"}})";
  EXPECT_EQ(FormatApiError(response, {}), "error: bad_request: x\\x1b]0;pwned\\x07\n");
}

}  // namespace
}  // namespace svault::cli
