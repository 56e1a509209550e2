#include "mloop/io/sql_source.h"

#include <simdjson.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <optional>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"

namespace mloop {

namespace {

struct DbHandle {
  sqlite3* db = nullptr;
  ~DbHandle() { sqlite3_close(db); }
};

struct StmtHandle {
  sqlite3_stmt* stmt = nullptr;
  ~StmtHandle() { sqlite3_finalize(stmt); }
};

// The error for a failed SQLite call, by SQLite's primary result code.
Error SqlError(sqlite3* db, int rc, const std::string& path, const std::string& sql) {
  const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xFF) {
    case SQLITE_NOTADB:
      return DataError(path + " is not a SQLite database (" + msg + ")");
    case SQLITE_CORRUPT:
      return DataError(path + ": the SQLite database is corrupt (" + msg + ")");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorCode::kUnavailable, path + ": the database is locked (" + msg + ")",
                   "retry when the process writing to it is done");
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
      return IoError("cannot read SQLite database '" + path + "': " + msg);
    default:
      return InvalidArgument("SQL error: " + msg + "\n  in query: " + Printable(sql, 200));
  }
}

// The values of one result column, as SQLite returned them.
struct RawColumn {
  std::string name;
  std::vector<uint8_t> kind;   // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_NULL
  std::vector<int64_t> bits;   // the integer, the double's bits, or the text's offset in `text`
  std::vector<uint32_t> size;  // text length
  std::string text;

  double Real(size_t i) const { return std::bit_cast<double>(bits[i]); }
  std::string_view Text(size_t i) const { return {text.data() + bits[i], size[i]}; }
};

// A value's text: integers and reals formatted, text as is.
std::string_view ValueText(const RawColumn& c, size_t i, std::string& scratch) {
  switch (c.kind[i]) {
    case SQLITE_INTEGER: {
      char buf[24];
      scratch.assign(buf, std::to_chars(buf, buf + sizeof buf, c.bits[i]).ptr);
      return scratch;
    }
    case SQLITE_FLOAT:
      scratch = FormatDouble(c.Real(i));
      return scratch;
    default:
      return c.Text(i);
  }
}

// A parsed value plus room for text that had to be built (escapes, numbers as text).
struct Cell : TypedValue {
  std::string scratch;
};

// Converts value `i` of `c` (not NULL) to `type`. Typed values map directly; with `declared`,
// the value's text is also parsed as in the CSV reader. Returns false when it does not fit.
bool ToCell(const RawColumn& c, size_t i, DataType type, bool declared, Cell* cell) {
  const int kind = c.kind[i];
  switch (type) {
    case DataType::kString:
      cell->s = ValueText(c, i, cell->scratch);
      return true;
    case DataType::kInt64:
      if (kind == SQLITE_INTEGER) {
        cell->i = c.bits[i];
        return true;
      }
      break;
    case DataType::kFloat64:
      if (kind == SQLITE_INTEGER || kind == SQLITE_FLOAT) {
        cell->d = kind == SQLITE_INTEGER ? static_cast<double>(c.bits[i]) : c.Real(i);
        return true;
      }
      break;
    case DataType::kTimestamp:
      if (kind == SQLITE_TEXT) return ParseTimestamp(c.Text(i), declared, &cell->i);
      break;
    case DataType::kBool:
      break;
  }
  if (!declared) return false;
  std::string_view text = ValueText(c, i, cell->scratch);
  return ParseTyped(text, type, /*declared=*/true, cell);
}

// The type a value suggests; nullopt for NULL.
std::optional<DataType> ValueType(const RawColumn& c, size_t i) {
  switch (c.kind[i]) {
    case SQLITE_INTEGER:
      return DataType::kInt64;
    case SQLITE_FLOAT:
      return DataType::kFloat64;
    case SQLITE_TEXT: {
      int64_t micros;
      std::string_view s = c.Text(i);
      return s.size() >= 10 && ParseTimestamp(s, false, &micros) ? DataType::kTimestamp
                                                                 : DataType::kString;
    }
    default:
      return std::nullopt;
  }
}

// The type of a column without values, from its declared SQL type (SQLite's affinity rules).
DataType TypeFromDeclaration(const char* decl) {
  std::string d = decl ? decl : "";
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char ch) { return std::toupper(ch); });
  if (d.find("INT") != std::string::npos) return DataType::kInt64;
  if (d.find("CHAR") != std::string::npos || d.find("CLOB") != std::string::npos ||
      d.find("TEXT") != std::string::npos) {
    return DataType::kString;
  }
  return DataType::kFloat64;
}

// The join of the types of the kept values of `c`; without any, the declaration's affinity.
DataType InferType(const RawColumn& c, const std::vector<bool>& keep, const char* declaration) {
  std::optional<DataType> type;
  bool big_int = false;
  for (size_t i = 0; i < c.kind.size(); ++i) {
    if (!keep[i]) continue;
    std::optional<DataType> t = ValueType(c, i);
    if (t) type = type ? JoinTypes(*type, *t) : *t;
    big_int = big_int || (c.kind[i] == SQLITE_INTEGER &&
                          (c.bits[i] > (int64_t{1} << 53) || c.bits[i] < -(int64_t{1} << 53)));
  }
  // Integers beyond 2^53 among reals: float64 would round them, so the column is text with
  // every digit, as the CSV and JSON Lines readers keep it.
  if (type == DataType::kFloat64 && big_int) return DataType::kString;
  return type ? *type : TypeFromDeclaration(declaration);
}

Column BuildColumn(const RawColumn& c, const std::vector<bool>& keep, DataType type,
                   bool declared) {
  ColumnBuilder b(type);
  b.Reserve(static_cast<int64_t>(c.kind.size()));
  Cell cell;
  for (size_t i = 0; i < c.kind.size(); ++i) {
    if (!keep[i]) continue;
    if (c.kind[i] == SQLITE_NULL) {
      b.AppendNull();
      continue;
    }
    if (!ToCell(c, i, type, declared, &cell)) {
      throw Internal("SQL source: a value of column '" + c.name + "' does not fit its type");
    }
    cell.valid = true;
    AppendTyped(b, cell);
  }
  return b.Finish();
}

// A result row as SQL literals, for a rejected row: 1, 2.5, 'text', NULL.
std::string RowText(const std::vector<RawColumn>& columns, size_t i) {
  std::string out, scratch;
  for (size_t j = 0; j < columns.size(); ++j) {
    if (j > 0) out += ", ";
    const RawColumn& c = columns[j];
    if (c.kind[i] == SQLITE_NULL) {
      out += "NULL";
    } else if (c.kind[i] == SQLITE_TEXT) {
      out += '\'';
      for (char ch : c.Text(i)) out += ch == '\'' ? std::string("''") : std::string(1, ch);
      out += '\'';
    } else {
      out += ValueText(c, i, scratch);
    }
  }
  return out;
}

// Which rows to keep: false for a row with a value outside its declared type, which is added to
// `rejected` (BadRowPolicy::kSkip) or thrown as a DataError (kFail).
std::vector<bool> CheckDeclaredTypes(const std::vector<RawColumn>& raw,
                                     const std::vector<std::optional<DataType>>& declared,
                                     const std::string& path, const ReadOptions& options,
                                     std::vector<RejectedRow>* rejected) {
  const size_t nrows = raw[0].kind.size();
  std::vector<bool> keep(nrows, true);
  Cell cell;
  for (size_t i = 0; i < nrows; ++i) {
    for (size_t j = 0; j < raw.size(); ++j) {
      const RawColumn& c = raw[j];
      if (c.kind[i] == SQLITE_TEXT) {
        // As the CSV and JSON Lines readers: text is UTF-8, or the row is bad (SQLite stores
        // whatever bytes it was given, latin-1 included).
        std::string scratch;
        const std::string_view text = ValueText(c, i, scratch);
        if (!simdjson::validate_utf8(text.data(), text.size())) {
          RejectedRow r;
          r.line = static_cast<int64_t>(i + 1);
          r.reason = "result row " + std::to_string(i + 1) + ": the text of '" + c.name +
                     "' is not valid UTF-8 (" + Printable(text, 60) + ")";
          r.text = ToValidUtf8(RowText(raw, i));
          if (options.on_bad_rows == BadRowPolicy::kFail) throw DataError(FormatRowError(path, r));
          rejected->push_back(std::move(r));
          keep[i] = false;
          break;
        }
      }
      if (!declared[j] || c.kind[i] == SQLITE_NULL || ToCell(c, i, *declared[j], true, &cell)) {
        continue;
      }
      const std::string type(DataTypeName(*declared[j]));
      std::string scratch;
      RejectedRow r;
      r.line = static_cast<int64_t>(i + 1);
      r.reason = "result row " + std::to_string(i + 1) + ": value for '" + c.name + "' (" +
                 Printable(ValueText(c, i, scratch), 60) + ") is not a valid " + type +
                 " (the column is declared " + type + ")";
      r.text = RowText(raw, i);
      if (options.on_bad_rows == BadRowPolicy::kFail) throw DataError(FormatRowError(path, r));
      rejected->push_back(std::move(r));
      keep[i] = false;
      break;
    }
  }
  return keep;
}

FileInfo StatFile(const std::filesystem::path& db) {
  struct stat st;
  if (::stat(db.c_str(), &st) != 0) throw IoErrorFromErrno("cannot stat", db.string());
  if (!S_ISREG(st.st_mode)) throw InvalidArgument("'" + db.string() + "' is not a file");
  FileInfo info;
  info.path = db.string();
  info.size = static_cast<int64_t>(st.st_size);
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return info;
}

// Prepares the one statement of `sql`; rejects empty input, several statements and writes.
void Prepare(sqlite3* db, const std::string& path, const std::string& sql, StmtHandle* out) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &out->stmt, &tail);
  if (rc != SQLITE_OK) throw SqlError(db, rc, path, sql);
  if (!out->stmt) throw InvalidArgument("the SQL query is empty");
  StmtHandle rest;
  rc = sqlite3_prepare_v2(db, tail, -1, &rest.stmt, nullptr);
  if (rc != SQLITE_OK || rest.stmt) {
    throw InvalidArgument("the SQL query must be a single statement, but more follows: " +
                          Printable(std::string_view(tail), 60));
  }
  if (!sqlite3_stmt_readonly(out->stmt)) {
    throw InvalidArgument("the SQL query must only read data (use SELECT): " + Printable(sql, 200));
  }
  if (sqlite3_column_count(out->stmt) == 0) {
    throw InvalidArgument("the SQL statement returns no columns: " + Printable(sql, 200));
  }
}

// Names of the result columns; empty or duplicate names are a DataError.
std::vector<std::string> ColumnNames(sqlite3_stmt* stmt) {
  std::vector<std::string> names;
  const int n = sqlite3_column_count(stmt);
  for (int j = 0; j < n; ++j) {
    const char* name = sqlite3_column_name(stmt, j);
    if (!name || !*name) {
      throw DataError("column " + std::to_string(j + 1) + " of the query result has no name",
                      "name it with AS, e.g. SELECT count(*) AS n");
    }
    for (size_t k = 0; k < names.size(); ++k) {
      if (names[k] == name) {
        throw DataError("the query result has two columns named '" + std::string(name) +
                            "' (columns " + std::to_string(k + 1) + " and " +
                            std::to_string(j + 1) + ")",
                        "give them distinct names with AS, e.g. SELECT a.id AS a_id, b.id AS b_id");
      }
    }
    names.emplace_back(name);
  }
  return names;
}

void CheckDeclaredNames(const ReadOptions& options, const std::vector<std::string>& names) {
  auto known = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (const auto& [name, type] : options.types) {
    if (!known(name)) {
      throw InvalidArgument("a type is declared for column '" + name +
                                "', which the query result does not have" + DidYouMean(name, names),
                            "columns: " + Join(names, ", "));
    }
  }
  for (const auto& [name, role] : options.roles) {
    if (!known(name)) {
      throw InvalidArgument("a role is given for column '" + name +
                                "', which the query result does not have" + DidYouMean(name, names),
                            "columns: " + Join(names, ", "));
    }
  }
}

// Runs the statement to the end, storing every value.
void Fetch(sqlite3* db, sqlite3_stmt* stmt, const std::string& path, const std::string& sql,
           std::vector<RawColumn>& columns) {
  for (size_t row = 1;; ++row) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return;
    if (rc != SQLITE_ROW) throw SqlError(db, rc, path, sql);
    for (size_t j = 0; j < columns.size(); ++j) {
      RawColumn& c = columns[j];
      const int kind = sqlite3_column_type(stmt, static_cast<int>(j));
      int64_t bits = 0;
      uint32_t size = 0;
      if (kind == SQLITE_INTEGER) {
        bits = sqlite3_column_int64(stmt, static_cast<int>(j));
      } else if (kind == SQLITE_FLOAT) {
        bits = std::bit_cast<int64_t>(sqlite3_column_double(stmt, static_cast<int>(j)));
      } else if (kind == SQLITE_TEXT) {
        const auto* p =
            reinterpret_cast<const char*>(sqlite3_column_text(stmt, static_cast<int>(j)));
        size = static_cast<uint32_t>(sqlite3_column_bytes(stmt, static_cast<int>(j)));
        bits = static_cast<int64_t>(c.text.size());
        c.text.append(p, size);
      } else if (kind == SQLITE_BLOB) {
        throw DataError(
            "column '" + c.name + "' of the query result holds a BLOB (result row " +
                std::to_string(row) + "); mloop reads numbers and text only",
            "convert it in the query, e.g. hex(" + c.name + ") or CAST(" + c.name + " AS TEXT)");
      }
      c.kind.push_back(static_cast<uint8_t>(kind));
      c.bits.push_back(bits);
      c.size.push_back(size);
    }
  }
}

}  // namespace

ReadResult ReadSqlQuery(const std::filesystem::path& db, const std::string& sql,
                        const ReadOptions& options) {
  const std::string path = db.string();
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    throw NotFound("SQLite database '" + path + "' does not exist");
  }
  ReadResult result;
  result.source = StatFile(db);

  DbHandle handle;
  int rc = sqlite3_open_v2(path.c_str(), &handle.db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) throw SqlError(handle.db, rc, path, sql);
  sqlite3_busy_timeout(handle.db, 5000);
  // Reading the schema checks that the file is a database, whatever the query touches.
  rc = sqlite3_exec(handle.db, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw SqlError(handle.db, rc, path, sql);
  StmtHandle stmt;
  Prepare(handle.db, path, sql, &stmt);
  const std::vector<std::string> names = ColumnNames(stmt.stmt);
  CheckDeclaredNames(options, names);

  std::vector<RawColumn> raw(names.size());
  for (size_t j = 0; j < names.size(); ++j) raw[j].name = names[j];
  Fetch(handle.db, stmt.stmt, path, sql, raw);
  const size_t ncols = raw.size();

  std::vector<std::optional<DataType>> declared(ncols);
  for (size_t j = 0; j < ncols; ++j) {
    auto it = options.types.find(names[j]);
    if (it != options.types.end()) declared[j] = it->second;
  }

  const std::vector<bool> keep = CheckDeclaredTypes(raw, declared, path, options, &result.rejected);

  std::vector<Field> fields;
  std::vector<Column> columns;
  for (size_t j = 0; j < ncols; ++j) {
    const DataType type =
        declared[j]
            ? *declared[j]
            : InferType(raw[j], keep, sqlite3_column_decltype(stmt.stmt, static_cast<int>(j)));
    Field f{names[j], type, Role::kFeature};
    auto role = options.roles.find(names[j]);
    if (role != options.roles.end()) f.role = role->second;
    fields.push_back(std::move(f));
    columns.push_back(BuildColumn(raw[j], keep, type, declared[j].has_value()));
  }
  result.table = Table(Schema(std::move(fields)), std::move(columns));
  return result;
}

}  // namespace mloop
