#include "mloop/io/sql_source.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "mloop/core/error.h"
#include "mloop/core/time.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

class SqlSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "data.db";
    Exec(
        "CREATE TABLE t (id INTEGER, x REAL, s TEXT, ts TEXT, mix, num, b INTEGER);"
        "INSERT INTO t VALUES (1, 1.5, 'a', '2024-01-02', 1, 1, 1);"
        "INSERT INTO t VALUES (2, NULL, 'b''c', '2024-01-03T04:05:06Z', 'text', 2.5, 0);"
        "INSERT INTO t VALUES (3, -2.0, NULL, NULL, 2.5, NULL, NULL);"
        "CREATE TABLE empty (n INTEGER, r REAL, s VARCHAR(10), other BLOB);"
        "CREATE TABLE blobs (id INTEGER, data BLOB);"
        "INSERT INTO blobs VALUES (1, x'00ff');");
  }

  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  ReadResult Query(const std::string& sql, ReadOptions options = {}) {
    return ReadSqlQuery(db_, sql, options);
  }

  Error ErrorOf(const std::string& sql, ReadOptions options = {}) {
    try {
      Query(sql, options);
    } catch (const Error& e) {
      return e;
    }
    return Error(ErrorCode::kInternal, "no error");
  }

  TempDir dir_;
  std::filesystem::path db_;
};

bool Contains(const Error& e, const std::string& text) {
  return std::string(e.what()).find(text) != std::string::npos;
}

TEST_F(SqlSourceTest, TypesFromValues) {
  auto r = Query("SELECT * FROM t ORDER BY id");
  const Table& t = r.table;
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.schema().names(),
            (std::vector<std::string>{"id", "x", "s", "ts", "mix", "num", "b"}));
  EXPECT_EQ(t.column("id").type(), DataType::kInt64);
  EXPECT_EQ(t.column("x").type(), DataType::kFloat64);
  EXPECT_EQ(t.column("s").type(), DataType::kString);
  EXPECT_EQ(t.column("ts").type(), DataType::kTimestamp);
  EXPECT_EQ(t.column("mix").type(), DataType::kString);
  EXPECT_EQ(t.column("num").type(), DataType::kFloat64);  // INTEGER + REAL
  EXPECT_EQ(t.column("b").type(), DataType::kInt64);
  EXPECT_EQ(t.column("id").i64()[2], 3);
  EXPECT_EQ(t.column("x").f64()[2], -2.0);
  EXPECT_FALSE(t.column("x").IsValid(1));
  EXPECT_EQ(t.column("s").StringAt(1), "b'c");
  EXPECT_FALSE(t.column("s").IsValid(2));
  EXPECT_EQ(t.column("ts").i64()[0], DaysFromCivil(2024, 1, 2) * 86400 * int64_t{1000000});
  EXPECT_EQ(t.column("mix").StringAt(0), "1");
  EXPECT_EQ(t.column("mix").StringAt(1), "text");
  EXPECT_EQ(t.column("mix").StringAt(2), "2.5");
  EXPECT_EQ(t.column("num").f64()[0], 1.0);
  EXPECT_EQ(r.source.path, db_.string());
  EXPECT_EQ(r.source.size, static_cast<int64_t>(std::filesystem::file_size(db_)));
  EXPECT_GT(r.source.mtime_ns, 0);
}

TEST_F(SqlSourceTest, ExpressionsAndAliases) {
  auto r = Query("SELECT id * 2 AS twice, upper(s) AS S, 1.0 * id AS f FROM t WHERE id < 3");
  EXPECT_EQ(r.table.schema().names(), (std::vector<std::string>{"twice", "S", "f"}));
  EXPECT_EQ(r.table.column("twice").i64()[1], 4);
  EXPECT_EQ(r.table.column("S").StringAt(0), "A");
  EXPECT_EQ(r.table.column("f").type(), DataType::kFloat64);
}

TEST_F(SqlSourceTest, EmptyResultTakesTypesFromDeclarations) {
  auto r = Query("SELECT n, r, s FROM empty");
  EXPECT_EQ(r.table.num_rows(), 0);
  EXPECT_EQ(r.table.column("n").type(), DataType::kInt64);
  EXPECT_EQ(r.table.column("r").type(), DataType::kFloat64);
  EXPECT_EQ(r.table.column("s").type(), DataType::kString);
}

TEST_F(SqlSourceTest, DeclaredTypesAndRoles) {
  ReadOptions o;
  o.types = {{"id", DataType::kString}, {"b", DataType::kBool}, {"num", DataType::kInt64}};
  o.roles = {{"b", Role::kTarget}};
  auto r = Query("SELECT id, b, CAST(id AS TEXT) || '' AS num FROM t ORDER BY id", o);
  EXPECT_EQ(r.table.column("id").StringAt(0), "1");
  EXPECT_EQ(r.table.column("b").type(), DataType::kBool);
  EXPECT_EQ(r.table.column("b").bools()[0], 1);
  EXPECT_FALSE(r.table.column("b").IsValid(2));
  EXPECT_EQ(r.table.column("num").i64()[2], 3);
  EXPECT_EQ(r.table.schema().field(1).role, Role::kTarget);
}

TEST_F(SqlSourceTest, DeclaredTimestampTakesEpochSeconds) {
  ReadOptions o;
  o.types = {{"when", DataType::kTimestamp}};
  auto r = Query("SELECT 1700000000 AS \"when\" UNION ALL SELECT '2024-01-01'", o);
  EXPECT_EQ(r.table.column("when").i64()[0], int64_t{1700000000} * 1000000);
}

TEST_F(SqlSourceTest, ValueOutsideDeclaredTypeIsABadRow) {
  ReadOptions o;
  o.types = {{"s", DataType::kInt64}};
  Error e = ErrorOf("SELECT id, s FROM t ORDER BY id", o);
  EXPECT_EQ(e.code(), ErrorCode::kDataError);
  EXPECT_TRUE(Contains(e, "data.db:1: result row 1: value for 's' (a) is not a valid int64"))
      << e.what();
  EXPECT_TRUE(Contains(e, "1 | 1, 'a'")) << e.what();

  o.on_bad_rows = BadRowPolicy::kSkip;
  auto r = Query("SELECT id, s FROM t ORDER BY id", o);
  EXPECT_EQ(r.table.num_rows(), 1);  // only the NULL passes
  EXPECT_FALSE(r.table.column("s").IsValid(0));
  EXPECT_EQ(r.table.column("id").i64()[0], 3);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[1].line, 2);
  EXPECT_EQ(r.rejected[1].text, "2, 'b''c'");
}

// SQLite keeps whatever bytes it was given: text that is not UTF-8 (latin-1 "München") is a bad
// row, as in a CSV or JSON Lines file, rather than a dataset no export can write.
TEST_F(SqlSourceTest, TextThatIsNotUtf8IsABadRow) {
  Exec(
      "CREATE TABLE c (id INTEGER, name TEXT);"
      "INSERT INTO c VALUES (1, CAST(x'4dfc6e6368656e' AS TEXT)), (2, 'Köln');");
  Error e = ErrorOf("SELECT * FROM c ORDER BY id");
  EXPECT_EQ(e.code(), ErrorCode::kDataError);
  EXPECT_TRUE(Contains(e, "result row 1: the text of 'name' is not valid UTF-8")) << e.what();
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  auto r = Query("SELECT * FROM c ORDER BY id", o);
  ASSERT_EQ(r.table.num_rows(), 1);
  EXPECT_EQ(r.table.column("name").StringAt(0), "Köln");
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].line, 1);
}

// An integer beyond 2^53 among reals would be rounded as float64: the column is text with every
// digit, as in a CSV or JSON Lines file.
TEST_F(SqlSourceTest, BigIntegersAmongRealsKeepEveryDigit) {
  auto r = Query("SELECT 9007199254740993 AS id UNION ALL SELECT 0.5");
  EXPECT_EQ(r.table.column("id").type(), DataType::kString);
  EXPECT_EQ(r.table.column("id").StringAt(0), "9007199254740993");
  r = Query("SELECT 9007199254740992 AS id UNION ALL SELECT 0.5");
  EXPECT_EQ(r.table.column("id").type(), DataType::kFloat64);
}

TEST_F(SqlSourceTest, MissingFileIsNotFoundAndNotCreated) {
  Error e(ErrorCode::kInternal, "no error");
  try {
    ReadSqlQuery(dir_ / "nope.db", "SELECT 1", {});
  } catch (const Error& err) {
    e = err;
  }
  EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nope.db"));
}

TEST_F(SqlSourceTest, SqlErrorsNameTheQuery) {
  Error e = ErrorOf("SELEC id FROM t");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(e, "syntax error")) << e.what();
  EXPECT_TRUE(Contains(e, "SELEC id FROM t")) << e.what();

  e = ErrorOf("SELECT * FROM nope");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(e, "no such table: nope")) << e.what();

  e = ErrorOf("SELECT 1; SELECT 2");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(e, "single statement")) << e.what();

  e = ErrorOf("  -- nothing\n");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(e, "empty")) << e.what();

  // A trailing semicolon is fine.
  EXPECT_EQ(Query("SELECT 1 AS one;  ").table.num_rows(), 1);
}

TEST_F(SqlSourceTest, WritesAreRefusedAndTheDatabaseIsUnchanged) {
  Error e = ErrorOf("DELETE FROM t");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Query("SELECT count(*) AS n FROM t").table.column("n").i64()[0], 3);
  e = ErrorOf("CREATE TABLE u (a)");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
}

TEST_F(SqlSourceTest, DuplicateColumnNamesSuggestAliases) {
  Error e = ErrorOf("SELECT t.id, t2.id FROM t JOIN t AS t2 ON t.id = t2.id");
  EXPECT_EQ(e.code(), ErrorCode::kDataError);
  EXPECT_TRUE(Contains(e, "two columns named 'id'")) << e.what();
  EXPECT_NE(e.hint().find("AS"), std::string::npos);
}

TEST_F(SqlSourceTest, BlobIsADataErrorNamingTheColumn) {
  Error e = ErrorOf("SELECT id, data FROM blobs");
  EXPECT_EQ(e.code(), ErrorCode::kDataError);
  EXPECT_TRUE(Contains(e, "column 'data'")) << e.what();
  EXPECT_TRUE(Contains(e, "BLOB")) << e.what();
  // Converted in the query, it reads.
  EXPECT_EQ(Query("SELECT hex(data) AS h FROM blobs").table.column("h").StringAt(0), "00FF");
}

TEST_F(SqlSourceTest, UnknownDeclaredColumnNamesTheNearest) {
  ReadOptions o;
  o.types = {{"idd", DataType::kInt64}};
  Error e = ErrorOf("SELECT id FROM t", o);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(e, "did you mean 'id'")) << e.what();
  ReadOptions r;
  r.roles = {{"xx", Role::kTarget}};
  EXPECT_EQ(ErrorOf("SELECT id, x FROM t", r).code(), ErrorCode::kInvalidArgument);
}

TEST_F(SqlSourceTest, NotADatabase) {
  WriteFile(dir_ / "text.db", "id,x\n1,2\n");
  try {
    ReadSqlQuery(dir_ / "text.db", "SELECT 1", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDataError);
    EXPECT_TRUE(Contains(e, "not a SQLite database")) << e.what();
  }
}

TEST_F(SqlSourceTest, ManyRows) {
  Exec(
      "CREATE TABLE big (i INTEGER, f REAL, s TEXT);"
      "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 99999) "
      "INSERT INTO big SELECT n, n * 0.5, 'v' || (n % 10) FROM c;");
  auto r = Query("SELECT * FROM big ORDER BY i");
  ASSERT_EQ(r.table.num_rows(), 100000);
  EXPECT_EQ(r.table.column("i").i64()[99999], 99999);
  EXPECT_EQ(r.table.column("f").f64()[3], 1.5);
  EXPECT_EQ(r.table.column("s").StringAt(13), "v3");
  EXPECT_EQ(r.table.column("s").dictionary().size(), 10u);
}

}  // namespace
}  // namespace mloop
