#include "refs/grammar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace svault::refs {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Keys(std::string_view text) {
  std::vector<std::string> out;
  for (const Match& m : FindReferences(text)) {
    if (m.kind == MatchKind::kReference) {
      out.push_back(m.version ? m.key + "@" + std::to_string(*m.version) : m.key);
    }
  }
  return out;
}

std::vector<MatchKind> Kinds(std::string_view text) {
  std::vector<MatchKind> out;
  for (const Match& m : FindReferences(text)) out.push_back(m.kind);
  return out;
}

TEST(GrammarTest, FindsReferencesWithInnerSpacesAndPins) {
  EXPECT_THAT(Keys("a {{secrets.A}} b {{ secrets.B }} c {{\tsecrets.C@3\t}}"),
              ElementsAre("A", "B", "C@3"));
  EXPECT_THAT(Keys("{{secrets.db/main.host-1_x}}"), ElementsAre("db/main.host-1_x"));
}

TEST(GrammarTest, ReportsOffsetsOfTheWholeReference) {
  const std::vector<Match> m = FindReferences("xx{{ secrets.K@12 }}yy");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].begin, 2u);
  EXPECT_EQ(m[0].end, 20u);
  EXPECT_EQ(m[0].key, "K");
  EXPECT_EQ(m[0].version, 12u);
}

TEST(GrammarTest, MalformedReferencesFromTheIssue) {
  for (std::string_view text :
       {"{{secrets.}}", "{{secrets._X}}", "{{secrets.a..b}}", "{{secrets.K@0}}", "{{secrets.X",
        "{{secrets.K @3}}", "{{secrets.K@}}", "{{secrets.K@01}}", "{{secrets.K@3x}}",
        "{{secrets.a b}}", "{{secrets.K\n}}", "{{secrets.K/}}", "{{secrets.K@9999999999999}}"}) {
    EXPECT_THAT(Kinds(text), ElementsAre(MatchKind::kMalformed)) << text;
  }
}

TEST(GrammarTest, KeyOverTheLengthLimitIsMalformed) {
  const std::string ok = "{{secrets." + std::string(256, 'k') + "}}";
  const std::string too_long = "{{secrets." + std::string(257, 'k') + "}}";
  EXPECT_THAT(Kinds(ok), ElementsAre(MatchKind::kReference));
  EXPECT_THAT(Kinds(too_long), ElementsAre(MatchKind::kMalformed));
}

TEST(GrammarTest, UnclosedReferenceEndsAtTheNextOpening) {
  const std::vector<Match> m = FindReferences("{{secrets.X and {{secrets.Y}}");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, MatchKind::kMalformed);
  EXPECT_EQ(m[0].end, 16u);
  EXPECT_EQ(m[1].kind, MatchKind::kReference);
  EXPECT_EQ(m[1].key, "Y");
}

TEST(GrammarTest, OtherMustacheIsLeftAlone) {
  EXPECT_THAT(FindReferences("{{name}} {{ user.email }} {{secrets}} {{secretsX.Y}} {}"), IsEmpty());
  EXPECT_THAT(Keys("{{{secrets.T}}}"), ElementsAre("T"));
}

TEST(GrammarTest, EscapedOpeningIsLiteral) {
  const std::vector<Match> m = FindReferences(R"(\{{secrets.X}})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MatchKind::kEscape);
  EXPECT_EQ(m[0].begin, 0u);  // the backslash goes
  EXPECT_EQ(m[0].end, 1u);
  EXPECT_EQ(m[0].covered_end, 14u);
}

TEST(GrammarTest, DoubleBackslashIsABackslashThenAReference) {
  const std::vector<Match> m = FindReferences(R"(\\{{secrets.X}})");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, MatchKind::kEscape);
  EXPECT_EQ(m[0].begin, 1u);  // one of the two goes
  EXPECT_EQ(m[0].end, 2u);
  EXPECT_EQ(m[1].kind, MatchKind::kReference);
  EXPECT_EQ(m[1].key, "X");
}

TEST(GrammarTest, ThreeBackslashesKeepOneAndEscape) {
  const std::vector<Match> m = FindReferences(R"(\\\{{secrets.X}})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MatchKind::kEscape);
  EXPECT_EQ(m[0].begin, 1u);
  EXPECT_EQ(m[0].end, 3u);
}

TEST(GrammarTest, BackslashesElsewhereStay) {
  EXPECT_THAT(FindReferences(R"(a\\b \n {x})"), IsEmpty());
}

std::vector<std::string> BareKeys(std::string_view text, BareKey kind) {
  std::vector<Match> m;
  FindBareReferences(text, 0, text.size(), kind, m);
  std::vector<std::string> out;
  for (const Match& x : m) out.push_back((x.kind == MatchKind::kReference ? "" : "!") + x.key);
  return out;
}

TEST(GrammarTest, BareFormInPlainValues) {
  EXPECT_THAT(BareKeys("secrets.MY_TOKEN", BareKey::kKeyGrammar), ElementsAre("MY_TOKEN"));
  EXPECT_THAT(BareKeys("secrets.a/b.c-d.", BareKey::kKeyGrammar), ElementsAre("a/b.c-d"));
  EXPECT_THAT(BareKeys("mysecrets.X x.secrets.Y _secrets.Z 1secrets.W", BareKey::kKeyGrammar),
              IsEmpty());
  EXPECT_THAT(BareKeys("secrets. secrets.-x", BareKey::kKeyGrammar), IsEmpty());
}

TEST(GrammarTest, BareFormInFeelCodeTakesTheLongestName) {
  EXPECT_THAT(BareKeys("secrets.A-B", BareKey::kFeelName), ElementsAre("A"));
  EXPECT_THAT(BareKeys("\"Bearer \" + secrets.TOKEN_1", BareKey::kFeelName),
              ElementsAre("TOKEN_1"));
  EXPECT_THAT(BareKeys("secrets.X_", BareKey::kFeelName), ElementsAre("!X_"));
}

TEST(GrammarTest, KeySpecs) {
  EXPECT_EQ(ParseKeySpec("A")->key, "A");
  EXPECT_FALSE(ParseKeySpec("A")->version.has_value());
  EXPECT_EQ(ParseKeySpec("db/x@3")->version, 3u);
  for (std::string_view bad : {"", "@1", "A@", "A@0", "A@x", "_A", "A@1@2", "A B"}) {
    EXPECT_FALSE(ParseKeySpec(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace svault::refs
