#include "mloop/core/table.h"

#include <gtest/gtest.h>

#include <cmath>

#include "mloop/core/error.h"

namespace mloop {
namespace {

Column Floats(std::initializer_list<double> values, std::initializer_list<int> missing = {}) {
  ColumnBuilder b(DataType::kFloat64);
  int i = 0;
  for (double v : values) {
    if (std::find(missing.begin(), missing.end(), i++) != missing.end()) {
      b.AppendNull();
    } else {
      b.AppendDouble(v);
    }
  }
  return b.Finish();
}

TEST(ColumnTest, MissingValuesAreExplicit) {
  Column c = Floats({1, 2, 3, 4}, {1, 3});
  EXPECT_EQ(c.size(), 4);
  EXPECT_EQ(c.null_count(), 2);
  EXPECT_TRUE(c.IsValid(0));
  EXPECT_FALSE(c.IsValid(1));
  EXPECT_TRUE(c.IsValid(2));
  EXPECT_FALSE(c.IsValid(3));
  EXPECT_EQ(c.f64()[2], 3);
}

TEST(ColumnTest, NoBitmapWithoutMissingValues) {
  Column c = Floats({1, 2});
  EXPECT_FALSE(c.has_nulls());
  EXPECT_EQ(c.MemoryBytes(), 16);
}

TEST(ColumnTest, NullAfterManyValuesKeepsEarlierValuesValid) {
  ColumnBuilder b(DataType::kInt64);
  for (int i = 0; i < 130; ++i) b.AppendInt(i);
  b.AppendNull();
  b.AppendInt(7);
  Column c = b.Finish();
  for (int i = 0; i < 130; ++i) ASSERT_TRUE(c.IsValid(i)) << i;
  EXPECT_FALSE(c.IsValid(130));
  EXPECT_TRUE(c.IsValid(131));
  EXPECT_EQ(c.null_count(), 1);
}

TEST(ColumnTest, SliceSharesValuesAndCountsItsOwnNulls) {
  Column c = Floats({1, 2, 3, 4, 5}, {0, 4});
  Column s = c.Slice(1, 3);
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.null_count(), 0);
  EXPECT_EQ(s.f64()[0], 2);
  EXPECT_EQ(s.f64(), c.f64() + 1);  // no copy
  EXPECT_THROW(c.Slice(3, 3), Error);
}

TEST(ColumnTest, StringsAreDictionaryEncoded) {
  ColumnBuilder b(DataType::kString);
  for (const char* s : {"red", "blue", "red", "red"}) b.AppendString(s);
  b.AppendNull();
  Column c = b.Finish();
  EXPECT_EQ(c.dictionary().size(), 2u);
  EXPECT_EQ(c.StringAt(2), "red");
  EXPECT_EQ(c.codes()[0], c.codes()[2]);
  EXPECT_FALSE(c.IsValid(4));
}

TEST(ColumnTest, AppendColumnRecodesStrings) {
  ColumnBuilder a(DataType::kString);
  a.AppendString("x");
  ColumnBuilder other(DataType::kString);
  other.AppendString("y");
  other.AppendString("x");
  a.AppendColumn(other.Finish());
  Column c = a.Finish();
  ASSERT_EQ(c.size(), 3);
  EXPECT_EQ(c.StringAt(1), "y");
  EXPECT_EQ(c.StringAt(2), "x");
  EXPECT_EQ(c.dictionary().size(), 2u);
}

TEST(ColumnTest, WrongTypedAccessThrows) {
  Column c = Floats({1});
  EXPECT_THROW(c.i64(), Error);
}

TEST(ColumnTest, ConvertIntToFloatKeepsMissing) {
  ColumnBuilder b(DataType::kInt64);
  b.AppendInt(3);
  b.AppendNull();
  b.ConvertTo(DataType::kFloat64);
  b.AppendDouble(1.5);
  Column c = b.Finish();
  EXPECT_EQ(c.type(), DataType::kFloat64);
  EXPECT_EQ(c.f64()[0], 3.0);
  EXPECT_FALSE(c.IsValid(1));
  EXPECT_EQ(c.f64()[2], 1.5);
}

TEST(TableTest, SchemaRejectsDuplicateAndEmptyNames) {
  EXPECT_THROW(Schema({{"a", DataType::kInt64}, {"a", DataType::kBool}}), Error);
  EXPECT_THROW(Schema({{"", DataType::kInt64}}), Error);
}

TEST(TableTest, ColumnsMustMatchSchema) {
  Schema schema({{"x", DataType::kFloat64}, {"y", DataType::kFloat64}});
  EXPECT_THROW(Table(schema, {Floats({1, 2}), Floats({1})}), Error);
  EXPECT_THROW(Table(schema, {Floats({1})}), Error);
  Schema ints({{"x", DataType::kInt64}});
  EXPECT_THROW(Table(ints, {Floats({1})}), Error);
}

TEST(TableTest, SelectSliceAndRoles) {
  Table t(Schema({{"x", DataType::kFloat64}, {"y", DataType::kFloat64}}),
          {Floats({1, 2, 3}), Floats({4, 5, 6})});
  Table s = t.Select({"y"}).Slice(1, 2);
  EXPECT_EQ(s.num_rows(), 2);
  EXPECT_EQ(s.column("y").f64()[0], 5);
  Table r = t.WithRole("y", Role::kTarget);
  EXPECT_EQ(r.schema().field(1).role, Role::kTarget);
  try {
    t.column("z");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  try {
    t.column("yy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'y'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mloop
