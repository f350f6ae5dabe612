#include "refs/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

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

namespace svault::refs {
namespace {

std::vector<std::string> Reasons(std::string_view doc, Format format,
                                 Dialect dialect = Dialect::kStandard) {
  Result<Scan> scan = ScanDocument(doc, format, dialect);
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  std::vector<std::string> out;
  if (!scan.ok()) return out;
  for (const Reference& r : scan->references) out.push_back("ok " + r.key);
  for (const Problem& p : scan->problems) out.push_back(std::string(ReasonName(p.reason)));
  return out;
}

// Found by the fresh-clone review: a value must never land in code the scanner did not know.
TEST(DocumentTest, ExpressionsInAttributesAndTextAreRefused) {
  EXPECT_THAT(Reasons(R"(<r e="${slack.post(&quot;{{secrets.T}}&quot;)}"/>)", Format::kXml),
              ElementsAre("unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r><p>${"Bearer {{secrets.T}}"}</p></r>)", Format::kXml),
              ElementsAre("unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r><d>="PT"+"{{secrets.T}}"</d></r>)", Format::kXml),
              ElementsAre("unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r c='{"u":"#{x} {{secrets.T}}"}'/>)", Format::kXml),
              ElementsAre("unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r a="x {{secrets.T}}"><p>plain {{secrets.T}}</p></r>)", Format::kXml),
              ElementsAre("ok T", "ok T"));
}

TEST(DocumentTest, JsonLikeAttributeThatDoesNotParseIsRefused) {
  EXPECT_THAT(Reasons(R"(<r c='{"host":"db","port":{{secrets.P}}}'/>)", Format::kXml),
              ElementsAre("unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r c='[{{secrets.P}}]' d='[ 1, {{secrets.P}}]'/>)", Format::kXml),
              ElementsAre("unsafe_context", "unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r d='{{secrets.P}} and {{secrets.P}}'/>)", Format::kXml),
              ElementsAre("ok P", "ok P"));
}

// Found by the second review: a parser joins an element's text across comments and CDATA.
TEST(DocumentTest, ElementTextIsJudgedAsAWhole) {
  for (std::string_view doc : {R"(<r><t>=<!-- -->"PT"+"{{secrets.A}}"</t></r>)",
                               R"(<r><t><![CDATA[=]]>"PT"+"{{secrets.A}}"</t></r>)",
                               R"(<r><t>=<![CDATA["PT"+"{{secrets.A}}"]]></t></r>)",
                               R"(<r><t>$<!-- -->{x} {{secrets.A}}</t></r>)",
                               R"(<r><t>${x}<![CDATA[ {{secrets.A}} ]]></t></r>)",
                               R"(<r><t>&#61; "{{secrets.A}}"</t></r>)"}) {
    EXPECT_THAT(Reasons(doc, Format::kXml), ElementsAre("unsafe_context")) << doc;
  }
  EXPECT_THAT(Reasons(R"(<r><t>a = b {{secrets.A}}<c/>d</t></r>)", Format::kXml),
              ElementsAre("ok A"));
}

TEST(DocumentTest, CodeInJsonDocumentsAndEnvBackticksAreRefused) {
  EXPECT_THAT(Reasons(R"({"e":"${x} {{secrets.A}}","f":"={{secrets.A}}","g":"#{ {{secrets.B}} }",
                         "ok":"{{secrets.C}}"})",
                      Format::kJson),
              ElementsAre("ok C", "unsafe_context", "unsafe_context", "unsafe_context"));
  EXPECT_THAT(Reasons("K=\"`echo {{secrets.A}}`\"\n", Format::kEnv), ElementsAre("unsafe_context"));
  EXPECT_THAT(Reasons(R"(<r a=" =&quot;x&quot; + {{secrets.A}}"/>)", Format::kXml),
              ElementsAre("unsafe_context"));
}

TEST(DocumentTest, OnlyUtf8DocumentsAreRendered) {
  EXPECT_EQ(
      ScanDocument("<r>\xff{{secrets.A}}</r>", Format::kXml, Dialect::kStandard).status().code(),
      Code::kBadRequest);
  EXPECT_EQ(ScanDocument("[\"\xff\"]", Format::kJson, Dialect::kStandard).status().code(),
            Code::kBadRequest);
  EXPECT_EQ(ScanDocument(R"(<?xml version="encoding'utf-8'" encoding="ISO-8859-1"?><r/>)",
                         Format::kXml, Dialect::kStandard)
                .status()
                .code(),
            Code::kBadRequest);
  EXPECT_TRUE(ScanDocument("<r>&#0000000000065;</r>", Format::kXml, Dialect::kStandard).ok());
  // Found by fuzz_refs: a declaration cut off after `encoding`.
  EXPECT_EQ(ScanDocument("<?xml version=\"1.0\" encoding", Format::kXml, Dialect::kStandard)
                .status()
                .code(),
            Code::kBadRequest);
}

TEST(DocumentTest, FeelCommentsAreLeftAlone) {
  const std::string doc =
      R"(<r a="=/* say &quot;hi */ &quot;Bearer {{secrets.T}}&quot; // {{secrets.U}}"/>)";
  const Scan scan = MustScan(doc, Format::kXml);
  ASSERT_EQ(scan.references.size(), 1u);
  EXPECT_EQ(scan.references[0].key, "T");
  EXPECT_EQ(scan.references[0].context, Context::kXmlFeelString);
}

TEST(DocumentTest, EnvDollarBeforeAReferenceIsRefused) {
  EXPECT_THAT(Reasons("A=\"$X{{secrets.K}}\"\nB=\"${{{secrets.K}}}\"\nC=\"\\$ {{secrets.K}}\"\n",
                      Format::kEnv),
              ElementsAre("ok K", "unsafe_context", "unsafe_context"));
}

TEST(DocumentTest, XmlMustBeUtf8WithoutForbiddenControls) {
  EXPECT_EQ(ScanDocument("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>", Format::kXml,
                         Dialect::kStandard)
                .status()
                .code(),
            Code::kBadRequest);
  EXPECT_TRUE(
      ScanDocument("<?xml version='1.0' encoding='utf-8'?><r/>", Format::kXml, Dialect::kStandard)
          .ok());
  EXPECT_EQ(
      ScanDocument(std::string("<r>a\x01</r>"), Format::kXml, Dialect::kStandard).status().code(),
      Code::kBadRequest);
}

TEST(DocumentTest, RenderedSizeIsBounded) {
  std::string doc = "<r>";
  for (int i = 0; i < 2000; ++i) doc += "<t>{{secrets.K}}</t>";
  doc += "</r>";
  const Scan scan = MustScan(doc, Format::kXml);
  const SecretBytes value(std::string(65536, '&'));  // 5 bytes each once escaped
  const std::vector<const SecretBytes*> values(scan.references.size(), &value);
  EXPECT_EQ(RenderDocument(doc, scan, values).status().code(), Code::kTooLarge);
}

// Inputs that once took time quadratic in their size; each must stay quick (the suite's time
// limit is the check, not a timer here).
TEST(DocumentTest, PathologicalInputsScanInLinearTime) {
  std::string unclosed;
  for (int i = 0; i < 200000; ++i) unclosed += "{{secrets.";
  EXPECT_EQ(MustScan(unclosed, Format::kText).problems.size(), 200000u);

  std::string escapes = "<r a=\"";
  for (int i = 0; i < 100000; ++i) escapes += "\\{{s";
  escapes += "\"/>";
  EXPECT_TRUE(ScanDocument(escapes, Format::kXml, Dialect::kCamunda).ok());

  std::string attributes = "<r";
  for (int i = 0; i < 300; ++i) attributes += " a" + std::to_string(i) + "=\"\"";
  attributes += "/>";
  EXPECT_EQ(ScanDocument(attributes, Format::kXml, Dialect::kStandard).status().code(),
            Code::kBadRequest);
}

}  // namespace
}  // namespace svault::refs
