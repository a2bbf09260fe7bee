#include "common/config/config_value.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace paasta::config {
namespace {

ConfigValue Parse(const std::string& yaml) {
  auto parsed = ParseYaml(yaml, "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : ConfigValue();
}

TEST(ConfigValueTest, ResolvesPlainScalarsAsPyYamlDid) {
  // Each row: a plain scalar and the kind (and value) PyYAML gives it.
  const ConfigValue doc = Parse(R"(
null_tilde: ~
null_word: null
empty:
yes_word: yes
on_word: On
off_word: OFF
true_word: True
int: 42
negative: -7
underscored: 1_000
hex: 0x1F
octal_old: 0755
octal_new: 0o17
float: 0.25
float_exp: 1.5e+3
no_dot_exp: 1e3
inf: .inf
neg_inf: -.Inf
nan: .nan
word: hello
huge: 99999999999999999999
quoted_int: "42"
quoted_bool: 'yes'
tagged: !!str 12
version: 1.2.3
)");
  EXPECT_TRUE(doc.Find("null_tilde")->IsNull());
  EXPECT_TRUE(doc.Find("null_word")->IsNull());
  EXPECT_TRUE(doc.Find("empty")->IsNull());
  EXPECT_TRUE(doc.Find("yes_word")->IsBool() && doc.Find("yes_word")->bool_value());
  EXPECT_TRUE(doc.Find("on_word")->IsBool() && doc.Find("on_word")->bool_value());
  EXPECT_TRUE(doc.Find("off_word")->IsBool() && !doc.Find("off_word")->bool_value());
  EXPECT_TRUE(doc.Find("true_word")->bool_value());
  EXPECT_EQ(doc.Find("int")->int_value(), 42);
  EXPECT_EQ(doc.Find("negative")->int_value(), -7);
  EXPECT_EQ(doc.Find("underscored")->int_value(), 1000);
  EXPECT_EQ(doc.Find("hex")->int_value(), 31);
  EXPECT_EQ(doc.Find("octal_old")->int_value(), 0755);
  EXPECT_EQ(doc.Find("octal_new")->int_value(), 15);
  EXPECT_EQ(doc.Find("float")->kind(), ConfigValue::Kind::kDouble);
  EXPECT_DOUBLE_EQ(doc.Find("float")->number_value(), 0.25);
  EXPECT_DOUBLE_EQ(doc.Find("float_exp")->number_value(), 1500);
  EXPECT_TRUE(doc.Find("no_dot_exp")->IsString());
  EXPECT_TRUE(std::isinf(doc.Find("inf")->number_value()));
  EXPECT_LT(doc.Find("neg_inf")->number_value(), 0);
  EXPECT_TRUE(std::isnan(doc.Find("nan")->number_value()));
  EXPECT_EQ(doc.Find("word")->string_value(), "hello");
  EXPECT_TRUE(doc.Find("huge")->IsString());
  EXPECT_TRUE(doc.Find("quoted_int")->IsString());
  EXPECT_TRUE(doc.Find("quoted_bool")->IsString());
  EXPECT_TRUE(doc.Find("tagged")->IsString());
  EXPECT_TRUE(doc.Find("version")->IsString());
}

TEST(ConfigValueTest, KeepsLinesAndOrder) {
  const ConfigValue doc = Parse("b: 1\na:\n  - x\n  - y\n");
  ASSERT_EQ(doc.entries().size(), 2u);
  EXPECT_EQ(doc.entries()[0].first, "b");
  EXPECT_EQ(doc.Find("b")->position().ToString(), "test.yaml:1");
  EXPECT_EQ(doc.Find("a")->items()[1].position().line, 4);
}

TEST(ConfigValueTest, EmptyDocumentIsAnEmptyMap) {
  EXPECT_TRUE(Parse("").IsMap());
  EXPECT_TRUE(Parse("# only a comment\n").IsMap());
  EXPECT_TRUE(Parse("~\n").IsMap());
}

TEST(ConfigValueTest, SyntaxErrorsNameFileLineAndColumn) {
  const auto parsed = ParseYaml("main:\n  cpus: [1, 2\n", "svc/marathon-local.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  // yaml-cpp notices the unclosed list at the end of the input (line 3).
  EXPECT_EQ(parsed.status().message(),
            "svc/marathon-local.yaml:3:1: cannot parse YAML: end of sequence flow not found");
  const auto illegal = ParseYaml("a: b: c\n", "f.yaml");
  EXPECT_EQ(illegal.status().message(), "f.yaml:1:5: cannot parse YAML: illegal map value");
}

TEST(ConfigValueTest, DuplicateKeysAreErrorsNamingBothLines) {
  const auto parsed = ParseYaml("main:\n  cpus: 1\n  cpus: 2\n", "f.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "f.yaml:3: key \"cpus\" appears twice (also at line 2)");
}

TEST(ConfigValueTest, ExpandingAliasesAreRefused) {
  // Each level doubles: 2^30 values if expanded.
  std::string yaml = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]\n";
  }
  const auto parsed = ParseYaml(yaml, "bomb.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("aliases that expand too much"), std::string::npos) << parsed.status();
}

TEST(ConfigValueTest, DeepNestingIsRefused) {
  const std::string yaml = std::string(150, '[') + std::string(150, ']');
  const auto parsed = ParseYaml(yaml, "deep.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("nested deeper than 100"), std::string::npos) << parsed.status();
  const auto json = ParseJson(yaml, "deep.json");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("nested deeper than 100"), std::string::npos);
}

TEST(ConfigValueTest, DeepMergeFollowsTheOriginal) {
  const ConfigValue defaults = Parse(R"(
cpus: 1
env: {A: "1", B: "2"}
monitoring: {team: core, page: true}
list: [1, 2]
)");
  const ConfigValue overrides = Parse(R"(
cpus: 2
env: {B: "3", C: "4"}
monitoring: "not a map"
list: [3]
)");
  const ConfigValue merged = DeepMerge(overrides, defaults);
  EXPECT_EQ(merged.Find("cpus")->int_value(), 2);
  // Maps merge key by key; the override wins per key.
  EXPECT_EQ(merged.Find("env")->Find("A")->string_value(), "1");
  EXPECT_EQ(merged.Find("env")->Find("B")->string_value(), "3");
  EXPECT_EQ(merged.Find("env")->Find("C")->string_value(), "4");
  // A non-map override replaces a map; lists are replaced, not concatenated.
  EXPECT_TRUE(merged.Find("monitoring")->IsString());
  EXPECT_EQ(merged.Find("list")->items().size(), 1u);
}

TEST(ConfigValueTest, MergeKeysAddWhatTheMapDoesNotSet) {
  const ConfigValue doc = Parse(R"(
_base: &base {cpus: 1, mem: 512}
_more: &more {mem: 1024, disk: 10}
one:
  <<: *base
  cpus: 2
two:
  <<: [*base, *more]
)");
  EXPECT_EQ(doc.Find("one")->Find("cpus")->int_value(), 2);
  EXPECT_EQ(doc.Find("one")->Find("mem")->int_value(), 512);
  EXPECT_EQ(doc.Find("one")->Find("<<"), nullptr);
  // Earlier sources win, as PyYAML does.
  EXPECT_EQ(doc.Find("two")->Find("mem")->int_value(), 512);
  EXPECT_EQ(doc.Find("two")->Find("disk")->int_value(), 10);
  const auto bad = ParseYaml("a:\n  <<: 3\n", "m.yaml");
  EXPECT_EQ(bad.status().message(), "m.yaml:2: a merge key (<<) must name a map or a list of maps");
}

TEST(ConfigValueTest, JsonRoundTripsInOrder) {
  const auto parsed = ParseJson(R"({"z": 1, "a": [true, null, 2.5, "s"]})", "x.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToJson(), R"({"z":1,"a":[true,null,2.5,"s"]})");
  const auto bad = ParseJson("{", "broken.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().substr(0, 33), "broken.json: cannot parse JSON: [");
}

}  // namespace
TEST(Utf8Test, OnlyWellFormedUtf8IsAccepted) {
  EXPECT_EQ(InvalidUtf8Offset("plain ascii"), absl::string_view::npos);
  EXPECT_EQ(InvalidUtf8Offset("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), absl::string_view::npos);
  EXPECT_EQ(InvalidUtf8Offset("caf\xe9 x"), 3u);          // Latin-1
  EXPECT_EQ(InvalidUtf8Offset("ab\xc0\xaf"), 2u);         // overlong "/"
  EXPECT_EQ(InvalidUtf8Offset("\xed\xa0\x80"), 0u);       // a surrogate
  EXPECT_EQ(InvalidUtf8Offset("x\xf4\x90\x80\x80"), 1u);  // past U+10FFFF
  EXPECT_EQ(InvalidUtf8Offset("x\xe2\x82"), 1u);          // cut short

  const absl::StatusOr<ConfigValue> parsed = ParseYaml("main:\n  cmd: \"caf\xe9\"\n", "svc/marathon-x.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "svc/marathon-x.yaml:2:12: not valid UTF-8 (byte 0xE9): soa-configs must be UTF-8 text");
}

}  // namespace paasta::config
