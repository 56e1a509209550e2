#include "mloop/batch/worker.h"

#include <fast_float/fast_float.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/jsonl_writer.h"
#include "mloop/io/value_parse.h"

namespace mloop::batch_internal {

namespace {

constexpr std::string_view kMalformedCsv = "malformed CSV (an unterminated or misplaced quote)";

// --- CSV text -----------------------------------------------------------------------------------

// As WriteCsv quotes: a delimiter, quote or line break inside, a space or tab at either end, or
// text a reader would take for a missing value.
bool NeedsQuotes(std::string_view s) {
  static const MissingTokens tokens;
  if (tokens.Contains(s)) return true;
  if (s.find_first_of(",\"\r\n") != std::string_view::npos) return true;
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  return blank(s.front()) || blank(s.back());
}

void AppendCsvText(std::string_view s, std::string* out) {
  if (!NeedsQuotes(s)) {
    *out += s;
    return;
  }
  *out += '"';
  for (char c : s) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

// FormatDouble without the allocation: shortest round trip, ".0" on integral values.
void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    *out += "nan";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "inf" : "-inf";
    return;
  }
  char buf[32];
  char* end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out->append(buf, end);
  bool integral = true;
  for (char* p = buf; p < end && integral; ++p) integral = (*p >= '0' && *p <= '9') || *p == '-';
  if (integral) *out += ".0";
}

// Writes the cells of one table as CSV fields; string dictionaries are quoted once.
class CsvCells {
 public:
  // Strings are quoted as they are written: a batch is a slice of a table whose dictionary
  // may hold a value per row of the whole table (ids), so nothing is prepared per entry.
  explicit CsvCells(const Table& table) : table_(table) {}

  void Append(int c, int64_t row, std::string* out) const {
    const Column& col = table_.column(c);
    if (!col.IsValid(row)) return;
    switch (col.type()) {
      case DataType::kFloat64:
        AppendDouble(col.f64()[row], out);
        return;
      case DataType::kInt64: {
        char buf[24];
        out->append(buf, std::to_chars(buf, buf + sizeof buf, col.i64()[row]).ptr);
        return;
      }
      case DataType::kBool:
        *out += col.bools()[row] ? "true" : "false";
        return;
      case DataType::kString:
        AppendCsvText(col.dictionary()[col.codes()[row]], out);
        return;
      case DataType::kTimestamp:
        *out += CellToString(col, row);
        return;
    }
  }

  // The whole row, comma-separated.
  void AppendRow(int64_t row, std::string* out) const {
    for (int c = 0; c < table_.num_columns(); ++c) {
      if (c) *out += ',';
      Append(c, row, out);
    }
  }

 private:
  const Table& table_;
};

// Splits a CSV line into its fields as written (quotes kept). False when it is not valid CSV.
bool SplitCsvRaw(std::string_view line, std::vector<std::string_view>* out) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    if (i < n && line[i] == '"') {
      size_t j = i + 1;
      while (true) {
        if (j >= n) return false;
        if (line[j] == '"') {
          if (j + 1 < n && line[j + 1] == '"') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      out->push_back(line.substr(i, j + 1 - i));
      i = j + 1;
      if (i == n) return true;
      if (line[i] != ',') return false;
      ++i;
      continue;
    }
    const size_t d = line.find(',', i);
    if (d == std::string_view::npos) {
      out->push_back(line.substr(i));
      return true;
    }
    out->push_back(line.substr(i, d - i));
    i = d + 1;
  }
}

std::string_view TrimJson(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// SageMaker's join of a JSON record with its prediction.
void JoinJson(std::string_view input, std::string_view prediction, std::string* out) {
  input = TrimJson(input);
  if (input.size() >= 2 && input.front() == '{' && input.back() == '}') {
    const bool empty = TrimJson(input.substr(1, input.size() - 2)).empty();
    *out += empty ? std::string_view("{") : input.substr(0, input.size() - 1);
    if (!empty) *out += ',';
    *out += "\"SageMakerOutput\":";
    *out += prediction;
    *out += '}';
    return;
  }
  *out += "{\"SageMakerInput\":";
  *out += input;
  *out += ",\"SageMakerOutput\":";
  *out += prediction;
  *out += '}';
}

// Why one record alone could not be predicted. The model numbers the rows it was given ("row 1,
// feature 'x': inf is infinite"); of one record that number is not its line, which the errors
// file gives, so it goes.
std::string OneRecordReason(const Error& e) {
  return std::string(SplitRowMessage(e.what()).second);
}

std::string ProblemReason(const RecordProblem& p) {
  return p.field.empty() ? p.message : "field '" + p.field + "': " + p.message;
}

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

JsonPath ParseFilter(const std::string& text, const char* flag) {
  try {
    return JsonPath::Parse(text);
  } catch (const Error& e) {
    throw UsageError(std::string(flag) + ": " + e.what(), e.hint());
  }
}

void RequireFlat(const JsonPath& path, const char* flag, const char* what) {
  if (path.is_flat()) return;
  throw UsageError(std::string(flag) + " '" + path.text() + "': " + what +
                       " is a flat list of values: use $, $[0,2], $[1:], $[-1] or $['name',...]",
                   "member paths ($.a.b) are for JSON records");
}

}  // namespace

void AppendErrorLine(int64_t line, std::string_view reason, std::string_view text,
                     std::string* out) {
  *out += "{\"line\":";
  *out += std::to_string(line);
  *out += ",\"reason\":";
  AppendJsonString(*out, reason);  // bytes that are not UTF-8 become U+FFFD
  if (simdjson::validate_utf8(text.data(), text.size())) {
    *out += ",\"text\":";
    AppendJsonString(*out, text);
  } else {
    *out += ",\"text_base64\":\"";
    *out += Base64(text);
    *out += '"';
  }
  *out += "}\n";
}

// --- The plan -----------------------------------------------------------------------------------

TransformPlan MakePlan(const Predictor& predictor, const TransformOptions& options, InputKind input,
                       const std::string* header_text, const Table* table) {
  TransformPlan p;
  p.predictor = &predictor;
  p.options = options;
  p.input = input;
  p.csv_out = options.accept == RecordFormat::kCsv;
  p.join = options.join_source == JoinSource::kInput;
  p.input_filter = ParseFilter(options.input_filter, "--input-filter");
  p.output_filter = ParseFilter(options.output_filter, "--output-filter");
  p.inputs = predictor.inputs();
  for (const auto& f : OutputSchema(predictor.target())) {
    p.prediction_names.push_back(f.at("name").get<std::string>());
  }
  if (predictor.task() == Task::kBinary || predictor.task() == Task::kMulticlass) {
    p.write_options.label_type = predictor.target().type;
  }
  if (p.join && input == InputKind::kCsv && !p.csv_out) {
    throw UsageError(
        "--join-source Input joins each record in the input's format: CSV input needs "
        "--accept text/csv",
        "or leave out --join-source to write JSON predictions only");
  }
  if (p.join && input == InputKind::kJson && p.csv_out) {
    throw UsageError(
        "--join-source Input joins each record in the input's format: JSON input needs "
        "--accept application/jsonlines",
        "or leave out --join-source to write CSV predictions only");
  }

  // The input side: which fields the model gets.
  std::vector<std::string> header_names;     // unquoted
  std::vector<std::string_view> header_raw;  // as written
  if (input == InputKind::kCsv) {
    RequireFlat(p.input_filter, "--input-filter", "a CSV record");
    if (header_text) {
      std::vector<std::string_view> fields;
      std::vector<std::string> scratch;
      if (!SplitCsvLine(*header_text, ',', &fields, &scratch) ||
          !SplitCsvRaw(*header_text, &header_raw)) {
        throw DataError("the header row is not valid CSV (an unterminated or misplaced quote)");
      }
      for (auto f : fields) header_names.emplace_back(f);
      p.header = true;
      p.header_width = static_cast<int64_t>(header_names.size());
      std::vector<int> picked;
      std::string error;
      if (!p.input_filter.SelectIndexes(p.header_width, &header_names, &picked, &error)) {
        throw UsageError("--input-filter '" + p.input_filter.text() + "': " + error +
                         " (the header has " + std::to_string(p.header_width) + " columns)");
      }
      std::vector<std::string> visible;
      for (int i : picked) visible.push_back(header_names[static_cast<size_t>(i)]);
      for (const Field& f : p.inputs) {
        int found = -1;
        for (size_t k = 0; k < picked.size(); ++k) {
          if (visible[k] != f.name) continue;
          if (found >= 0) {
            throw DataError("the header names column '" + f.name + "' twice; the model takes one");
          }
          found = picked[k];
        }
        if (found < 0) {
          std::string msg = "the input has no column '" + f.name +
                            "', which the model takes as input" + DidYouMean(f.name, visible);
          if (!p.input_filter.is_root())
            msg += " (after --input-filter " + p.input_filter.text() + ")";
          // One header field holding tabs or semicolons: another delimiter, not a missing header.
          for (const char d : {'\t', ';', '|'}) {
            if (header_names.size() == 1 && header_names[0].find(d) != std::string::npos) {
              throw DataError(msg + "; the header is one field holding " +
                                  (d == '\t' ? std::string("tabs") : "'" + std::string(1, d) + "'"),
                              "transform reads comma-separated CSV (SageMaker's text/csv); "
                              "convert the file, or use `mloop predict`, which detects the "
                              "delimiter");
            }
          }
          throw DataError(msg,
                          "a CSV file without a header row needs --no-header (its values in the "
                          "model's input order)");
        }
        p.field_of_input.push_back(found);
      }
    } else if (p.input_filter.selects_names()) {
      throw UsageError("--input-filter '" + p.input_filter.text() +
                       "' selects columns by name, and without a header row they have none");
    }
  } else if (input == InputKind::kTable) {
    RequireFlat(p.input_filter, "--input-filter", "a dataset's row");
    header_names = table->schema().names();
    std::vector<int> picked;
    std::string error;
    if (!p.input_filter.SelectIndexes(static_cast<int64_t>(header_names.size()), &header_names,
                                      &picked, &error)) {
      throw UsageError("--input-filter '" + p.input_filter.text() + "': " + error +
                       " (the dataset has " + std::to_string(header_names.size()) + " columns)");
    }
    for (int i : picked) p.model_columns.push_back(header_names[static_cast<size_t>(i)]);
    for (const Field& f : p.inputs) {
      if (std::find(p.model_columns.begin(), p.model_columns.end(), f.name) ==
          p.model_columns.end()) {
        throw DataError("the dataset has no column '" + f.name +
                        "', which the model takes as input" + DidYouMean(f.name, p.model_columns));
      }
    }
  }

  // The fast way for CSV records of numbers: an empty field is missing there, and any number is
  // a value, so not for a model whose missing-value tokens say otherwise (--na -999).
  const auto& tokens = predictor.missing_tokens().tokens();
  const bool numbers_are_values = std::none_of(tokens.begin(), tokens.end(), [](const auto& t) {
    double v;
    return ParseFloat64(t, &v) && std::isfinite(v);
  });
  if (input == InputKind::kCsv && (p.header || p.input_filter.is_root()) &&
      predictor.missing_tokens().Contains("") && numbers_are_values &&
      std::all_of(p.inputs.begin(), p.inputs.end(),
                  [](const Field& f) { return f.type == DataType::kFloat64; })) {
    p.fast_csv = true;
    p.fast_width = p.header ? p.header_width : static_cast<int64_t>(p.inputs.size());
    p.field_target.assign(static_cast<size_t>(p.fast_width), -1);
    for (size_t i = 0; i < p.inputs.size(); ++i) {
      const int f = p.header ? p.field_of_input[i] : static_cast<int>(i);
      p.field_target[static_cast<size_t>(f)] = static_cast<int>(i);
    }
    const auto& encoded = predictor.encoding().inputs();
    p.fast_encode = predictor.encodes_records() && encoded.size() == p.inputs.size() &&
                    std::equal(encoded.begin(), encoded.end(), p.inputs.begin(),
                               [](const Field& a, const Field& b) { return a.name == b.name; });
  }

  // The output side.
  if (p.csv_out) {
    RequireFlat(p.output_filter, "--output-filter", "a CSV output record");
    std::vector<std::string> pred_names = p.prediction_names;
    bool names_known = true;
    std::vector<std::string> out_names;
    if (p.join) {
      names_known = input == InputKind::kTable || p.header;
      for (std::string& name : pred_names) {
        while (std::find(header_names.begin(), header_names.end(), name) != header_names.end()) {
          name = "predicted_" + name;
        }
      }
      out_names = header_names;
    }
    out_names.insert(out_names.end(), pred_names.begin(), pred_names.end());
    if (names_known) {
      std::string error;
      if (!p.output_filter.SelectIndexes(static_cast<int64_t>(out_names.size()), &out_names,
                                         &p.output_indexes, &error)) {
        throw UsageError("--output-filter '" + p.output_filter.text() + "': " + error +
                         " (the output has " + std::to_string(out_names.size()) +
                         " columns: " + Join(out_names, ", ") + ")");
      }
      p.output_indexes_fixed = true;
    } else if (p.output_filter.selects_names()) {
      throw UsageError("--output-filter '" + p.output_filter.text() +
                       "' selects columns by name, and without a header row the input's have none");
    }
    const bool header = (input == InputKind::kCsv && p.header) || input == InputKind::kTable;
    if (header) {
      std::string line;
      const size_t in_width = p.join ? header_names.size() : 0;
      if (p.join && input == InputKind::kCsv && p.output_filter.is_root()) {
        line = *header_text;
        for (const std::string& name : pred_names) {
          line += ',';
          AppendCsvText(name, &line);
        }
      } else {
        for (size_t k = 0; k < p.output_indexes.size(); ++k) {
          if (k) line += ',';
          const size_t i = static_cast<size_t>(p.output_indexes[k]);
          if (i < in_width) {
            if (input == InputKind::kCsv) {
              line += header_raw[i];
            } else {
              AppendCsvText(header_names[i], &line);
            }
          } else {
            AppendCsvText(pred_names[i - in_width], &line);
          }
        }
      }
      p.header_line = line + "\n";
    }
  } else if (!p.join && !p.output_filter.is_root()) {
    // The prediction object's members are known: check the filter against one now.
    std::string sample = "{";
    for (size_t i = 0; i < p.prediction_names.size(); ++i) {
      if (i) sample += ',';
      AppendJsonString(sample, p.prediction_names[i]);
      sample += ":0";
    }
    sample += '}';
    JsonPathEvaluator eval;
    std::string out, error;
    if (!eval.Apply(p.output_filter, sample, &out, &error)) {
      throw UsageError("--output-filter '" + p.output_filter.text() + "': " + error +
                       " (a prediction has " + Join(p.prediction_names, ", ") + ")");
    }
  }
  return p;
}

// --- The worker ---------------------------------------------------------------------------------

struct Worker::State {
  explicit State(const TransformPlan& p) : plan(p), batch(p.inputs, p.predictor->missing_tokens()) {
    batch.IgnoreUnknownMembers(true);   // an id or the label beside the inputs, as in a CSV file
    batch.ReadStringsAsDeclared(true);  // "5.1" for a number, as predict reads JSON Lines
    if (plan.fast_csv) {
      for (size_t i = 0; i < plan.inputs.size(); ++i) builders.emplace_back(DataType::kFloat64);
      staged.resize(plan.inputs.size());
      staged_missing.resize(plan.inputs.size());
      typed.resize(plan.inputs.size());
      encoded.cols = static_cast<int64_t>(plan.predictor->encoding().feature_names().size());
    }
  }

  const TransformPlan& plan;
  RecordBatch batch;
  JsonPathEvaluator eval;
  std::vector<std::string_view> fields, values, raw;
  std::vector<std::string> scratch;
  std::vector<char> quoted, values_quoted;  // which fields / values were quoted in the CSV
  std::vector<int> in_indexes, out_indexes;
  int64_t in_width = -1, out_width = -1;  // what in_indexes / out_indexes were resolved for
  std::string text, doc, error;
  simdjson::dom::parser join_parser;

  struct Failure {
    int64_t position;  // in the unit, for the order of the errors file
    int64_t line;
    std::string reason;
    std::string text;
    int64_t weight = 1;  // failed records it counts for (see MalformedAcrossLines)
  };
  std::vector<Failure> failures;
  std::vector<int64_t> ok;  // positions parsed into `batch`, in order

  // The fast way (plan.fast_csv): records parsed into these builders.
  std::vector<ColumnBuilder> builders;
  std::vector<double> staged;
  std::vector<char> staged_missing;
  // plan.fast_encode: records encoded into these rows instead (encoded.rows of them so far).
  DenseMatrix encoded;
  std::vector<TypedValue> typed;

  // Room for one more encoded row; returns it.
  double* NextEncodedRow() {
    const size_t need = static_cast<size_t>((encoded.rows + 1) * encoded.cols);
    if (encoded.data.size() < need) encoded.data.resize(std::max(need, encoded.data.size() * 2));
    return encoded.data.data() + encoded.rows++ * encoded.cols;
  }

  // A CSV record of plain numbers (or empty fields) straight into `builders`; false, with
  // nothing appended, for anything else.
  bool FastParse(std::string_view record) {
    if (std::memchr(record.data(), '"', record.size())) return false;
    const char* p = record.data();
    const char* const end = p + record.size();
    int64_t f = 0;
    while (true) {
      if (f >= plan.fast_width) return false;
      const int target = plan.field_target[static_cast<size_t>(f)];
      if (target >= 0) {
        if (p == end || *p == ',') {
          staged_missing[static_cast<size_t>(target)] = 1;
        } else {
          double v = 0;
          const char* ptr = internal::ParseShortDecimal(p, end, &v);
          if (!ptr) {
            const auto parsed = fast_float::from_chars(p, end, v);
            if (parsed.ec != std::errc() || !std::isfinite(v)) return false;
            ptr = parsed.ptr;
          }
          if (ptr != end && *ptr != ',') return false;
          staged[static_cast<size_t>(target)] = v;
          staged_missing[static_cast<size_t>(target)] = 0;
          p = ptr;
        }
      } else {
        const void* comma = std::memchr(p, ',', static_cast<size_t>(end - p));
        p = comma ? static_cast<const char*>(comma) : end;
      }
      ++f;
      if (p == end) break;
      ++p;  // the comma
    }
    if (f != plan.fast_width) return false;
    if (plan.fast_encode) {
      for (size_t i = 0; i < typed.size(); ++i) {
        typed[i].valid = !staged_missing[i];
        typed[i].d = staged[i];
      }
      plan.predictor->encoding().EncodeRow(typed.data(), NextEncodedRow());
      return true;
    }
    for (size_t i = 0; i < builders.size(); ++i) {
      if (staged_missing[i]) {
        builders[i].AppendNull();
      } else {
        builders[i].AppendDouble(staged[i]);
      }
    }
    return true;
  }

  // The records parsed so far as the model's input table.
  Table TakeTable() {
    if (!plan.fast_csv) return batch.Finish();
    std::vector<Field> fields = plan.inputs;
    std::vector<Column> columns;
    for (size_t i = 0; i < builders.size(); ++i) {
      fields[i].role = Role::kFeature;
      columns.push_back(builders[i].Finish());
      builders[i] = ColumnBuilder(DataType::kFloat64);
      builders[i].Reserve(columns.back().size());  // the next batch is likely as long
    }
    return Table(Schema(std::move(fields)), std::move(columns));
  }

  // A malformed CSV record that spans several lines: a stray quote joined the lines after it
  // (to the next quote, or the end of the input) into one record. Each of those lines was
  // probably a record of its own, so it counts for one failed record per line, and the error
  // budget sees them; the errors file keeps the record's first kKeptBytes.
  static constexpr size_t kKeptBytes = 1024;
  Failure MalformedAcrossLines(int64_t position, const RecordSpan& s, std::string_view text) {
    Failure f{position, s.line,
              std::string(kMalformedCsv) + ": its quotes join lines " + std::to_string(s.line) +
                  " to " + std::to_string(s.line + s.lines - 1) + " (" + std::to_string(s.lines) +
                  " lines, counted as that many failed records)",
              std::string(text.substr(0, kKeptBytes)), s.lines};
    if (text.size() > kKeptBytes) {
      f.reason += "; text holds its first " + std::to_string(kKeptBytes) + " bytes";
    }
    return f;
  }

  // Parses one record into `batch`; the reason when it cannot be.
  std::optional<std::string> Parse(std::string_view record) {
    std::optional<RecordProblem> problem;
    if (plan.input == InputKind::kCsv) {
      if (!SplitCsvLine(record, ',', &fields, &scratch, &quoted)) {
        return std::string(kMalformedCsv);
      }
      if (plan.header) {
        if (static_cast<int64_t>(fields.size()) != plan.header_width) {
          return "has " + std::to_string(fields.size()) + " field" +
                 (fields.size() == 1 ? "" : "s") + ", the header has " +
                 std::to_string(plan.header_width);
        }
        values.clear();
        values_quoted.clear();
        for (int f : plan.field_of_input) {
          values.push_back(fields[static_cast<size_t>(f)]);
          values_quoted.push_back(quoted[static_cast<size_t>(f)]);
        }
        problem = batch.AppendValues(values, 1, &values_quoted);
      } else if (plan.input_filter.is_root()) {
        problem = batch.AppendValues(fields, 1, &quoted);
      } else {
        const auto width = static_cast<int64_t>(fields.size());
        if (width != in_width) {
          if (!plan.input_filter.SelectIndexes(width, nullptr, &in_indexes, &error)) {
            in_width = -1;
            return "--input-filter '" + plan.input_filter.text() + "': " + error;
          }
          in_width = width;
        }
        values.clear();
        values_quoted.clear();
        for (int i : in_indexes) {
          values.push_back(fields[static_cast<size_t>(i)]);
          values_quoted.push_back(quoted[static_cast<size_t>(i)]);
        }
        problem = batch.AppendValues(values, 1, &values_quoted);
      }
    } else {
      if (plan.input_filter.is_root()) {
        problem = batch.AppendJson(record, 1);
      } else {
        doc.clear();
        if (!eval.Apply(plan.input_filter, record, &doc, &error)) {
          if (error.rfind("malformed JSON", 0) == 0) return error;
          return "--input-filter '" + plan.input_filter.text() + "': " + error;
        }
        problem = batch.AppendJson(doc, 1);
      }
    }
    if (problem) return ProblemReason(*problem);
    return std::nullopt;
  }

  // Appends the output line of one record (its input text for a join; its prediction at `row` of
  // `pred`) to *out; the reason when the output filter cannot apply.
  std::optional<std::string> Emit(std::string_view input, const Table& pred, const CsvCells& cells,
                                  int64_t row, std::string* out) {
    const int pw = pred.num_columns();
    if (plan.csv_out) {
      if (!plan.join) {
        for (size_t k = 0; k < plan.output_indexes.size(); ++k) {
          if (k) *out += ',';
          cells.Append(plan.output_indexes[k], row, out);
        }
        *out += '\n';
        return std::nullopt;
      }
      if (plan.output_filter.is_root()) {
        *out += input;
        for (int c = 0; c < pw; ++c) {
          *out += ',';
          cells.Append(c, row, out);
        }
        *out += '\n';
        return std::nullopt;
      }
      if (!SplitCsvRaw(input, &raw)) return std::string(kMalformedCsv);
      const auto width = static_cast<int64_t>(raw.size()) + pw;
      const std::vector<int>* indexes = &plan.output_indexes;
      if (!plan.output_indexes_fixed) {
        if (width != out_width) {
          if (!plan.output_filter.SelectIndexes(width, nullptr, &out_indexes, &error)) {
            out_width = -1;
            return "--output-filter '" + plan.output_filter.text() + "': " + error +
                   " (input and prediction joined)";
          }
          out_width = width;
        }
        indexes = &out_indexes;
      }
      for (size_t k = 0; k < indexes->size(); ++k) {
        if (k) *out += ',';
        const auto i = static_cast<size_t>((*indexes)[k]);
        if (i < raw.size()) {
          *out += raw[i];
        } else {
          cells.Append(static_cast<int>(i - raw.size()), row, out);
        }
      }
      *out += '\n';
      return std::nullopt;
    }
    text.clear();
    WritePredictionObject(pred, row, plan.write_options, &text);
    std::string_view object = text;
    if (plan.join) {
      // An input object holding SageMakerOutput already would carry the key twice, and most
      // readers keep only the last: the input's own value would be lost downstream.
      if (input.find("\"SageMakerOutput\"") != std::string_view::npos) {
        simdjson::dom::object object;
        if (!join_parser.parse(input.data(), input.size()).get(object) &&
            !object["SageMakerOutput"].error()) {
          return std::string(
              "the input already has a member \"SageMakerOutput\", where --join-source Input "
              "puts the prediction");
        }
      }
      doc.clear();
      JoinJson(input, text, &doc);
      object = doc;
    }
    if (plan.output_filter.is_root()) {
      *out += object;
    } else {
      std::string selected;
      if (!eval.Apply(plan.output_filter, object, &selected, &error)) {
        return "--output-filter '" + plan.output_filter.text() + "': " + error;
      }
      *out += selected;
    }
    *out += '\n';
    return std::nullopt;
  }

  // Predicts the records parsed into `batch` (positions `ok`) and writes their output. When the
  // batch as a whole cannot be predicted, its halves are tried, and so on down to the records at
  // fault, which alone fail. `input(position)` gives a record's text, `line(position)` its line.
  template <class InputText, class LineOf>
  void PredictAndEmit(const Table& in, const InputText& input, const LineOf& line,
                      UnitResult* result) {
    PredictAndEmit(
        [&](size_t begin, size_t count) {
          return begin == 0 && count == ok.size()
                     ? plan.predictor->Predict(in)
                     : plan.predictor->Predict(
                           in.Slice(static_cast<int64_t>(begin), static_cast<int64_t>(count)));
        },
        input, line, result);
  }

  // The records of `encoded` (plan.fast_encode), which it empties.
  template <class InputText, class LineOf>
  void PredictAndEmitEncoded(const InputText& input, const LineOf& line, UnitResult* result) {
    const int64_t width = encoded.cols;
    struct Reset {  // whatever happens, the next batch starts empty
      DenseMatrix& m;
      ~Reset() { m.rows = 0; }
    } reset{encoded};
    encoded.data.resize(static_cast<size_t>(encoded.rows * width));  // capacity stays
    PredictAndEmit(
        [&](size_t begin, size_t count) {
          if (begin == 0 && count == ok.size()) return plan.predictor->PredictEncoded(encoded);
          DenseMatrix part(static_cast<int64_t>(count), width);
          std::copy_n(encoded.data.begin() + static_cast<ptrdiff_t>(begin) * width,
                      static_cast<ptrdiff_t>(count) * width, part.data.begin());
          return plan.predictor->PredictEncoded(part);
        },
        input, line, result);
  }

  // Predicts the records of `ok` with predict(begin, count) (a table of the predictions of
  // ok[begin, begin + count), in order): all at once, or, when that fails, each half the same
  // way, so that only failing records fail. One bad record in a batch of n costs about
  // 2 log2(n) more calls, not n (a model with a recipe pays its steps per call).
  template <class Predict, class InputText, class LineOf>
  void PredictAndEmit(const Predict& predict, const InputText& input, const LineOf& line,
                      UnitResult* result) {
    auto emit = [&](int64_t position, const Table& pred, const CsvCells& cells, int64_t row) {
      const size_t before = result->output.size();
      std::string_view text_in = plan.join ? input(position) : std::string_view();
      if (auto reason = Emit(text_in, pred, cells, row, &result->output)) {
        result->output.resize(before);
        failures.push_back({position, line(position), *reason, std::string(input(position))});
      } else {
        ++result->predicted;
      }
    };
    // Depth-first, left half first: output and failures keep the records' order.
    std::function<void(size_t, size_t)> solve = [&](size_t begin, size_t end) {
      // This unit alone has failed more records than the job may: the job fails whatever the
      // rest does, so the rest costs no more calls (an all-failing batch of n would take 2n).
      if (failures.size() > static_cast<size_t>(plan.options.max_errors)) {
        result->untried += static_cast<int64_t>(end - begin);
        return;
      }
      try {
        const Table pred = predict(begin, end - begin);
        const CsvCells cells(pred);
        for (size_t j = begin; j < end; ++j) {
          emit(ok[j], pred, cells, static_cast<int64_t>(j - begin));
        }
      } catch (const Error& e) {
        if (end - begin == 1) {
          failures.push_back(
              {ok[begin], line(ok[begin]), OneRecordReason(e), std::string(input(ok[begin]))});
          return;
        }
        const size_t middle = begin + (end - begin) / 2;
        solve(begin, middle);
        solve(middle, end);
      }
    };
    if (!ok.empty()) solve(0, ok.size());
  }

  // Predicts and writes the records parsed so far (`ok`).
  template <class InputText, class LineOf>
  void Flush(const InputText& input, const LineOf& line, UnitResult* result) {
    if (plan.fast_encode) {
      PredictAndEmitEncoded(input, line, result);
    } else {
      PredictAndEmit(TakeTable(), input, line, result);
    }
  }

  void FileBatch(const Unit& unit, int64_t begin, int64_t end, UnitResult* result) {
    auto input = [&](int64_t k) {
      const RecordSpan& s = unit.spans[static_cast<size_t>(k)];
      return std::string_view(unit.bytes.data() + s.offset, s.length);
    };
    auto line = [&](int64_t k) { return unit.spans[static_cast<size_t>(k)].line; };
    const bool single = plan.options.batch_strategy == BatchStrategy::kSingleRecord;
    ok.clear();
    for (int64_t k = begin; k < end; ++k) {
      const RecordSpan& s = unit.spans[static_cast<size_t>(k)];
      if (s.oversize) {
        failures.push_back({k, s.line,
                            "the record is " + HumanBytes(s.size) + " (" + std::to_string(s.size) +
                                " bytes), more than --max-payload allows in a batch (" +
                                HumanBytes(plan.options.max_payload_bytes) +
                                "); text holds its first " + std::to_string(s.length) + " bytes",
                            std::string(input(k))});
        continue;
      }
      if (!plan.fast_csv || !FastParse(input(k))) {
        if (auto reason = Parse(input(k))) {
          if (s.lines > 1 && *reason == kMalformedCsv) {
            failures.push_back(MalformedAcrossLines(k, s, input(k)));
          } else {
            failures.push_back({k, s.line, *reason, std::string(input(k))});
          }
          continue;
        }
        if (plan.fast_encode) {  // parsed the slow way: encoded as a one-row table
          const DenseMatrix row = plan.predictor->encoding().Transform(batch.Finish());
          std::copy(row.data.begin(), row.data.end(), NextEncodedRow());
        } else if (plan.fast_csv) {  // parsed the slow way: into the builders
          const Table one = batch.Finish();
          for (size_t i = 0; i < builders.size(); ++i) builders[i].AppendColumn(one.column(i));
        }
      }
      ok.push_back(k);
      if (single) {
        Flush(input, line, result);
        ok.clear();
      }
    }
    if (!ok.empty()) Flush(input, line, result);
  }

  void TableBatch(const Table& table, const Unit& unit, int64_t begin, int64_t end,
                  UnitResult* result) {
    const Table rows = table.Slice(unit.row_begin + begin, end - begin);
    const Table model_in = plan.input_filter.is_root() ? rows : rows.Select(plan.model_columns);
    const CsvCells input_cells(rows);
    std::string row_text;
    // A row as its input record: a CSV line, or a JSON object.
    auto input = [&](int64_t k) -> std::string_view {
      const int64_t r = k - begin;
      row_text.clear();
      if (plan.csv_out) {
        input_cells.AppendRow(r, &row_text);
      } else {
        WriteRowObject(rows, r, &row_text);
      }
      return row_text;
    };
    auto line = [&](int64_t k) { return unit.row_begin + k + 1; };
    if (plan.options.batch_strategy == BatchStrategy::kSingleRecord) {
      for (int64_t k = begin; k < end; ++k) {
        ok.assign(1, k);
        PredictAndEmit(model_in.Slice(k - begin, 1), input, line, result);
      }
    } else {
      ok.clear();
      for (int64_t k = begin; k < end; ++k) ok.push_back(k);
      PredictAndEmit(model_in, input, line, result);
    }
  }
};

Worker::Worker(const TransformPlan& plan) : s_(std::make_unique<State>(plan)) {}
Worker::~Worker() = default;

void Worker::Process(const Unit& unit, const Table* table, UnitResult* result) {
  result->seq = unit.seq;
  result->end_offset = unit.end_offset;
  result->end_line = unit.end_line;
  result->records = unit.records();
  State& s = *s_;
  int64_t begin = 0;
  for (int64_t end : unit.batch_ends) {
    s.failures.clear();
    if (table) {
      s.TableBatch(*table, unit, begin, end, result);
    } else {
      s.FileBatch(unit, begin, end, result);
    }
    std::stable_sort(
        s.failures.begin(), s.failures.end(),
        [](const State::Failure& a, const State::Failure& b) { return a.position < b.position; });
    for (const State::Failure& f : s.failures) {
      AppendErrorLine(f.line, f.reason, f.text, &result->errors);
      if (result->first_error.empty()) {
        result->first_error = "line " + std::to_string(f.line) + ": " + f.reason;
      }
    }
    for (const State::Failure& f : s.failures) {
      result->failed += f.weight;
      result->records += f.weight - 1;
    }
    begin = end;
  }
}

}  // namespace mloop::batch_internal
