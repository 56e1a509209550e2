#include "mloop/io/snapshot.h"

#include <gtest/gtest.h>

#include <cmath>

#include "mloop/core/error.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

Table SampleTable(int rows) {
  ColumnBuilder f(DataType::kFloat64), i(DataType::kInt64), b(DataType::kBool),
      s(DataType::kString), t(DataType::kTimestamp), z(DataType::kFloat64);
  for (int r = 0; r < rows; ++r) {
    if (r % 7 == 3) {
      f.AppendNull();
    } else {
      f.AppendDouble(r * 0.5 - 3);
    }
    i.AppendInt(int64_t{r} * 1000003 - 5);
    b.AppendBool(r % 3 == 0);
    if (r % 11 == 0) {
      s.AppendNull();
    } else {
      s.AppendString("cat" + std::to_string(r % 5) + (r % 2 ? "\n\"é\"" : ""));
    }
    t.AppendInt(int64_t{1700000000000000} + r);
    z.AppendDouble(0.0);  // compressible
  }
  Schema schema({{"f", DataType::kFloat64},
                 {"i", DataType::kInt64, Role::kId},
                 {"b", DataType::kBool},
                 {"s", DataType::kString, Role::kTarget},
                 {"t", DataType::kTimestamp, Role::kEventTime},
                 {"z", DataType::kFloat64}});
  return Table(schema, {f.Finish(), i.Finish(), b.Finish(), s.Finish(), t.Finish(), z.Finish()});
}

std::string Snapshot(const Table& t) {
  StringSink sink;
  WriteSnapshot(t, sink);
  return sink.bytes();
}

TEST(SnapshotTest, RoundTripsEveryTypeAndRole) {
  TempDir dir;
  Table t = SampleTable(5000);
  auto path = WriteFile(dir / "a.snap", Snapshot(t));
  Table back = ReadSnapshot(path);
  EXPECT_TRUE(back.Equals(t));
  EXPECT_EQ(back.schema().field(3).role, Role::kTarget);
  auto summary = ReadSnapshotSummary(path);
  EXPECT_EQ(summary.num_rows, 5000);
  EXPECT_EQ(summary.schema, t.schema());
  EXPECT_EQ(summary.format_version, kSnapshotFormatVersion);
}

TEST(SnapshotTest, WritingIsDeterministicAndSlicesAreCanonical) {
  Table t = SampleTable(1000);
  EXPECT_EQ(Snapshot(t), Snapshot(t));
  // A slice holds the same content as a table built from just those rows.
  Table slice = t.Slice(100, 50);
  Table rebuilt = SampleTable(1000).Slice(100, 50);
  EXPECT_EQ(Snapshot(slice), Snapshot(rebuilt));
  TempDir dir;
  EXPECT_TRUE(ReadSnapshot(WriteFile(dir / "s.snap", Snapshot(slice))).Equals(slice));
}

TEST(SnapshotTest, EmptyTable) {
  TempDir dir;
  Table t = SampleTable(0);
  EXPECT_TRUE(ReadSnapshot(WriteFile(dir / "e.snap", Snapshot(t))).Equals(t));
}

std::string ErrorOf(const std::filesystem::path& path) {
  try {
    ReadSnapshot(path);
  } catch (const Error& e) {
    return std::string(ErrorCodeName(e.code())) + ": " + e.what();
  }
  return "no error";
}

TEST(SnapshotTest, EveryFlippedByteIsDetected) {
  TempDir dir;
  std::string good = Snapshot(SampleTable(120));
  // Flip each byte in turn: no corruption is read as data.
  for (size_t pos = 0; pos < good.size(); ++pos) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5A);
    std::string msg = ErrorOf(WriteFile(dir / "bad.snap", bad));
    EXPECT_NE(msg, "no error") << "byte " << pos << " of " << good.size();
  }
}

TEST(SnapshotTest, TruncationAndForeignFilesAreReported) {
  TempDir dir;
  std::string good = Snapshot(SampleTable(100));
  EXPECT_NE(ErrorOf(WriteFile(dir / "t.snap", good.substr(0, good.size() / 2))).find("corruption"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WriteFile(dir / "x.snap", "a,b\n1,2\n")).find("not an mloop snapshot"),
            std::string::npos);
  std::string future = good;
  future[8] = 9;  // format version 9
  EXPECT_NE(ErrorOf(WriteFile(dir / "v.snap", future)).find("format version 9"), std::string::npos);
}

}  // namespace
}  // namespace mloop
