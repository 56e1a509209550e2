#include "mloop/io/csv_reader.h"

#include <simdjson.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/strings.h"
#include "mloop/io/csv_record.h"

namespace mloop {

namespace {

constexpr size_t kBlockSize = size_t{16} << 20;  // bytes parsed per round
constexpr size_t kMinPartSize = size_t{256} << 10;

struct FieldRef {
  const char* begin;
  const char* end;
  bool quoted;
  bool escaped;  // contains doubled quotes to undo
};

enum class RowStatus { kOk, kUnterminatedQuote, kBadQuote };

struct Row {
  const char* begin = nullptr;  // row text, without its line terminator
  const char* end = nullptr;
  const char* next = nullptr;  // where the next row starts
  RowStatus status = RowStatus::kOk;
  const char* error_at = nullptr;
  int64_t line_breaks = 0;  // line breaks inside the row (within quoted fields), plus its end
};

// The first delimiter or '\n' in [p, end), or `end`. Unquoted fields are short, so this is the
// innermost loop of the reader: 16 bytes at a time where SSE2 is available.
inline const char* FindFieldEnd(const char* p, const char* end, char delim) {
#if defined(__SSE2__)
  const __m128i vd = _mm_set1_epi8(delim);
  const __m128i vn = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int mask =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, vd), _mm_cmpeq_epi8(chunk, vn)));
    if (mask) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != delim && *p != '\n') ++p;
  return p;
}

// Where a tokenised row holds a carriage return alone outside quotes (a \r that does not end
// the row), or null. One memchr over the row first: a \r\n file has a \r in every block.
const char* BareCarriageReturn(const Row& row, const std::vector<FieldRef>& fields) {
  if (row.status != RowStatus::kOk || !std::memchr(row.begin, '\r', row.end - row.begin)) {
    return nullptr;
  }
  for (const FieldRef& f : fields) {
    if (f.quoted) continue;
    if (const void* cr = std::memchr(f.begin, '\r', f.end - f.begin)) {
      return static_cast<const char*>(cr);
    }
  }
  return nullptr;
}

// Tokenises the row starting at `p`; `end` is a row boundary or the end of the input.
Row TokenizeRow(const char* p, const char* end, char delim, std::vector<FieldRef>& fields) {
  fields.clear();
  Row row;
  row.begin = p;
  while (true) {
    const char* fs = p;
    if (p < end && *p == '"') {
      ++p;
      bool escaped = false;
      while (true) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', end - p));
        if (!q) {
          row.status = RowStatus::kUnterminatedQuote;
          row.error_at = fs;
          row.end = row.next = end;
          for (const char* c = fs; c < end; ++c) row.line_breaks += (*c == '\n');
          return row;
        }
        if (q + 1 < end && q[1] == '"') {
          escaped = true;
          p = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
      for (const char* c = fs + 1; c < p - 1; ++c) row.line_breaks += (*c == '\n');
      fields.push_back({fs + 1, p - 1, true, escaped});
      if (p == end) {
        row.end = row.next = p;
        return row;
      }
      if (*p == delim) {
        ++p;
        continue;
      }
      if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
        row.end = p;
        row.next = (*p == '\r' && p + 1 < end) ? p + 2 : p + 1;
        row.line_breaks += 1;
        return row;
      }
      row.status = RowStatus::kBadQuote;
      row.error_at = p;
      // Resynchronise at the next line break so that a skipped row does not swallow the file.
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      row.next = nl ? nl + 1 : end;
      row.end = nl ? (nl > row.begin && nl[-1] == '\r' ? nl - 1 : nl) : end;
      if (nl) row.line_breaks += 1;
      return row;
    }
    p = FindFieldEnd(p, end, delim);
    const char* fe = p;
    if (fe > fs && fe[-1] == '\r' && (p == end || *p == '\n')) --fe;
    fields.push_back({fs, fe, false, false});
    if (p == end) {
      row.end = fe;
      row.next = end;
      return row;
    }
    if (*p == delim) {
      ++p;
      continue;
    }
    row.end = fe;
    row.next = p + 1;
    row.line_breaks += 1;
    return row;
  }
}

std::string_view FieldText(const FieldRef& f, std::string& scratch) {
  if (!f.escaped) return {f.begin, static_cast<size_t>(f.end - f.begin)};
  scratch.clear();
  for (const char* c = f.begin; c < f.end; ++c) {
    scratch += *c;
    if (*c == '"') ++c;  // doubled quote
  }
  return scratch;
}

// Start positions of rows after a cut: every row end in [p, end) at which the input may be split.
// Returns the end of the last complete row (or `end` at EOF), and fills `cuts` with up to
// `parts - 1` interior row boundaries spread evenly.
const char* FindCuts(const char* p, const char* end, char delim, bool eof, int parts,
                     std::vector<const char*>& cuts) {
  cuts.clear();
  const char* last = nullptr;
  if (!std::memchr(p, '"', end - p)) {
    if (eof) {
      last = end;
    } else {
      const char* nl = static_cast<const char*>(memrchr(p, '\n', end - p));
      if (!nl) return nullptr;
      last = nl + 1;
    }
    for (int k = 1; k < parts; ++k) {
      const char* target = p + (last - p) * k / parts;
      const char* nl = static_cast<const char*>(std::memchr(target, '\n', last - target));
      if (nl && nl + 1 < last && (cuts.empty() || nl + 1 > cuts.back())) cuts.push_back(nl + 1);
    }
    return last;
  }
  // Quotes present: record by record, so that line breaks inside fields are not cuts and the
  // blocks split where the tokenizer ends rows (bad rows included).
  std::vector<const char*> row_ends;
  for (const char* c = p; c < end;) {
    c = CsvRecordEnd(c, end, delim);
    if (!c) break;
    row_ends.push_back(c);
  }
  if (eof) {
    last = end;
  } else if (!row_ends.empty()) {
    last = row_ends.back();
  } else {
    return nullptr;
  }
  for (int k = 1; k < parts; ++k) {
    const char* target = p + (last - p) * k / parts;
    auto it = std::lower_bound(row_ends.begin(), row_ends.end(), target);
    if (it != row_ends.end() && *it < last && (cuts.empty() || *it > cuts.back())) {
      cuts.push_back(*it);
    }
  }
  return last;
}

char DetectDelimiter(const char* p, const char* end, bool eof) {
  static const char kCandidates[] = {',', ';', '\t', '|'};
  char best = ',';
  int64_t best_agree = 0, best_fields = 1;
  std::vector<FieldRef> fields;
  for (char d : kCandidates) {
    std::vector<size_t> counts;
    const char* q = p;
    while (q < end && counts.size() < 20) {
      Row row = TokenizeRow(q, end, d, fields);
      if (row.next == end && !eof) break;  // possibly incomplete row
      if (row.status == RowStatus::kOk && row.end > row.begin) counts.push_back(fields.size());
      q = row.next;
    }
    if (counts.empty()) continue;
    // The most common field count, and how many rows agree with it.
    std::vector<size_t> sorted = counts;
    std::sort(sorted.begin(), sorted.end());
    size_t mode = sorted[0], mode_n = 0;
    for (size_t i = 0; i < sorted.size();) {
      size_t j = i;
      while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
      if (j - i > mode_n) {
        mode_n = j - i;
        mode = sorted[i];
      }
      i = j;
    }
    if (mode <= 1) continue;
    auto agree = static_cast<int64_t>(mode_n);
    if (agree > best_agree || (agree == best_agree && static_cast<int64_t>(mode) > best_fields)) {
      best = d;
      best_agree = agree;
      best_fields = static_cast<int64_t>(mode);
    }
  }
  return best;
}

// Line and 1-based column of `at` inside a row starting at `row_begin` on line `row_line`.
void Locate(const char* row_begin, const char* at, int64_t row_line, int64_t* line,
            int64_t* column) {
  const char* line_start = row_begin;
  int64_t l = row_line;
  for (const char* c = row_begin; c < at; ++c) {
    if (*c == '\n') {
      ++l;
      line_start = c + 1;
    }
  }
  *line = l;
  *column = (at - line_start) + 1;
}

struct ColumnPlan {
  std::string name;
  DataType type;
  bool declared;
  // No value in the type sample: `type` is a placeholder (float64, as pandas), and the first
  // value read decides the type (a restart), as if it had been in the sample.
  bool unseen = false;
};

struct Plan {
  char delim;
  std::vector<ColumnPlan> columns;
  const MissingTokens* missing;
  int64_t avg_row_bytes;
  // The declared types are a model's or a fitted recipe's (ReadOptions::types_if_present).
  bool types_from_model = false;
};

struct ChunkOut {
  std::vector<ColumnBuilder> builders;
  std::vector<RejectedRow> rejected;  // `line` relative to the chunk's first line (0-based)
  std::vector<std::optional<DataType>> widen;  // per column: a wider inferred type is needed
  int64_t line_breaks = 0;
  bool failed = false;  // a bad row was found (the first one is rejected.front())
};

std::string Quoted(std::string_view text) {
  return "'" + Printable(text, 60) + "'";
}

void ParseChunk(const char* begin, const char* end, const Plan& plan, bool stop_at_first_error,
                ChunkOut& out) {
  const size_t ncols = plan.columns.size();
  out.widen.assign(ncols, std::nullopt);
  if (out.builders.size() != ncols) {
    // First block: make the per-thread builders. Later blocks reuse them and their capacity.
    const int64_t expected_rows = (end - begin) / std::max<int64_t>(plan.avg_row_bytes, 1) + 16;
    out.builders.clear();
    for (const auto& c : plan.columns) {
      out.builders.emplace_back(c.type);
      out.builders.back().Reserve(expected_rows);
    }
  }
  const bool utf8_ok = simdjson::validate_utf8(begin, end - begin);
  std::vector<FieldRef> fields;
  fields.reserve(ncols + 1);
  std::vector<TypedValue> cells(ncols);
  std::vector<std::string> scratch(ncols);
  // The row's values outside their column's type: they widen it only when the row is kept (a
  // row rejected under --on-bad-rows skip must not turn its column into text).
  std::vector<std::pair<size_t, DataType>> widen_row;
  int64_t line = 0;  // relative line of the current row

  auto reject = [&](const Row& row, const char* at, std::string reason) {
    RejectedRow r;
    int64_t col = 0;
    Locate(row.begin, at ? at : row.begin, line, &r.line, &col);
    r.column = at ? col : 0;
    r.reason = std::move(reason);
    r.text.assign(row.begin, row.end);
    out.rejected.push_back(std::move(r));
    out.failed = true;
  };

  // A carriage return alone outside quotes joins two lines into one row (files pasted
  // together; the first 64 KiB are checked before anything is read): looked for in a row only
  // when its block has a '\r' at all (a file with \r\n line ends: one memchr per row).
  const bool has_cr = std::memchr(begin, '\r', end - begin) != nullptr;
  const char* p = begin;
  while (p < end) {
    Row row = TokenizeRow(p, end, plan.delim, fields);
    p = row.next;
    const char* cr = has_cr ? BareCarriageReturn(row, fields) : nullptr;
    if (row.status == RowStatus::kUnterminatedQuote) {
      reject(row, row.error_at, kUnterminatedQuoteReason);
    } else if (row.status == RowStatus::kBadQuote && *row.error_at != '\r') {
      reject(row, row.error_at,
             "unexpected text after a closing quote (a quote inside a quoted field must be "
             "doubled: \"\")");
    } else if (cr || row.status == RowStatus::kBadQuote) {  // a \r alone after a closing quote
      reject(row, cr ? cr : row.error_at,
             "a line ends in a carriage return alone (\\r) where the others end in \\n; mloop "
             "reads \\n or \\r\\n (pandas would split the line there)");
    } else if (fields.size() == 1 && ncols > 1 && !fields[0].quoted &&
               std::all_of(row.begin, row.end, [](char c) { return c == ' ' || c == '\t'; })) {
      // Blank line (or spaces only, as batch transform and the server read it): skipped. With
      // one column it is a row whose value is missing (the CSV writer writes a missing string
      // that way), wherever it is.
    } else if (fields.size() != ncols) {
      const char* at = fields.size() > ncols ? fields[ncols].begin - 1 : row.end;
      auto count = [](size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); };
      reject(row, at,
             "expected " + count(ncols) + ", found " + std::to_string(fields.size()) +
                 (ncols == 1 ? " (the header reads as one column: is the delimiter another? "
                               "give --delimiter)"
                             : ""));
    } else {
      bool ok = true;
      widen_row.clear();
      for (size_t j = 0; j < ncols && ok; ++j) {
        const FieldRef& f = fields[j];
        std::string_view text = FieldText(f, scratch[j]);
        TypedValue& cell = cells[j];
        cell.valid = true;
        const ColumnPlan& cp = plan.columns[j];
        // A quoted field in a string column is always its literal text, so the string "NA"
        // survives a round trip; elsewhere a missing-value token means missing, quoted or not.
        if (plan.missing->IsMissingField(text, f.quoted, cp.type)) {
          cell.valid = false;
          continue;
        }
        if (cp.unseen) {  // the column's first value: its own type, not float64's join
          const DataType seen = InferValueType(text);
          widen_row.emplace_back(j, out.widen[j] ? JoinTypes(*out.widen[j], seen) : seen);
          cell.valid = false;
          continue;
        }
        bool parsed = ParseTyped(text, cp.type, cp.declared, &cell);
        if (parsed && cp.type == DataType::kFloat64 && !cp.declared && text.size() > 15 &&
            IsInexactInteger(text, cell.d)) {  // 15 digits or fewer are always exact
          parsed = false;  // an id beyond 2^53 would lose digits: the column becomes string
        }
        if (cp.type == DataType::kString && !utf8_ok &&
            !simdjson::validate_utf8(text.data(), text.size())) {
          reject(row, f.begin,
                 "invalid UTF-8 in column '" + cp.name +
                     "' (a Latin-1 or Windows-1252 file? convert it: iconv -f CP1252 -t UTF-8)");
          ok = false;
        }
        if (!parsed) {
          if (cp.declared) {
            reject(row, f.begin,
                   Quoted(text) + " is not a valid " + std::string(DataTypeName(cp.type)) +
                       " (column '" + cp.name +
                       (plan.types_from_model ? "' was " : "' is declared ") +
                       std::string(DataTypeName(cp.type)) +
                       (plan.types_from_model ? " in the data the model or recipe was fitted on)"
                                              : ")"));
            ok = false;
          } else {
            DataType current = out.widen[j].value_or(cp.type);
            DataType seen = InferValueType(text);
            // An integer that did not parse as a number type: beyond int64 in an int64 column
            // (float64 would round the others), or beyond float64's exact range in a float64
            // one. Only text keeps every digit.
            if ((cp.type == DataType::kInt64 || cp.type == DataType::kFloat64) &&
                IsIntegerLiteral(text)) {
              seen = DataType::kString;
            }
            widen_row.emplace_back(j, JoinTypes(current, seen));
            cell.valid = false;
          }
        }
      }
      if (ok) {
        for (const auto& [j, type] : widen_row) out.widen[j] = type;
        for (size_t j = 0; j < ncols; ++j) AppendTyped(out.builders[j], cells[j]);
      }
    }
    line += row.line_breaks;
    if (out.failed && stop_at_first_error) break;
  }
  out.line_breaks = line;
}

class CsvReader {
 public:
  CsvReader(const std::filesystem::path& path, const ReadOptions& options,
            const std::map<std::string, DataType>& widened)
      : path_(path), options_(options), widened_(widened) {}

  // Reads the file. Returns false when a value fell outside its inferred type; widened() then
  // holds the wider types and the caller reads again.
  bool Run(ReadResult* result);
  const std::map<std::string, DataType>& widened() const { return widened_; }

 private:
  // Appends input to buf_ until it holds at least `want` bytes after pos_, or the input ends.
  void Fill(size_t want);
  void ReadHeader();
  void InferTypes();
  [[noreturn]] void FailAt(int64_t line, const char* row_begin, const char* row_end, const char* at,
                           const std::string& reason, const std::string& hint = "");

  std::filesystem::path path_;
  const ReadOptions& options_;
  std::map<std::string, DataType> widened_;
  std::unique_ptr<ByteSource> source_;
  FileInfo info_;
  BigVector<char> buf_;  // resize() does not zero it
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  int64_t bytes_read_ = 0;
  int64_t line_ = 1;  // line of the row at pos_
  Plan plan_{};
};

void CsvReader::Fill(size_t want) {
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (buf_.size() < want + 1) buf_.resize(want + 1);
  while (!eof_ && end_ < want) {
    size_t n = source_->Read(buf_.data() + end_, buf_.size() - 1 - end_);
    if (n == 0) {
      eof_ = true;
      break;
    }
    end_ += n;
    bytes_read_ += static_cast<int64_t>(n);
  }
}

void CsvReader::FailAt(int64_t line, const char* row_begin, const char* row_end, const char* at,
                       const std::string& reason, const std::string& hint) {
  RejectedRow r;
  Locate(row_begin, at, line, &r.line, &r.column);
  r.reason = reason;
  r.text.assign(row_begin, row_end);
  throw DataError(FormatRowError(path_.string(), r), hint);
}

void CsvReader::ReadHeader() {
  const char* data = buf_.data();
  const char* end = data + end_;
  const char* p = data + pos_;
  std::vector<FieldRef> fields;
  Row row = TokenizeRow(p, end, plan_.delim, fields);
  while (row.end == row.begin && fields.size() == 1 && row.next < end) {  // leading blank lines
    line_ += row.line_breaks;
    p = row.next;
    row = TokenizeRow(p, end, plan_.delim, fields);
  }
  if (row.end == row.begin && fields.size() == 1) {
    throw DataError(path_.string() + ": the file has no rows (only blank lines)");
  }
  if (row.status == RowStatus::kUnterminatedQuote) {
    FailAt(line_, row.begin, row.end, row.error_at,
           "unterminated quoted field in the header: the quote opened here is never closed");
  }
  if (row.status == RowStatus::kBadQuote) {
    FailAt(line_, row.begin, row.end, row.error_at, "unexpected text after a closing quote");
  }
  std::vector<std::string> names;
  std::unordered_map<std::string, size_t> columns;  // name -> index, for duplicates
  std::string scratch;
  for (size_t j = 0; j < fields.size(); ++j) {
    if (!options_.header) {
      names.push_back("column_" + std::to_string(j + 1));
      continue;
    }
    std::string name(FieldText(fields[j], scratch));
    if (!simdjson::validate_utf8(name.data(), name.size())) {
      FailAt(line_, row.begin, row.end, fields[j].begin,
             "header: invalid UTF-8 in the name of column " + std::to_string(j + 1));
    }
    if (name.empty()) {
      FailAt(line_, row.begin, row.end, fields[j].begin,
             "header: column " + std::to_string(j + 1) + " has an empty name",
             j == 0 ? "pandas' to_csv writes its index as a first column without a name: save "
                      "with to_csv(..., index=False), or name the column in the header"
                    : "give every column a name in the header");
    }
    if (const auto [at, added] = columns.emplace(name, j); !added) {
      FailAt(line_, row.begin, row.end, fields[j].begin,
             "header: duplicate column name '" + name + "' (columns " +
                 std::to_string(at->second + 1) + " and " + std::to_string(j + 1) + ")",
             "rename one of them in the header");
    }
    names.push_back(std::move(name));
  }
  if (options_.header) {
    line_ += row.line_breaks;
    pos_ = row.next - data;
  } else {
    pos_ = p - data;
  }
  for (const auto& [name, type] : options_.types) {
    if (options_.types_if_present || options_.declared_if_present) break;
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw InvalidArgument("a type is declared for column '" + name + "', which " +
                                path_.string() + " does not have" + DidYouMean(name, names),
                            "columns: " + Join(names, ", "));
    }
  }
  for (const auto& [name, role] : options_.roles) {
    if (options_.declared_if_present) break;
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw InvalidArgument("a role is given for column '" + name + "', which " + path_.string() +
                                " does not have" + DidYouMean(name, names),
                            "columns: " + Join(names, ", "));
    }
  }
  plan_.columns.clear();
  for (auto& name : names) {
    auto it = options_.types.find(name);
    const bool declared = it != options_.types.end();
    plan_.columns.push_back({name,
                             declared                   ? it->second
                             : options_.undeclared_type ? *options_.undeclared_type
                                                        : DataType::kFloat64,
                             declared || options_.undeclared_type.has_value()});
  }
}

void CsvReader::InferTypes() {
  const size_t ncols = plan_.columns.size();
  std::vector<std::optional<DataType>> inferred(ncols);
  std::vector<char> quoted_token(ncols, 0);  // a quoted missing-value token was seen
  std::vector<FieldRef> fields;
  std::string scratch;
  const char* p = buf_.data() + pos_;
  const char* end = buf_.data() + end_;
  int64_t rows = 0;
  const char* start = p;
  while (p < end && rows < options_.sample_rows) {
    Row row = TokenizeRow(p, end, plan_.delim, fields);
    if (row.next == end && !eof_) break;  // may be incomplete
    p = row.next;
    if (row.status != RowStatus::kOk || fields.size() != ncols) continue;
    if (BareCarriageReturn(row, fields)) continue;  // rejected when read: it takes no part
    // A row whose declared column holds no value of its type is a bad row: its other values do
    // not take part (under --on-bad-rows skip, text there would make a number column text).
    bool bad = false;
    for (size_t j = 0; j < ncols && !bad; ++j) {
      const ColumnPlan& c = plan_.columns[j];
      if (!c.declared) continue;
      std::string_view text = FieldText(fields[j], scratch);
      TypedValue cell;
      bad = !options_.missing.IsMissingField(text, fields[j].quoted, c.type) &&
            !ParseTyped(text, c.type, true, &cell);
    }
    if (bad) continue;
    ++rows;
    for (size_t j = 0; j < ncols; ++j) {
      if (plan_.columns[j].declared) continue;
      std::string_view text = FieldText(fields[j], scratch);
      if (options_.missing.Contains(text)) {
        quoted_token[j] |= fields[j].quoted;
        continue;
      }
      DataType t = InferValueType(text);
      inferred[j] = inferred[j] ? JoinTypes(*inferred[j], t) : t;
    }
  }
  plan_.avg_row_bytes = rows > 0 ? std::max<int64_t>(1, (p - start) / rows) : 64;
  for (size_t j = 0; j < ncols; ++j) {
    ColumnPlan& c = plan_.columns[j];
    if (c.declared) continue;
    // A column with no value in the sample starts as float64, like pandas; a later value of
    // another kind widens it. One whose only values are quoted tokens ("NA", "") is text: the
    // tokens are its strings (as `data export` writes a string column of such values, so that
    // it reads back the same), not missing numbers.
    c.type = inferred[j].value_or(quoted_token[j] ? DataType::kString : DataType::kFloat64);
    auto w = widened_.find(c.name);
    if (w != widened_.end()) {
      c.type = inferred[j] || quoted_token[j] ? JoinTypes(c.type, w->second) : w->second;
    } else {
      c.unseen = !inferred[j] && !quoted_token[j];
    }
  }
}

bool CsvReader::Run(ReadResult* result) {
  source_ = OpenByteSource(path_, &info_);
  // A small file needs a small buffer: allocating and faulting in a whole block would dominate.
  size_t first = kBlockSize;
  if (info_.compression == Compression::kNone) {
    first = std::min<size_t>(kBlockSize, static_cast<size_t>(info_.size) + 1);
  }
  Fill(first);
  // UTF-8 byte order mark.
  if (end_ >= 3 && static_cast<unsigned char>(buf_[0]) == 0xEF &&
      static_cast<unsigned char>(buf_[1]) == 0xBB && static_cast<unsigned char>(buf_[2]) == 0xBF) {
    pos_ = 3;
  }
  if (pos_ == end_) throw DataError(path_.string() + ": the file is empty");
  if (end_ >= 2 && ((static_cast<unsigned char>(buf_[0]) == 0xFF &&
                     static_cast<unsigned char>(buf_[1]) == 0xFE) ||
                    (static_cast<unsigned char>(buf_[0]) == 0xFE &&
                     static_cast<unsigned char>(buf_[1]) == 0xFF))) {
    throw DataError(
        path_.string() + ": the file is UTF-16 (it starts with a UTF-16 byte order mark)",
        "convert it to UTF-8: iconv -f UTF-16 -t UTF-8 " + path_.string() + " > converted.csv");
  }
  {
    size_t probe = std::min<size_t>(end_ - pos_, 1 << 16);
    const void* nul = std::memchr(buf_.data() + pos_, '\0', probe);
    if (nul) {
      RefuseKnownBinaryFormat(path_, std::string_view(buf_.data(), end_));
      auto offset = static_cast<const char*>(nul) - buf_.data();
      throw DataError(path_.string() + ": this is not a text file (a NUL byte at offset " +
                          std::to_string(offset) + ")",
                      "mloop reads CSV, JSON Lines (.jsonl) and SQLite queries (--sql)");
    }
  }
  {
    // Lines that end in a carriage return alone (classic Mac OS): the whole file is one line.
    const size_t probe = std::min<size_t>(end_ - pos_, 1 << 16);
    const char* b = buf_.data() + pos_;
    const void* cr = std::memchr(b, '\r', probe);
    if (cr && !std::memchr(b, '\n', probe) && static_cast<const char*>(cr) + 1 < b + probe) {
      throw CarriageReturnLinesError(path_);
    }
  }
  plan_.delim = options_.delimiter ? options_.delimiter
                                   : DetectDelimiter(buf_.data() + pos_, buf_.data() + end_, eof_);
  {
    // Some lines ending in a carriage return alone among \n ones (files pasted together) would
    // join rows silently (a header swallowing the rows after it): a carriage return alone
    // outside quotes, in the first 64 KiB, is refused before the header is read (ParseChunk
    // rejects the rows after that that hold one). Quotes as the tokenizer reads them: one
    // opens a field only at its start, and "" inside is an escaped quote.
    const size_t probe = std::min<size_t>(end_ - pos_, 1 << 16);
    const char* b = buf_.data() + pos_;
    if (std::memchr(b, '\r', probe)) {
      bool quoted = false;
      bool field_start = true;
      int64_t line = 1;
      for (size_t i = 0; i + 1 < probe; ++i) {
        const char c = b[i];
        if (quoted) {
          if (c == '"') {
            if (b[i + 1] == '"') {
              ++i;
            } else {
              quoted = false;
            }
          }
          line += c == '\n';
          continue;
        }
        if (c == '"' && field_start) {
          quoted = true;
          field_start = false;
          continue;
        }
        line += c == '\n';
        if (c == '\r' && b[i + 1] != '\n') {
          throw DataError(path_.string() + ":" + std::to_string(line) +
                              ": a line ends in a carriage return alone (\\r) where the others "
                              "end in \\n; mloop reads \\n or \\r\\n (pandas would split the "
                              "line there)",
                          "convert them: sed 's/\\r$//' " + path_.string() +
                              " | tr '\\r' '\\n' > converted.csv");
        }
        field_start = c == '\n' || c == plan_.delim;
      }
    }
  }
  plan_.missing = &options_.missing;
  plan_.types_from_model = options_.types_if_present;
  ReadHeader();
  InferTypes();

  const size_t ncols = plan_.columns.size();
  std::vector<ColumnBuilder> builders;
  for (const auto& c : plan_.columns) builders.emplace_back(c.type);
  if (info_.compression == Compression::kNone && plan_.avg_row_bytes > 0) {
    int64_t estimate = info_.size / plan_.avg_row_bytes;
    for (auto& b : builders) b.Reserve(estimate + estimate / 32 + 16);
  }
  const int threads = options_.threads > 0 ? options_.threads : DefaultThreads();
  const bool fail_fast = options_.on_bad_rows == BadRowPolicy::kFail;
  std::vector<RejectedRow> rejected;
  std::vector<ChunkOut> outs(threads);
  std::vector<const char*> cuts;
  size_t block = kBlockSize;

  while (pos_ < end_ || !eof_) {
    const char* p = buf_.data() + pos_;
    const char* end = buf_.data() + end_;
    int parts = static_cast<int>(
        std::clamp<size_t>((end_ - pos_) / kMinPartSize, 1, static_cast<size_t>(threads)));
    const char* last = FindCuts(p, end, plan_.delim, eof_, parts, cuts);
    if (!last) {
      // Not one complete row in the buffer: a row longer than the block. Read more.
      block *= 2;
      Fill(end_ - pos_ + block);
      continue;
    }
    std::vector<const char*> bounds{p};
    bounds.insert(bounds.end(), cuts.begin(), cuts.end());
    bounds.push_back(last);
    const int n = static_cast<int>(bounds.size()) - 1;
    ParallelFor(n, threads,
                [&](int i) { ParseChunk(bounds[i], bounds[i + 1], plan_, fail_fast, outs[i]); });
    bool restart = false;
    for (int i = 0; i < n; ++i) {
      ChunkOut& out = outs[i];
      for (auto& r : out.rejected) {
        r.line += line_;
        if (fail_fast) throw DataError(FormatRowError(path_.string(), r));
        rejected.push_back(std::move(r));
      }
      out.rejected.clear();
      for (size_t j = 0; j < ncols; ++j) {
        if (!out.widen[j]) continue;
        // The next read uses the join of the current type and every value seen outside it.
        const std::string& name = plan_.columns[j].name;
        // A column without a value in the sample takes the type of its values alone.
        DataType wider = plan_.columns[j].unseen ? *out.widen[j]
                                                 : JoinTypes(plan_.columns[j].type, *out.widen[j]);
        if (wider == plan_.columns[j].type && !plan_.columns[j].unseen) {
          throw Internal("column '" + name + "' would be read again as " +
                         std::string(DataTypeName(wider)));  // never loop
        }
        auto it = widened_.find(name);
        widened_[name] = it == widened_.end() ? wider : JoinTypes(it->second, wider);
        restart = true;
      }
      if (restart) continue;
      for (size_t j = 0; j < ncols; ++j) builders[j].AppendAndClear(out.builders[j]);
      line_ += out.line_breaks;
    }
    if (restart) return false;
    pos_ = last - buf_.data();
    if (options_.progress) {
      options_.progress(bytes_read_, info_.compression == Compression::kNone ? info_.size : 0);
    }
    if (pos_ == end_ && eof_) break;
    Fill(block);
  }

  std::vector<Field> fields;
  std::vector<Column> columns;
  for (size_t j = 0; j < ncols; ++j) {
    Field f{plan_.columns[j].name, plan_.columns[j].type, Role::kFeature};
    auto r = options_.roles.find(f.name);
    if (r != options_.roles.end()) f.role = r->second;
    fields.push_back(std::move(f));
    columns.push_back(builders[j].Finish());
  }
  result->table = Table(Schema(std::move(fields)), std::move(columns));
  result->rejected = std::move(rejected);
  result->source = info_;
  result->delimiter = plan_.delim;
  return true;
}

}  // namespace

ReadResult ReadCsv(const std::filesystem::path& path, const ReadOptions& options) {
  std::map<std::string, DataType> widened;
  ReadResult result;
  for (int attempt = 0;; ++attempt) {
    CsvReader reader(path, options, widened);
    if (reader.Run(&result)) {
      result.restarts = attempt;
      return result;
    }
    widened = reader.widened();
  }
}

Error CarriageReturnLinesError(const std::filesystem::path& path) {
  return DataError(path.string() +
                       ": lines end in a carriage return alone (\\r, classic Mac OS line ends); "
                       "mloop reads \\n or \\r\\n",
                   "convert them: tr '\\r' '\\n' < " + path.string() + " > converted.csv");
}

}  // namespace mloop
