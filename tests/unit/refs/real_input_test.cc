// The references module (DESIGN.md §3) against real workflow definitions: the Camunda connector
// examples in tests/fixtures/workflows/camunda, which hold references, and the ProcessMaker
// Modeler output in tests/fixtures/workflows/processmaker, which the tests put references into (on
// string copies; the fixtures are unmodified, see SOURCES.md there). Expected references are
// written by hand from reading the files; rendered output is read back with parsers that share
// nothing with src/refs (pugixml, Boost.JSON).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "refs/document.h"

namespace svault::refs {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

using Values = std::map<std::string, std::string>;
using KeysByElement = std::map<std::string, std::multiset<std::string>>;
using PointerAndKey = std::pair<std::string, std::string>;

constexpr Dialect kDialects[] = {Dialect::kStandard, Dialect::kCamunda};

// Values that break naive escaping.
const std::string kAwkward = "p\"<&'>]]>\\\t\nx";            // XML and JSON specials, TAB, LF
const std::string kUnicode = "Grüße 秘密 🔑 ä";               // non-ASCII UTF-8
const std::string kMustache = "{{secrets.OTHER}}";           // must stay literal text
const std::string kCarriage = "a\r\nb\rc";                   // CR only survives as &#13;
const std::string kControl = "c\x01\x1f\x7f\xEF\xBF\xBF\r";  // JSON needs \u escapes here

// ---- reading and editing fixtures ------------------------------------------------------------

std::string Fixture(std::string_view name) {
  const std::string path =
      std::string(SVAULT_SOURCE_DIR) + "/tests/fixtures/workflows/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// `doc` with its one occurrence of `from` replaced by `to`.
std::string ReplaceOnce(std::string doc, std::string_view from, std::string_view to) {
  const size_t at = doc.find(from);
  EXPECT_NE(at, std::string::npos) << "not found: " << from;
  if (at == std::string::npos) return doc;
  EXPECT_EQ(doc.find(from, at + 1), std::string::npos) << "found twice: " << from;
  doc.replace(at, from.size(), to);
  return doc;
}

// ---- the module under test ---------------------------------------------------------------------

Scan MustScan(std::string_view doc, Format format, Dialect dialect) {
  Result<Scan> scan = ScanDocument(doc, format, dialect);
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  return scan.ok() ? std::move(scan).value() : Scan{};
}

std::string_view ContextName(Context context) {
  switch (context) {
    case Context::kText: return "text";
    case Context::kUrl: return "url";
    case Context::kEnvUnquoted: return "env-unquoted";
    case Context::kEnvQuoted: return "env-quoted";
    case Context::kJsonString: return "json";
    case Context::kXmlAttribute: return "attribute";
    case Context::kXmlText: return "text-node";
    case Context::kXmlCdata: return "cdata";
    case Context::kXmlJsonAttribute: return "json-in-attribute";
    case Context::kXmlFeelString: return "feel-string";
    case Context::kXmlFeelCode: return "feel-code";
  }
  return "?";
}

// "KEY[@N] element pointer context line:column", "-" for what is absent.
std::string Describe(const Reference& ref) {
  std::string out = ref.key;
  if (ref.version) out += "@" + std::to_string(*ref.version);
  out += " " + ref.element.value_or("-") + " " + ref.pointer.value_or("-") + " ";
  out += std::string(ContextName(ref.context)) + " " + std::to_string(ref.location.line) + ":" +
         std::to_string(ref.location.column);
  return out;
}

// "reason KEY element line:column".
std::string Describe(const Problem& problem) {
  std::string out = std::string(ReasonName(problem.reason)) + " " + problem.key + " " +
                    problem.element.value_or("-");
  if (problem.location) {
    out += " " + std::to_string(problem.location->line) + ":" +
           std::to_string(problem.location->column);
  }
  return out;
}

std::vector<std::string> Described(const Scan& scan) {
  std::vector<std::string> out;
  for (const Reference& ref : scan.references) out.push_back(Describe(ref));
  return out;
}

std::vector<std::string> DescribedProblems(const Scan& scan) {
  std::vector<std::string> out;
  for (const Problem& problem : scan.problems) out.push_back(Describe(problem));
  return out;
}

KeysByElement ByElement(const Scan& scan) {
  KeysByElement out;
  for (const Reference& ref : scan.references) out[ref.element.value_or("-")].insert(ref.key);
  return out;
}

// Renders `doc` giving each reference `values.at(key)`; the scan must hold no problems.
std::string Render(std::string_view doc, Format format, Dialect dialect, const Values& values) {
  const Scan scan = MustScan(doc, format, dialect);
  EXPECT_THAT(DescribedProblems(scan), IsEmpty());
  std::vector<SecretBytes> owned;
  owned.reserve(scan.references.size());
  std::vector<const SecretBytes*> pointers;
  for (const Reference& ref : scan.references) {
    const auto value = values.find(ref.key);
    EXPECT_NE(value, values.end()) << "no value for " << ref.key;
    owned.emplace_back(value == values.end() ? std::string_view() : value->second);
    pointers.push_back(&owned.back());
  }
  Result<std::string> out = RenderDocument(doc, scan, pointers);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

// ---- an independent view of references and output ---------------------------------------------

// A braced reference as the raw bytes spell it.
struct Spelled {
  size_t begin = 0;
  size_t end = 0;
  std::string key;
};

// The braced references `text` spells, found by a plain search: `{{`, spaces, `secrets.`, the
// key, an optional `@N`, spaces, `}}`. Every reference the fixtures and the edits here hold is
// spelled so, with no entity or escape inside it. With `bare`, also a whole double-quoted
// attribute value `"secrets.KEY"` (the only bare form in the fixtures).
std::vector<Spelled> SpelledReferences(std::string_view text, bool bare = false) {
  std::vector<Spelled> out;
  for (size_t at = text.find("=\"secrets."); bare && at != std::string_view::npos;
       at = text.find("=\"secrets.", at + 1)) {
    const size_t close = text.find('"', at + 2);
    out.push_back(Spelled{at + 2, close, std::string(text.substr(at + 10, close - at - 10))});
  }
  size_t at = text.find("{{");
  while (at != std::string_view::npos) {
    const size_t close = text.find("}}", at);
    if (close == std::string_view::npos) break;
    std::string_view inner = text.substr(at + 2, close - at - 2);
    while (!inner.empty() && (inner.front() == ' ' || inner.front() == '\t'))
      inner.remove_prefix(1);
    while (!inner.empty() && (inner.back() == ' ' || inner.back() == '\t')) inner.remove_suffix(1);
    if (inner.starts_with("secrets.")) {
      inner.remove_prefix(8);
      out.push_back(Spelled{at, close + 2, std::string(inner.substr(0, inner.find('@')))});
      at = text.find("{{", close + 2);
    } else {
      at = text.find("{{", at + 2);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Spelled& a, const Spelled& b) { return a.begin < b.begin; });
  return out;
}

// `text` with each braced reference replaced by its value.
std::string Substitute(std::string_view text, const Values& values) {
  std::string out;
  size_t cursor = 0;
  for (const Spelled& s : SpelledReferences(text)) {
    out.append(text.substr(cursor, s.begin - cursor));
    out += values.at(s.key);
    cursor = s.end;
  }
  out.append(text.substr(cursor));
  return out;
}

// The scan found exactly the references the raw bytes spell, at those bytes.
void ExpectSpansAreSpelled(std::string_view doc, const Scan& scan, bool bare = false) {
  const std::vector<Spelled> spelled = SpelledReferences(doc, bare);
  ASSERT_EQ(scan.references.size(), spelled.size());
  for (size_t i = 0; i < spelled.size(); ++i) {
    EXPECT_EQ(scan.references[i].raw_begin, spelled[i].begin) << spelled[i].key;
    EXPECT_EQ(scan.references[i].raw_end, spelled[i].end) << spelled[i].key;
    EXPECT_EQ(scan.references[i].key, spelled[i].key);
  }
}

// What `out` holds where `doc` had a run of adjacent references.
struct StandIn {
  std::vector<std::string> keys;
  std::string text;
};

// Checks that `out` is `doc` but for what stands where `doc` spells references (`spans`, in
// order), and returns those stand-ins. Each stretch of `doc` between references is looked for in
// `out` right after the previous stand-in; in the files here every stretch starts with a raw
// quote or markup that no escaped value holds, so the first match is the right one.
std::vector<StandIn> StandIns(std::string_view doc, const std::vector<Spelled>& spans,
                              std::string_view out) {
  std::vector<std::string_view> kept;
  std::vector<StandIn> stand_ins;
  size_t cursor = 0;
  for (const Spelled& s : spans) {
    if (kept.empty() || s.begin != cursor) {
      kept.push_back(doc.substr(cursor, s.begin - cursor));
      stand_ins.emplace_back();
    }
    stand_ins.back().keys.push_back(s.key);
    cursor = s.end;
  }
  kept.push_back(doc.substr(cursor));
  if (!out.starts_with(kept[0])) {
    ADD_FAILURE() << "output differs from input before the first reference";
    return {};
  }
  size_t at = kept[0].size();
  for (size_t i = 1; i < kept.size(); ++i) {
    const bool last = i + 1 == kept.size();
    size_t found = out.find(kept[i], at);
    if (last) {
      found = out.ends_with(kept[i]) ? out.size() - kept[i].size() : std::string_view::npos;
    }
    if (found == std::string_view::npos || found < at) {
      ADD_FAILURE() << "output differs from input after the stand-in for "
                    << stand_ins[i - 1].keys[0];
      return {};
    }
    stand_ins[i - 1].text = std::string(out.substr(at, found - at));
    at = found + kept[i].size();
  }
  return stand_ins;
}

// Checks `out` is `doc` outside the references, and that one key always became the same bytes
// (every reference in the files rendered this way has the same context).
void ExpectSameOutsideReferences(std::string_view doc, std::string_view out, bool bare = false) {
  std::map<std::vector<std::string>, std::string> seen;
  for (const StandIn& s : StandIns(doc, SpelledReferences(doc, bare), out)) {
    const auto [it, inserted] = seen.emplace(s.keys, s.text);
    EXPECT_EQ(it->second, s.text) << s.keys[0] << " rendered two ways";
  }
}

json::value ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << text.substr(0, 300);
  return value;
}

std::string Str(const json::value& value) {
  if (!value.is_string()) {
    ADD_FAILURE() << "not a string: " << json::serialize(value);
    return "";
  }
  const json::string& s = value.get_string();
  return std::string(s.data(), s.size());
}

// The JSON string at `pointer` in `value`.
std::string StringAt(const json::value& value, std::string_view pointer) {
  boost::system::error_code ec;
  const json::value* found =
      value.find_pointer(json::string_view(pointer.data(), pointer.size()), ec);
  if (found == nullptr) {
    ADD_FAILURE() << "no " << pointer << " in " << json::serialize(value);
    return "";
  }
  return Str(*found);
}

// `got` is `want` with every reference in every string replaced by its value.
void ExpectSubstitutedJson(const json::value& want, const json::value& got, const Values& values,
                           const std::string& where) {
  ASSERT_EQ(want.kind(), got.kind()) << where;
  if (want.is_string()) {
    EXPECT_EQ(Str(got), Substitute(Str(want), values)) << where;
  } else if (want.is_object()) {
    const json::object& w = want.get_object();
    const json::object& g = got.get_object();
    ASSERT_EQ(w.size(), g.size()) << where;
    auto gi = g.begin();
    for (const json::key_value_pair& kv : w) {
      const std::string key(kv.key().data(), kv.key().size());
      EXPECT_EQ(std::string(gi->key().data(), gi->key().size()), key) << where;
      ExpectSubstitutedJson(kv.value(), gi->value(), values, where + "/" + key);
      ++gi;
    }
  } else if (want.is_array()) {
    const json::array& w = want.get_array();
    const json::array& g = got.get_array();
    ASSERT_EQ(w.size(), g.size()) << where;
    for (size_t i = 0; i < w.size(); ++i) {
      ExpectSubstitutedJson(w[i], g[i], values, where + "/" + std::to_string(i));
    }
  } else {
    EXPECT_EQ(want, got) << where;
  }
}

// pugixml keeps comments, PIs and whitespace-only text; by default (parse_wconv_attribute) it turns
// raw TAB, LF, CR in attribute values into spaces as XML 1.0 §3.3.3 says, while &#9; &#10; &#13;
// come back exactly.
constexpr unsigned kPugiFlags = pugi::parse_full | pugi::parse_ws_pcdata;

std::unique_ptr<pugi::xml_document> ParseXml(std::string_view xml) {
  auto doc = std::make_unique<pugi::xml_document>();
  const pugi::xml_parse_result result =
      doc->load_buffer(xml.data(), xml.size(), kPugiFlags, pugi::encoding_utf8);
  EXPECT_TRUE(result) << result.description() << " at byte " << result.offset;
  return doc;
}

// An attribute value: JSON in it (ProcessMaker pm:config) is compared as JSON, and with `bare` a
// whole value `secrets.KEY` is a reference too.
void ExpectSubstitutedAttribute(std::string_view want, std::string_view got, const Values& values,
                                bool bare, const std::string& where) {
  if (bare && want.starts_with("secrets.") && values.contains(std::string(want.substr(8)))) {
    EXPECT_EQ(got, values.at(std::string(want.substr(8)))) << where;
    return;
  }
  const size_t first = want.find_first_not_of(" \t\n\r");
  if (first != std::string_view::npos && (want[first] == '{' || want[first] == '[')) {
    boost::system::error_code ec;
    const json::value w = json::parse(json::string_view(want.data(), want.size()), ec);
    if (!ec) return ExpectSubstitutedJson(w, ParseJson(got), values, where);
  }
  EXPECT_EQ(got, Substitute(want, values)) << where;
}

std::string NodeLabel(pugi::xml_node node) {
  std::string label = node.type() == pugi::node_element ? node.name() : "#text";
  if (const pugi::xml_attribute id = node.attribute("id"))
    label += "[" + std::string(id.value()) + "]";
  return label;
}

// `got` is `want` with every reference replaced by its value: the same nodes, names and
// attributes in the same order, text and attribute values equal after substitution.
void ExpectSubstitutedXml(pugi::xml_node want, pugi::xml_node got, const Values& values, bool bare,
                          const std::string& where) {
  ASSERT_EQ(want.type(), got.type()) << where;
  EXPECT_STREQ(want.name(), got.name()) << where;
  if (want.type() == pugi::node_pcdata || want.type() == pugi::node_cdata) {
    EXPECT_EQ(got.value(), Substitute(want.value(), values)) << where;
  } else {
    EXPECT_STREQ(want.value(), got.value()) << where;
  }
  pugi::xml_attribute ga = got.first_attribute();
  for (pugi::xml_attribute wa = want.first_attribute(); wa; wa = wa.next_attribute()) {
    ASSERT_TRUE(ga) << where << " lost @" << wa.name();
    EXPECT_STREQ(wa.name(), ga.name()) << where;
    ExpectSubstitutedAttribute(wa.value(), ga.value(), values, bare,
                               where + "/@" + std::string(wa.name()));
    ga = ga.next_attribute();
  }
  EXPECT_FALSE(ga) << where << " gained @" << ga.name();
  pugi::xml_node gc = got.first_child();
  for (pugi::xml_node wc = want.first_child(); wc; wc = wc.next_sibling()) {
    ASSERT_TRUE(gc) << where << " lost " << NodeLabel(wc);
    ExpectSubstitutedXml(wc, gc, values, bare, where + "/" + NodeLabel(wc));
    gc = gc.next_sibling();
  }
  EXPECT_FALSE(gc) << where << " gained " << NodeLabel(gc);
}

// Renders XML `doc`, checks it parses, reads back as `doc` with the values put in, and is `doc`
// byte for byte outside the references. Returns the output.
std::string RenderXmlAndCheck(std::string_view doc, Dialect dialect, const Values& values) {
  const std::string out = Render(doc, Format::kXml, dialect, values);
  const auto want = ParseXml(doc);
  const auto got = ParseXml(out);
  ExpectSubstitutedXml(*want, *got, values, dialect == Dialect::kCamunda, "");
  ExpectSameOutsideReferences(doc, out, dialect == Dialect::kCamunda);
  return out;
}

// The element of `doc` whose attribute `id` is `id`.
pugi::xml_node ById(const pugi::xml_document& doc, std::string_view id) {
  const pugi::xml_node node = doc.find_node([&](pugi::xml_node n) {
    return n.type() == pugi::node_element && id == n.attribute("id").value();
  });
  EXPECT_TRUE(node) << "no element with id " << id;
  return node;
}

// ---- Camunda: listing --------------------------------------------------------------------------

// Every reference in these Camunda BPMN files is a whole double-quoted attribute value.
void ExpectPlainAttributeReferences(const Scan& scan) {
  for (const Reference& ref : scan.references) {
    EXPECT_EQ(ref.context, Context::kXmlAttribute) << Describe(ref);
    EXPECT_EQ(ref.quote, '"') << Describe(ref);
    EXPECT_EQ(ref.version, std::nullopt) << Describe(ref);
    EXPECT_EQ(ref.pointer, std::nullopt) << Describe(ref);
  }
}

TEST(CamundaListTest, OutboundStandardFindsOnlyTheBracedReference) {
  const std::string doc = Fixture("camunda/outbound-with-secrets.bpmn");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  EXPECT_THAT(DescribedProblems(scan), IsEmpty());
  EXPECT_EQ(ByElement(scan), (KeysByElement{{"service-task-1", {"API_KEY"}}}));
  ExpectPlainAttributeReferences(scan);
  ExpectSpansAreSpelled(doc, scan);
}

TEST(CamundaListTest, OutboundCamundaDialectAlsoFindsTheBareSource) {
  const std::string doc = Fixture("camunda/outbound-with-secrets.bpmn");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kCamunda);
  EXPECT_THAT(DescribedProblems(scan), IsEmpty());
  EXPECT_EQ(ByElement(scan), (KeysByElement{{"service-task-1", {"API_KEY", "MY_TOKEN"}}}));
  ExpectPlainAttributeReferences(scan);
  // Line 15 `          <zeebe:input source="{{secrets.API_KEY}}"`, line 16 the same indent.
  ASSERT_EQ(scan.references.size(), 2u);
  EXPECT_EQ(Describe(scan.references[0]), "API_KEY service-task-1 - attribute 15:32");
  EXPECT_EQ(Describe(scan.references[1]), "MY_TOKEN service-task-1 - attribute 16:32");
  const Reference& bare = scan.references[1];
  EXPECT_EQ(doc.substr(bare.raw_begin, bare.raw_end - bare.raw_begin), "secrets.MY_TOKEN");
  ExpectSpansAreSpelled(doc, scan, /*bare=*/true);
}

TEST(CamundaListTest, FraudDetectionReferencesPerElement) {
  const std::string doc = Fixture("camunda/fraud-detection-service-task-process.bpmn");
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const Scan scan = MustScan(doc, Format::kXml, dialect);
    EXPECT_THAT(DescribedProblems(scan), IsEmpty());
    // EmailInquiry sits inside the ad-hoc sub-process Fraud_Tools: the nearest one counts.
    EXPECT_EQ(ByElement(scan),
              (KeysByElement{
                  {"EmailInquiry", {"OPENAI_API_KEY"}},
                  {"RunFinalCheck", {"OPENAI_API_KEY"}},
                  {"FraudDetectionAgent", {"AWS_BEDROCK_ACCESS_KEY", "AWS_BEDROCK_SECRET_KEY"}}}));
    ExpectPlainAttributeReferences(scan);
    ExpectSpansAreSpelled(doc, scan);
  }
}

TEST(CamundaListTest, FraudDetectionLocations) {
  const std::string doc = Fixture("camunda/fraud-detection-service-task-process.bpmn");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  // Line 39 is indented 12 spaces, lines 120, 189 and 190 ten.
  EXPECT_THAT(Described(scan),
              ElementsAre("OPENAI_API_KEY EmailInquiry - attribute 39:34",
                          "OPENAI_API_KEY RunFinalCheck - attribute 120:32",
                          "AWS_BEDROCK_ACCESS_KEY FraudDetectionAgent - attribute 189:32",
                          "AWS_BEDROCK_SECRET_KEY FraudDetectionAgent - attribute 190:32"));
}

TEST(CamundaListTest, ServiceNowReferencesPerElement) {
  const std::string doc = Fixture("camunda/servicenow-integration-blueprint.bpmn");
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const Scan scan = MustScan(doc, Format::kXml, dialect);
    EXPECT_THAT(DescribedProblems(scan), IsEmpty());
    const std::multiset<std::string> both = {"snPwd", "snUser"};
    EXPECT_EQ(ByElement(scan), (KeysByElement{{"Activity_0pg78zh", both},
                                              {"Activity_1puby5y", both},
                                              {"Activity_0krnr9q", both},
                                              {"Activity_0divtrc", both},
                                              {"Activity_1n3atjy", both},
                                              {"Activity_1s5avgr", both}}));
    ExpectPlainAttributeReferences(scan);
    ExpectSpansAreSpelled(doc, scan);
  }
}

TEST(CamundaListTest, ServiceNowLocations) {
  const std::string doc = Fixture("camunda/servicenow-integration-blueprint.bpmn");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  ASSERT_EQ(scan.references.size(), 12u);
  EXPECT_EQ(Describe(scan.references[0]), "snUser Activity_0pg78zh - attribute 70:32");
  EXPECT_EQ(Describe(scan.references[1]), "snPwd Activity_0pg78zh - attribute 71:32");
  EXPECT_EQ(Describe(scan.references[11]), "snPwd Activity_1s5avgr - attribute 289:32");
}

// The references of one request object of the JSON file, in document order: `auth` after
// "method", `text` keys at the end (all in /i/body/text).
std::vector<PointerAndKey> JsonRequest(int i, const std::vector<PointerAndKey>& auth,
                                       const std::vector<std::string>& text) {
  const std::string p = "/" + std::to_string(i);
  std::vector<PointerAndKey> out = {{p + "/url", "URL_KEY"}, {p + "/method", "METHOD_KEY"}};
  for (const auto& [pointer, key] : auth) out.emplace_back(p + "/authentication/" + pointer, key);
  const std::vector<PointerAndKey> rest = {
      {p + "/queryParameters/q", "QUERY_PARAMETER_KEY"},
      {p + "/queryParameters/priority", "PRIORITY_KEY"},
      {p + "/headers/X-Camunda-Cluster-ID", "CLUSTER_ID_KEY"},
      {p + "/headers/User-Agent", "USER_AGENT_KEY"},
      {p + "/connectionTimeoutInSeconds", "CONNECT_TIMEOUT_KEY"},
      {p + "/body/customer/id", "CUSTOMER_ID_KEY"},
      {p + "/body/customer/name", "NAME_KEY"},
      {p + "/body/customer/email", "EMAIL_KEY"}};
  out.insert(out.end(), rest.begin(), rest.end());
  for (const std::string& key : text) out.emplace_back(p + "/body/text", key);
  return out;
}

std::vector<PointerAndKey> ExpectedJsonReferences() {
  std::vector<PointerAndKey> out;
  auto add = [&](std::vector<PointerAndKey> request) {
    out.insert(out.end(), request.begin(), request.end());
  };
  add(JsonRequest(0, {}, {"TEXT_KEY"}));
  add(JsonRequest(1, {{"token", "TOKEN_KEY"}}, {"TEXT_KEY"}));
  add(JsonRequest(2, {{"password", "PASSWORD_KEY"}, {"username", "USERNAME_KEY"}},
                  {"TEXT_PART_3_KEY"}));
  add(JsonRequest(3,
                  {{"oauthTokenEndpoint", "OAUTH_TOKEN_ENDPOINT_KEY"},
                   {"audience", "AUDIENCE_KEY"},
                   {"clientId", "CLIENT_ID_KEY"},
                   {"clientSecret", "CLIENT_SECRET_KEY"},
                   {"clientAuthentication", "CLIENT_AUTHENTICATION_KEY"}},
                  {"TEXT_PART_1_KEY", "TEXT_PART_2_KEY", "TEXT_PART_3_KEY"}));
  add(JsonRequest(4, {}, {"TEXT_KEY"}));
  add(JsonRequest(5, {}, {"TEXT_KEY"}));
  return out;
}

TEST(CamundaListTest, JsonRequestsPointersAndKeys) {
  const std::string doc = Fixture("camunda/http-json-requests-with-secrets.json");
  const std::vector<PointerAndKey> expected = ExpectedJsonReferences();
  ASSERT_EQ(expected.size(), 76u);
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const Scan scan = MustScan(doc, Format::kJson, dialect);
    EXPECT_THAT(DescribedProblems(scan), IsEmpty());
    std::vector<PointerAndKey> got;
    for (const Reference& ref : scan.references) {
      got.emplace_back(ref.pointer.value_or("-"), ref.key);
      EXPECT_EQ(ref.element, std::nullopt) << Describe(ref);
      EXPECT_EQ(ref.version, std::nullopt) << Describe(ref);
      EXPECT_EQ(ref.context, Context::kJsonString) << Describe(ref);
    }
    EXPECT_THAT(got, ElementsAreArray(expected));
    ExpectSpansAreSpelled(doc, scan);
  }
}

TEST(CamundaListTest, JsonRequestsLocations) {
  const std::string doc = Fixture("camunda/http-json-requests-with-secrets.json");
  const Scan scan = MustScan(doc, Format::kJson, Dialect::kStandard);
  ASSERT_EQ(scan.references.size(), 76u);
  // Line 3 `    "url": "{{…`; line 19 `        "id": "startId plus {{…`; line 104 holds three
  // references back to back after `      "text": "`, each 27 bytes long; line 132 `…/path"`.
  EXPECT_EQ(Describe(scan.references[0]), "URL_KEY - /0/url json 3:13");
  EXPECT_EQ(Describe(scan.references[7]), "CUSTOMER_ID_KEY - /0/body/customer/id json 19:29");
  EXPECT_EQ(Describe(scan.references[51]), "TEXT_PART_1_KEY - /3/body/text json 104:16");
  EXPECT_EQ(Describe(scan.references[52]), "TEXT_PART_2_KEY - /3/body/text json 104:43");
  EXPECT_EQ(Describe(scan.references[53]), "TEXT_PART_3_KEY - /3/body/text json 104:70");
  EXPECT_EQ(Describe(scan.references[65]), "URL_KEY - /5/url json 132:13");
}

// ---- Camunda: rendering ------------------------------------------------------------------------

TEST(CamundaRenderTest, OutboundEqualsHandBuiltOutput) {
  const std::string doc = Fixture("camunda/outbound-with-secrets.bpmn");
  const Values values = {{"API_KEY", kAwkward}, {"MY_TOKEN", "tök'en " + kMustache}};
  std::string expected =
      ReplaceOnce(doc, "\"{{secrets.API_KEY}}\"", "\"p&quot;&lt;&amp;'&gt;]]&gt;\\&#9;&#10;x\"");
  EXPECT_EQ(Render(doc, Format::kXml, Dialect::kStandard, values), expected);
  expected = ReplaceOnce(expected, "\"secrets.MY_TOKEN\"", "\"tök'en {{secrets.OTHER}}\"");
  EXPECT_EQ(Render(doc, Format::kXml, Dialect::kCamunda, values), expected);
}

TEST(CamundaRenderTest, OutboundReadsBackExactly) {
  const std::string doc = Fixture("camunda/outbound-with-secrets.bpmn");
  const Values values = {{"API_KEY", kAwkward}, {"MY_TOKEN", kCarriage + kMustache}};
  const std::string out = RenderXmlAndCheck(doc, Dialect::kCamunda, values);
  const auto got = ParseXml(out);
  const pugi::xml_node mapping = ById(*got, "service-task-1").child("bpmn:extensionElements");
  const pugi::xml_node first = mapping.child("zeebe:ioMapping").child("zeebe:input");
  EXPECT_EQ(first.attribute("source").value(), kAwkward);
  EXPECT_EQ(first.next_sibling("zeebe:input").attribute("source").value(), kCarriage + kMustache);
}

TEST(CamundaRenderTest, FraudDetectionReadsBackExactly) {
  const std::string doc = Fixture("camunda/fraud-detection-service-task-process.bpmn");
  const Values values = {{"OPENAI_API_KEY", kAwkward},
                         {"AWS_BEDROCK_ACCESS_KEY", kUnicode},
                         {"AWS_BEDROCK_SECRET_KEY", kCarriage + kMustache}};
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const std::string out = RenderXmlAndCheck(doc, dialect, values);
    const auto got = ParseXml(out);
    const pugi::xml_node input =
        ById(*got, "FraudDetectionAgent")
            .child("bpmn:extensionElements")
            .child("zeebe:ioMapping")
            .find_child_by_attribute("zeebe:input", "target",
                                     "provider.bedrock.authentication.secretKey");
    EXPECT_EQ(input.attribute("source").value(), kCarriage + kMustache);
  }
}

TEST(CamundaRenderTest, ServiceNowReadsBackExactly) {
  const std::string doc = Fixture("camunda/servicenow-integration-blueprint.bpmn");
  const Values values = {{"snUser", kUnicode + " " + kMustache}, {"snPwd", kAwkward}};
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const std::string out = RenderXmlAndCheck(doc, dialect, values);
    const auto got = ParseXml(out);
    const pugi::xml_node input =
        ById(*got, "Activity_1s5avgr")
            .child("bpmn:extensionElements")
            .child("zeebe:ioMapping")
            .find_child_by_attribute("zeebe:input", "target", "authentication.password");
    EXPECT_EQ(input.attribute("source").value(), kAwkward);
  }
}

Values JsonValues() {
  return {{"URL_KEY", "https://ex.test/ä?q=\"1\"&r=<2>"},
          {"METHOD_KEY", "POST"},
          {"QUERY_PARAMETER_KEY", kMustache},
          {"PRIORITY_KEY", ""},
          {"CLUSTER_ID_KEY", kUnicode},
          {"USER_AGENT_KEY", "ua \\u0041 stays six bytes"},
          {"CONNECT_TIMEOUT_KEY", "20"},
          {"CUSTOMER_ID_KEY", kControl},
          {"NAME_KEY", "\"quoted\" name"},
          {"EMAIL_KEY", "a@b.example\xE2\x80\xA8"},  // U+2028
          {"TEXT_KEY", kAwkward},
          {"TOKEN_KEY", kAwkward},
          {"PASSWORD_KEY", kAwkward},
          {"USERNAME_KEY", "user\\name"},
          {"OAUTH_TOKEN_ENDPOINT_KEY", "https://auth.example/token"},
          {"AUDIENCE_KEY", "aud"},
          {"CLIENT_ID_KEY", "id/{{x}}"},
          {"CLIENT_SECRET_KEY", kAwkward},
          {"CLIENT_AUTHENTICATION_KEY", kCarriage},
          {"TEXT_PART_1_KEY", kMustache},
          {"TEXT_PART_2_KEY", "\\{{secrets.OTHER}}"},
          {"TEXT_PART_3_KEY", "3-ü"}};
}

TEST(CamundaRenderTest, JsonRequestsReadBackExactly) {
  const std::string doc = Fixture("camunda/http-json-requests-with-secrets.json");
  const Values values = JsonValues();
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const std::string out = Render(doc, Format::kJson, dialect, values);
    const json::value got = ParseJson(out);
    ExpectSubstitutedJson(ParseJson(doc), got, values, "");
    ExpectSameOutsideReferences(doc, out);
    EXPECT_EQ(StringAt(got, "/2/authentication/password"), kAwkward);
    EXPECT_EQ(StringAt(got, "/3/body/text"), kMustache + "\\{{secrets.OTHER}}" + "3-ü");
    EXPECT_EQ(StringAt(got, "/0/body/customer/id"), "startId plus " + kControl);
  }
}

// A reference put into a FEEL string literal of the fraud file (line 48, in EmailInquiry).
TEST(CamundaRenderTest, FeelStringLiteralCarriesAwkwardValue) {
  const std::string doc = ReplaceOnce(Fixture("camunda/fraud-detection-service-task-process.bpmn"),
                                      "source=\"=&#34;I&#39;d like you",
                                      "source=\"=&#34;{{secrets.OPENAI_API_KEY}} I&#39;d like you");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kCamunda);
  ASSERT_EQ(scan.references.size(), 5u);
  EXPECT_EQ(Describe(scan.references[1]), "OPENAI_API_KEY EmailInquiry - feel-string 48:40");

  const std::string out = Render(doc, Format::kXml, Dialect::kCamunda,
                                 {{"OPENAI_API_KEY", kAwkward},
                                  {"AWS_BEDROCK_ACCESS_KEY", "a"},
                                  {"AWS_BEDROCK_SECRET_KEY", "b"}});
  const auto want = ParseXml(doc);
  const auto got = ParseXml(out);
  auto prompt = [](const pugi::xml_document& d) {
    return std::string(ById(d, "EmailInquiry")
                           .child("bpmn:extensionElements")
                           .child("zeebe:ioMapping")
                           .find_child_by_attribute("zeebe:input", "target", "internal_prompt")
                           .attribute("source")
                           .value());
  };
  // The FEEL string literal: `="`, then the escaped text up to the first unescaped `"`.
  auto literal = [](std::string_view feel, size_t* end) {
    std::string text;
    size_t i = 2;
    for (; i < feel.size() && feel[i] != '"'; ++i) {
      if (feel[i] != '\\') {
        text.push_back(feel[i]);
        continue;
      }
      const char c = feel[++i];
      text.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
    }
    *end = i;
    return text;
  };
  const std::string want_source = prompt(*want);
  const std::string got_source = prompt(*got);
  ASSERT_TRUE(got_source.starts_with("=\""));
  size_t want_end = 0;
  size_t got_end = 0;
  const std::string want_text = literal(want_source, &want_end);
  EXPECT_EQ(literal(got_source, &got_end), kAwkward + want_text.substr(want_text.find(' ')));
  EXPECT_EQ(got_source.substr(got_end), want_source.substr(want_end));
  // The FEEL literal holds the value escaped differently from the plain attributes.
  EXPECT_EQ(StandIns(doc, SpelledReferences(doc), out).size(), 5u);
}

// ---- ProcessMaker: no references as exported ---------------------------------------------------

TEST(ProcessMakerTest, ExportedFilesHoldNoReferencesAndRenderUnchanged) {
  for (std::string_view name : {"processmaker/email_task_notification_process.bpmn",
                                "processmaker/pm_config_generic_export.bpmn",
                                "processmaker/process-docusign-authorization.bpmn.xml",
                                "processmaker/self_serve_notifications_process.bpmn"}) {
    const std::string doc = Fixture(name);
    for (Dialect dialect : kDialects) {
      SCOPED_TRACE(std::string(name) + (dialect == Dialect::kCamunda ? " camunda" : " standard"));
      const Scan scan = MustScan(doc, Format::kXml, dialect);
      EXPECT_THAT(Described(scan), IsEmpty());
      EXPECT_THAT(DescribedProblems(scan), IsEmpty());
      EXPECT_THAT(scan.deletions, IsEmpty());
      Result<std::string> out = RenderDocument(doc, scan, {});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(*out, doc);
    }
  }
}

// ---- ProcessMaker: references added to pm:config JSON and to text -------------------------------

// pm_config_generic_export.bpmn with references in both callActivities' pm:config JSON and in a
// documentation text node.
std::string GenericExportWithReferences() {
  std::string doc = Fixture("processmaker/pm_config_generic_export.bpmn");
  doc = ReplaceOnce(doc, "&#34;test@bla.com&#34;", "&#34;{{secrets.EMAIL_TO}}&#34;");
  doc = ReplaceOnce(doc, "&#34;content&#34;:&#34;nope&#34;",
                    "&#34;content&#34;:&#34;{{secrets.PASSWORD@2}}&#34;");
  doc = ReplaceOnce(doc, "&#34;body&#34;:&#34;test&#34;",
                    "&#34;body&#34;:&#34;x {{ secrets.PASSWORD }} y&#34;");
  doc = ReplaceOnce(doc, "      <bpmn:incoming>node_4</bpmn:incoming>",
                    "      <bpmn:documentation>Mail {{secrets.EMAIL_TO}} &amp; co"
                    "</bpmn:documentation>\n      <bpmn:incoming>node_4</bpmn:incoming>");
  return doc;
}

TEST(ProcessMakerTest, PmConfigReferencesHavePointersAndElements) {
  const std::string doc = GenericExportWithReferences();
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const Scan scan = MustScan(doc, Format::kXml, dialect);
    EXPECT_THAT(DescribedProblems(scan), IsEmpty());
    // Line 7: `    <bpmn:callActivity id="node_2" name="Actions By Email"
    // calledElement="ProcessId-2" pm:config="{&#34;email&#34;:&#34;` is 120 bytes.
    EXPECT_THAT(Described(scan),
                ElementsAre("EMAIL_TO node_2 /email json-in-attribute 7:121",
                            "PASSWORD@2 node_2 /options/1/content json-in-attribute 7:372",
                            "EMAIL_TO node_2 - text-node 8:32",
                            "PASSWORD node_6 /body json-in-attribute 17:281"));
    ExpectSpansAreSpelled(doc, scan);
  }
}

TEST(ProcessMakerTest, PmConfigValueIsJsonThenXmlEscaped) {
  const std::string doc = GenericExportWithReferences();
  const std::string email = "ü@exämple.org " + kMustache;
  const Values values = {{"EMAIL_TO", email}, {"PASSWORD", kAwkward}};
  const std::string out = RenderXmlAndCheck(doc, Dialect::kStandard, values);
  const auto got = ParseXml(out);
  const json::value node2 = ParseJson(ById(*got, "node_2").attribute("pm:config").value());
  EXPECT_EQ(StringAt(node2, "/email"), email);
  EXPECT_EQ(StringAt(node2, "/options/1/content"), kAwkward);
  EXPECT_EQ(StringAt(node2, "/options/0/content"), "yup");
  const json::value node6 = ParseJson(ById(*got, "node_6").attribute("pm:config").value());
  EXPECT_EQ(StringAt(node6, "/body"), "x " + kAwkward + " y");
  EXPECT_EQ(std::string(ById(*got, "node_2").child_value("bpmn:documentation")),
            "Mail " + email + " & co");
}

TEST(ProcessMakerTest, ElementDestinationAndProcessLevelReferences) {
  std::string doc = Fixture("processmaker/email_task_notification_process.bpmn");
  doc = ReplaceOnce(doc, "name=\"ProcessName\"", "name=\"{{secrets.PROCESS_NAME}}\"");
  doc = ReplaceOnce(doc, "name=\"Form Task B\"", "name=\"Form Task B for {{secrets.ASSIGNEE}}\"");
  doc = ReplaceOnce(doc, "&#34;summaryScreen&#34;,&#34;value&#34;:null",
                    "&#34;summaryScreen&#34;,&#34;value&#34;:&#34;{{secrets.DEST}}&#34;");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  EXPECT_THAT(DescribedProblems(scan), IsEmpty());
  // A bpmn:process is no flow element: its references have no element.
  EXPECT_THAT(Described(scan),
              ElementsAre("PROCESS_NAME - - attribute 3:38", "ASSIGNEE node_61 - attribute 12:51",
                          "DEST node_71 /value json-in-attribute 16:134"));

  const Values values = {{"PROCESS_NAME", kUnicode}, {"ASSIGNEE", kAwkward}, {"DEST", kAwkward}};
  const std::string out = RenderXmlAndCheck(doc, Dialect::kStandard, values);
  const auto got = ParseXml(out);
  EXPECT_EQ(got->child("bpmn:definitions").child("bpmn:process").attribute("name").value(),
            kUnicode);
  EXPECT_EQ(ById(*got, "node_61").attribute("name").value(), "Form Task B for " + kAwkward);
  EXPECT_EQ(StringAt(ParseJson(ById(*got, "node_71").attribute("pm:elementDestination").value()),
                     "/value"),
            kAwkward);
}

// self_serve_notifications_process.bpmn: pm:assignedUsers="[self_serve_user_id]" starts with `[`
// but is no JSON. A reference there is refused: a consumer reading it as a JSON array would let
// a value add elements (found by the fresh-clone review). The JSON pm:config beside it renders.
TEST(ProcessMakerTest, BracketedNonJsonAttributeIsRefused) {
  const std::string original = Fixture("processmaker/self_serve_notifications_process.bpmn");
  const std::string with_json =
      ReplaceOnce(original, "&#34;notifications&#34;:[]",
                  "&#34;notifications&#34;:[&#34;{{secrets.EMAIL_TO}}&#34;]");
  const std::string doc = ReplaceOnce(with_json, "[self_serve_user_id]", "[{{secrets.USER_ID}}]");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  EXPECT_THAT(DescribedProblems(scan), ElementsAre("unsafe_context USER_ID node_3 7:140"));
  ASSERT_EQ(scan.references.size(), 1u);
  EXPECT_EQ(scan.references[0].key, "EMAIL_TO");
  EXPECT_EQ(scan.references[0].context, Context::kXmlJsonAttribute);
  EXPECT_EQ(scan.references[0].pointer, "/email_notifications/notifications/0");
  EXPECT_EQ(scan.references[0].element, "node_3");

  const Values values = {{"EMAIL_TO", kAwkward}};
  const std::string out = RenderXmlAndCheck(with_json, Dialect::kStandard, values);
  const auto got = ParseXml(out);
  const pugi::xml_node task = ById(*got, "node_3");
  EXPECT_EQ(std::string(task.attribute("pm:assignedUsers").value()), "[self_serve_user_id]");
  EXPECT_EQ(StringAt(ParseJson(task.attribute("pm:config").value()),
                     "/email_notifications/notifications/0"),
            kAwkward);
}

// ProcessMaker mails use mustache (`{{_request.id}}`) in the same strings: it passes untouched.
TEST(ProcessMakerTest, MustacheBesideReferenceInPmConfigStays) {
  const std::string doc =
      ReplaceOnce(Fixture("processmaker/pm_config_generic_export.bpmn"), "&#34;foooooooooo&#34;",
                  "&#34;Hi {{_request.name}}, {{secrets.K}} {{ _user.id }}&#34;");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kCamunda);
  ASSERT_EQ(scan.references.size(), 1u);
  EXPECT_EQ(scan.references[0].pointer, "/body");
  const std::string out = RenderXmlAndCheck(doc, Dialect::kCamunda, {{"K", kAwkward}});
  EXPECT_EQ(
      StringAt(ParseJson(ById(*ParseXml(out), "node_2").attribute("pm:config").value()), "/body"),
      "Hi {{_request.name}}, " + kAwkward + " {{ _user.id }}");
}

// `\\{{` in the JSON of a pm:config is a JSON-escaped backslash before `{{`: the decoded string
// holds `\{{`, a literal `{{`, so the two raw bytes spelling the backslash go.
TEST(ProcessMakerTest, EscapedBracesInPmConfigStayLiteral) {
  const std::string doc = ReplaceOnce(Fixture("processmaker/self_serve_notifications_process.bpmn"),
                                      "{&#34;web_entry&#34;:null}",
                                      "{&#34;web_entry&#34;:&#34;\\\\{{secrets.NOT_A_REF}}&#34;}");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  EXPECT_THAT(Described(scan), IsEmpty());
  EXPECT_THAT(DescribedProblems(scan), IsEmpty());
  Result<std::string> out = RenderDocument(doc, scan, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto got = ParseXml(*out);
  EXPECT_EQ(StringAt(ParseJson(ById(*got, "node_1").attribute("pm:config").value()), "/web_entry"),
            "{{secrets.NOT_A_REF}}");
  EXPECT_EQ(*out, ReplaceOnce(doc, "\\\\{{secrets.NOT_A_REF}}", "{{secrets.NOT_A_REF}}"));
}

// ---- ProcessMaker: code is refused ------------------------------------------------------------

std::string Docusign() { return Fixture("processmaker/process-docusign-authorization.bpmn.xml"); }

TEST(ProcessMakerTest, ConditionExpressionReferenceIsUnsafe) {
  const std::string doc =
      ReplaceOnce(Docusign(), "empty('storeInEnv')", "empty('{{secrets.ENV_KEY}}')");
  for (Dialect dialect : kDialects) {
    SCOPED_TRACE(dialect == Dialect::kCamunda ? "camunda" : "standard");
    const Scan scan = MustScan(doc, Format::kXml, dialect);
    EXPECT_THAT(Described(scan), IsEmpty());
    // Line 32 `      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">empty('`.
    EXPECT_THAT(DescribedProblems(scan), ElementsAre("unsafe_context ENV_KEY node_13 32:74"));
  }
}

TEST(ProcessMakerTest, CdataConditionExpressionReferenceIsUnsafe) {
  const std::string doc =
      ReplaceOnce(Docusign(), "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\"/>",
                  "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">"
                  "<![CDATA[token == \"{{secrets.ENV_KEY}}\"]]></bpmn:conditionExpression>");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  EXPECT_THAT(Described(scan), IsEmpty());
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_EQ(scan.problems[0].reason, Reason::kUnsafeContext);
  EXPECT_EQ(scan.problems[0].key, "ENV_KEY");
  EXPECT_EQ(scan.problems[0].element, "node_8");
}

// ProcessMaker script tasks name their script (pm:scriptRef); an inline body is refused even with
// no scriptFormat saying what language it is.
TEST(ProcessMakerTest, ScriptTaskBodyReferenceIsUnsafe) {
  const std::string doc = ReplaceOnce(
      Docusign(), "<bpmn:scriptTask id=\"node_9\" name=\"Authorization\" pm:scriptRef=\"113\">",
      "<bpmn:scriptTask id=\"node_9\" name=\"Authorization\" pm:scriptRef=\"113\">\n"
      "      <bpmn:script>return ['token' =&gt; '{{secrets.DOCUSIGN_TOKEN}}'];</bpmn:script>");
  const Scan scan = MustScan(doc, Format::kXml, Dialect::kStandard);
  EXPECT_THAT(Described(scan), IsEmpty());
  EXPECT_THAT(DescribedProblems(scan), ElementsAre("unsafe_context DOCUSIGN_TOKEN node_9 12:43"));
}

}  // namespace
}  // namespace svault::refs
