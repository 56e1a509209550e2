#include "mloop/store/config.h"

#include <gtest/gtest.h>

#include "mloop/core/error.h"

namespace mloop {
namespace {

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ConfigTest, DefaultFileParsesToDefaults) {
  Config c = ParseConfig(DefaultConfigYaml(), "mloop.yaml");
  EXPECT_EQ(c.metadata_uri, "default");
  EXPECT_EQ(c.on_bad_rows, BadRowPolicy::kFail);
  // pandas' tokens, written out in the file (a workspace made before keeps its own list).
  EXPECT_EQ(c.missing_values, DefaultMissingTokens());
  EXPECT_EQ(ParseConfig("version: 1\n", "mloop.yaml").missing_values, DefaultMissingTokens());
  EXPECT_EQ(c.threads, 0);
}

TEST(ConfigTest, UnknownKeysNameTheNearestValidKeyAndPosition) {
  std::string msg = ErrorOf([] { ParseConfig("ingest:\n  on_bad_row: skip\n", "mloop.yaml"); });
  EXPECT_NE(msg.find("mloop.yaml:2:3: unknown key 'ingest.on_bad_row' (did you mean "
                     "'ingest.on_bad_rows'?)"),
            std::string::npos)
      << msg;
  msg = ErrorOf([] { ParseConfig("thread: 2\n", "mloop.yaml"); });
  EXPECT_NE(msg.find("did you mean 'threads'"), std::string::npos) << msg;
}

TEST(ConfigTest, BadValuesAreExplained) {
  EXPECT_NE(ErrorOf([] { ParseConfig("threads: many\n", "f"); }).find("whole number"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseConfig("ingest: {on_bad_rows: ignore}\n", "f"); }).find("'skip'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseConfig("version: 7\n", "f"); }).find("version 7"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseConfig("a: [\n", "f"); }).find("invalid YAML"), std::string::npos);
  for (const char* bad : {"-1", "nan", "1e9", "10s", ""}) {
    EXPECT_NE(ErrorOf([&] {
                ParseConfig(std::string("stores: {lock_timeout_seconds: '") + bad + "'}\n", "f");
              }).find("lock_timeout_seconds must be a number of seconds from 0 to 3600"),
              std::string::npos)
        << bad;
  }
  EXPECT_EQ(ParseConfig("stores: {lock_timeout_seconds: 0.5}\n", "f").lock_timeout_seconds, 0.5);
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  Config c = ParseConfig("threads: 2\n", "f");
  ApplyEnvironment(c, {{"MLOOP_THREADS", "3"},
                       {"MLOOP_INGEST_ON_BAD_ROWS", "skip"},
                       {"MLOOP_INGEST_MISSING_VALUES", ",-"},
                       {"MLOOP_WORKSPACE", "/x"},
                       {"PATH", "/bin"}});
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.on_bad_rows, BadRowPolicy::kSkip);
  EXPECT_EQ(c.missing_values, (std::vector<std::string>{"", "-"}));
  std::string msg = ErrorOf([&] { ApplyEnvironment(c, {{"MLOOP_THREAD", "1"}}); });
  EXPECT_NE(msg.find("did you mean 'MLOOP_THREADS'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace mloop
