#include "refs/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace svault::refs {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Scan MustScan(std::string_view doc, Format format, Dialect dialect = Dialect::kStandard) {
  Result<Scan> scan = ScanDocument(doc, format, dialect);
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  return scan.ok() ? std::move(scan).value() : Scan{};
}

// Renders `doc` giving every reference the value `values[key]`.
std::string Render(std::string_view doc, Format format,
                   const std::map<std::string, std::string>& values,
                   Dialect dialect = Dialect::kStandard) {
  const Scan scan = MustScan(doc, format, dialect);
  EXPECT_THAT(scan.problems, IsEmpty());
  std::vector<SecretBytes> owned;
  owned.reserve(scan.references.size());
  std::vector<const SecretBytes*> pointers;
  for (const Reference& ref : scan.references) {
    owned.emplace_back(values.at(ref.key));
    pointers.push_back(&owned.back());
  }
  Result<std::string> out = RenderDocument(doc, scan, pointers);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

std::vector<std::string> ProblemReasons(const Scan& scan) {
  std::vector<std::string> out;
  for (const Problem& p : scan.problems) out.emplace_back(ReasonName(p.reason));
  return out;
}

TEST(DocumentTest, TextKeepsEveryOtherByte) {
  EXPECT_EQ(Render("a {{secrets.A}} \\{{secrets.A}} \\\\{{ secrets.A }} {{x}}", Format::kText,
                   {{"A", "v\"<"}}),
            "a v\"< {{secrets.A}} \\v\"< {{x}}");
}

TEST(DocumentTest, LocationsAreRawLineAndByteColumn) {
  const Scan scan = MustScan("x\n  ab {{secrets.K}}\n{{secrets.}}", Format::kText);
  ASSERT_EQ(scan.references.size(), 1u);
  EXPECT_EQ(scan.references[0].location.line, 2u);
  EXPECT_EQ(scan.references[0].location.column, 6u);
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_EQ(scan.problems[0].location->line, 3u);
  EXPECT_EQ(scan.problems[0].location->column, 1u);
  EXPECT_EQ(scan.problems[0].reason, Reason::kMalformed);
}

TEST(DocumentTest, UrlPercentEncodes) {
  EXPECT_EQ(Render("https://h/{{secrets.P}}?q={{secrets.P}}", Format::kUrl, {{"P", "a b/&~é"}}),
            "https://h/a%20b%2F%26~%C3%A9?q=a%20b%2F%26~%C3%A9");
}

TEST(DocumentTest, JsonStringsWithPointers) {
  const std::string doc = R"({"a": {"b": ["x {{secrets.K}} y", "\u007b{secrets.J}}"]}})";
  const Scan scan = MustScan(doc, Format::kJson);
  ASSERT_EQ(scan.references.size(), 2u);
  EXPECT_EQ(scan.references[0].pointer, "/a/b/0");
  EXPECT_EQ(scan.references[1].pointer, "/a/b/1");
  EXPECT_EQ(Render(doc, Format::kJson, {{"K", "q\"\\\n"}, {"J", "j"}}),
            R"({"a": {"b": ["x q\"\\\n y", "j"]}})");
}

TEST(DocumentTest, JsonKeyReferenceIsRefused) {
  const Scan scan = MustScan(R"({"{{secrets.K}}": 1})", Format::kJson);
  EXPECT_THAT(scan.references, IsEmpty());
  EXPECT_THAT(ProblemReasons(scan), ElementsAre("unsafe_context"));
  EXPECT_EQ(scan.problems[0].pointer, "/{{secrets.K}}");
}

TEST(DocumentTest, JsonThatDoesNotParseIsBadRequest) {
  for (std::string_view doc : {"", "{", R"({"a": {{secrets.K}}})", "[1,]", "01", "\"\x01\""}) {
    EXPECT_EQ(ScanDocument(doc, Format::kJson, Dialect::kStandard).status().code(),
              Code::kBadRequest)
        << doc;
  }
}

TEST(DocumentTest, XmlContexts) {
  const std::string doc =
      "<r><bpmn:serviceTask id=\"t1\" a=\"{{secrets.K}}\" b='{{secrets.K}}'>"
      "<x>{{secrets.K}}</x><![CDATA[{{secrets.K}}]]></bpmn:serviceTask></r>";
  const Scan scan = MustScan(doc, Format::kXml);
  ASSERT_EQ(scan.references.size(), 4u);
  for (const Reference& ref : scan.references) EXPECT_EQ(ref.element, "t1");
  EXPECT_EQ(Render(doc, Format::kXml, {{"K", "\"'<&\t\n]]>"}}),
            "<r><bpmn:serviceTask id=\"t1\" a=\"&quot;'&lt;&amp;&#9;&#10;]]&gt;\" "
            "b='\"&apos;&lt;&amp;&#9;&#10;]]&gt;'>"
            "<x>\"'&lt;&amp;\t\n&#93;&#93;&gt;</x>"
            "<![CDATA[]]><![CDATA[\"'<&\t\n]]]]><![CDATA[>]]><![CDATA[]]>"
            "</bpmn:serviceTask></r>");
}

TEST(DocumentTest, CarriageReturnCannotGoIntoCdata) {
  const std::string doc = "<r><![CDATA[{{secrets.K}}]]></r>";
  const Scan scan = MustScan(doc, Format::kXml);
  SecretBytes value(std::string_view("a\rb"));
  const SecretBytes* values[] = {&value};
  Result<std::string> out = RenderDocument(doc, scan, values);
  ASSERT_EQ(out.status().code(), Code::kUnresolved);
  ASSERT_EQ(out.status().details().size(), 1u);
  EXPECT_EQ(out.status().details()[0].reason, "unencodable");
  EXPECT_EQ(out.status().details()[0].reference->key, "K");
  EXPECT_EQ(out.status().ToString().find("a\rb"), std::string::npos);
}

TEST(DocumentTest, XmlDoctypeIsRefused) {
  EXPECT_EQ(
      ScanDocument("<!DOCTYPE r [<!ENTITY e 'x'>]><r>&e;</r>", Format::kXml, Dialect::kStandard)
          .status()
          .code(),
      Code::kBadRequest);
}

TEST(DocumentTest, CamundaBareForms) {
  const std::string doc =
      "<r><zeebe:input source=\"secrets.MY_TOKEN\" target=\"t\"/>"
      "<zeebe:input source=\"=&quot;Bearer &quot; + secrets.T-1\" target=\"u\"/></r>";
  EXPECT_THAT(MustScan(doc, Format::kXml).references, IsEmpty());
  const std::string out =
      Render(doc, Format::kXml, {{"MY_TOKEN", "a\"b"}, {"T", "x\"y"}}, Dialect::kCamunda);
  EXPECT_EQ(out,
            "<r><zeebe:input source=\"a&quot;b\" target=\"t\"/>"
            "<zeebe:input source=\"=&quot;Bearer &quot; + &quot;x\\&quot;y&quot;-1\" "
            "target=\"u\"/></r>");
}

}  // namespace
}  // namespace svault::refs
