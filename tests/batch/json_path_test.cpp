#include "mloop/batch/json_path.h"

#include <gtest/gtest.h>

#include "mloop/core/error.h"
#include "test_util.h"

namespace mloop {
namespace {

std::vector<int> Select(const std::string& path, int64_t width,
                        const std::vector<std::string>* names = nullptr) {
  std::vector<int> out;
  std::string error;
  EXPECT_TRUE(JsonPath::Parse(path).SelectIndexes(width, names, &out, &error)) << error;
  return out;
}

std::string SelectError(const std::string& path, int64_t width,
                        const std::vector<std::string>* names = nullptr) {
  std::vector<int> out;
  std::string error;
  EXPECT_FALSE(JsonPath::Parse(path).SelectIndexes(width, names, &out, &error));
  return error;
}

std::string Apply(const std::string& path, const std::string& json) {
  JsonPathEvaluator eval;
  std::string out, error;
  EXPECT_TRUE(eval.Apply(JsonPath::Parse(path), json, &out, &error)) << error;
  return out;
}

std::string ApplyError(const std::string& path, const std::string& json) {
  JsonPathEvaluator eval;
  std::string out, error;
  EXPECT_FALSE(eval.Apply(JsonPath::Parse(path), json, &out, &error));
  return error;
}

std::string ParseError(const std::string& path) {
  try {
    JsonPath::Parse(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << path << " parsed";
  return {};
}

// The examples of SageMaker's documentation, on CSV fields.
TEST(BatchJsonPath, SelectsCsvFieldsLikeSageMaker) {
  EXPECT_EQ(Select("$", 4), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(Select("$[1:]", 4), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Select("$[0,2]", 4), (std::vector<int>{0, 2}));
  EXPECT_EQ(Select("$[-1]", 4), (std::vector<int>{3}));
  EXPECT_EQ(Select("$[1:3]", 4), (std::vector<int>{1, 2}));
  EXPECT_EQ(Select("$[0,5:]", 7), (std::vector<int>{0, 5, 6}));
  EXPECT_EQ(Select("$[:-2]", 4), (std::vector<int>{0, 1}));
  EXPECT_EQ(Select("$[*]", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(Select("$[ 2 , 0 ]", 3), (std::vector<int>{2, 0}));
  // Slices clamp, as Python's do; one that selects nothing is an error (blank output lines).
  EXPECT_EQ(SelectError("$[5:]", 3), "selects none of the record's 3 values");
  EXPECT_EQ(Select("$[1:9]", 3), (std::vector<int>{1, 2}));
  const std::vector<std::string> names = {"id", "a", "b"};
  EXPECT_EQ(Select("$['b','id']", 3, &names), (std::vector<int>{2, 0}));
  EXPECT_EQ(Select("$.a", 3, &names), (std::vector<int>{1}));
  const std::vector<std::string> twice = {"a", "a", "b"};
  EXPECT_EQ(SelectError("$['a','b']", 3, &twice),
            "the header names column 'a' twice: which one is meant?");
  EXPECT_EQ(SelectError("$[4]", 4), "index 4 is outside the record's 4 values");
  EXPECT_EQ(SelectError("$[-5]", 4), "index -5 is outside the record's 4 values");
  EXPECT_EQ(SelectError("$['id']", 4), "'id' is a name, and these records have no column names");
  EXPECT_TRUE(JsonPath::Parse("$").is_root());
  EXPECT_TRUE(JsonPath::Parse("$[1:]").is_flat());
  EXPECT_FALSE(JsonPath::Parse("$.a.b").is_flat());
}

TEST(BatchJsonPath, AppliesToJsonRecords) {
  const std::string record = R"({"id": 7, "features": {"x": 1.5, "y": [1, 2, 3]}, "tag": "a"})";
  EXPECT_EQ(Apply("$", record), R"({"id":7,"features":{"x":1.5,"y":[1,2,3]},"tag":"a"})");
  EXPECT_EQ(Apply("$.features", record), R"({"x":1.5,"y":[1,2,3]})");
  EXPECT_EQ(Apply("$.features.x", record), "1.5");
  EXPECT_EQ(Apply("$['id','tag']", record), R"({"id":7,"tag":"a"})");
  EXPECT_EQ(Apply("$.features.y[-1]", record), "3");
  EXPECT_EQ(Apply("$.features.y[1:]", record), "[2,3]");
  EXPECT_EQ(Apply("$.features.y[0,2]", record), "[1,3]");
  EXPECT_EQ(Apply("$.features.*", record), R"([1.5,[1,2,3]])");
  EXPECT_EQ(Apply("$[\"tag\"]", record), R"("a")");
  EXPECT_EQ(Apply("$[1:]", "[1, 2, 3]"), "[2,3]");
  EXPECT_EQ(ApplyError("$.nope", record), "no member 'nope' in the record");
  EXPECT_EQ(ApplyError("$['id','nope']", record), "no member 'nope' in the record");
  EXPECT_EQ(ApplyError("$.features.y[5]", record),
            "index 5 is outside '$.features.y' (3 elements)");
  EXPECT_EQ(ApplyError("$.tag.x", record), "'$.tag' is not an object (for 'x')");
  EXPECT_EQ(ApplyError("$.a", "{oops"), ApplyError("$", "{oops"));
  EXPECT_CONTAINS(ApplyError("$.a", "{oops"), "malformed JSON");
}

TEST(BatchJsonPath, RejectsWhatItDoesNotSupport) {
  EXPECT_CONTAINS(ParseError("features"), "at 1: a path starts with '$'");
  EXPECT_CONTAINS(ParseError("$[1:"), "at 5: expected ',' or ']'");
  EXPECT_CONTAINS(ParseError("$..x"), "'..' (recursive descent) is not supported");
  EXPECT_CONTAINS(ParseError("$[0:4:2]"), "slice steps");
  EXPECT_CONTAINS(ParseError("$[0,'a']"), "names and indexes cannot be mixed");
  EXPECT_CONTAINS(ParseError("$[1:].x"), "only the last step may select several values");
  EXPECT_CONTAINS(ParseError("$['a"), "unterminated quoted name");
  EXPECT_CONTAINS(ParseError("$[?(@.a)]"), "expected a quoted name, an index, a slice or '*'");
  EXPECT_CONTAINS(ParseError("$ x"), "expected '.' or '['");
  EXPECT_CONTAINS(ParseError("$[99999999999999999999]"),
                  "at 3: the index 99999999999999999999 is out of range");
}

}  // namespace
}  // namespace mloop
