#include "mloop/data/schema_spec.h"

#include <gtest/gtest.h>

#include "mloop/core/error.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::string ErrorOf(const std::string& yaml) {
  TempDir dir;
  ReadOptions o;
  try {
    ApplySchemaFile(WriteFile(dir / "schema.yaml", yaml), o);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(SchemaSpecTest, TypesAndRoles) {
  TempDir dir;
  ReadOptions o;
  ApplySchemaFile(WriteFile(dir / "s.yaml",
                            "columns:\n  age: int64\n  churned: {type: bool, role: target}\n"
                            "  id: {role: id}\n"),
                  o);
  EXPECT_EQ(o.types.at("age"), DataType::kInt64);
  EXPECT_EQ(o.types.at("churned"), DataType::kBool);
  EXPECT_EQ(o.roles.at("churned"), Role::kTarget);
  EXPECT_EQ(o.roles.at("id"), Role::kId);
  EXPECT_EQ(o.types.count("id"), 0u);
}

TEST(SchemaSpecTest, MistakesNameTheLineAndTheNearestWord) {
  EXPECT_NE(ErrorOf("columns:\n  age: integr\n")
                .find(":2:8: unknown type 'integr' (did you mean "
                      "'integer'?)"),
            std::string::npos)
      << ErrorOf("columns:\n  age: integr\n");
  EXPECT_NE(ErrorOf("colums:\n  a: int64\n").find("did you mean 'columns'"), std::string::npos);
  EXPECT_NE(ErrorOf("columns:\n  a: {tpye: int64}\n").find("did you mean 'type'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("columns:\n  a: {role: targt}\n").find("did you mean 'target'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("columns:\n  a: {type: [int64]}\n").find("wrong shape"), std::string::npos);
  EXPECT_NE(ErrorOf("columns: [\n").find("invalid YAML"), std::string::npos);
}

TEST(SchemaSpecTest, FlagSpecs) {
  ReadOptions o;
  ApplyTypeSpec("when=datetime", o);
  EXPECT_EQ(o.types.at("when"), DataType::kTimestamp);
  ApplyRoleSpec("y=target", o);
  EXPECT_EQ(o.roles.at("y"), Role::kTarget);
  // A column name holding '=' (types and roles never do).
  ApplyTypeSpec("x=1=string", o);
  EXPECT_EQ(o.types.at("x=1"), DataType::kString);
  for (const char* bad : {"noequals", "=int64", "a="}) {
    try {
      ApplyTypeSpec(bad, o);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage);
    }
  }
}

}  // namespace
}  // namespace mloop
