#include "mloop/model/records.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_map>

#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/io/csv_record.h"
#include "mloop/io/json_error.h"
#include "mloop/io/jsonl_writer.h"
#include "mloop/io/value_parse.h"

namespace mloop {

namespace dom = simdjson::dom;

namespace {

std::string_view TypeWord(DataType type) {
  switch (type) {
    case DataType::kFloat64:
      return "a number";
    case DataType::kInt64:
      return "an integer";
    case DataType::kBool:
      return "true or false";
    case DataType::kTimestamp:
      return "a timestamp";
    case DataType::kString:
      return "a string";
  }
  return "a value";
}

// `text` shortened for an error message, quoted.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  out += text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text);
  return out + "\"";
}

}  // namespace

std::optional<RecordFormat> RecordFormatFromContentType(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string t = AsciiLower(content_type.substr(0, semi));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(t.begin());
  if (t == "text/csv") return RecordFormat::kCsv;
  if (t == "application/json") return RecordFormat::kJson;
  if (t == "application/jsonlines" || t == "application/x-jsonlines" || t == "application/jsonl" ||
      t == "application/x-ndjson") {
    return RecordFormat::kJsonLines;
  }
  return std::nullopt;
}

std::string_view ContentTypeOf(RecordFormat format) {
  switch (format) {
    case RecordFormat::kCsv:
      return "text/csv";
    case RecordFormat::kJson:
      return "application/json";
    case RecordFormat::kJsonLines:
      return "application/jsonlines";
  }
  return "text/csv";
}

std::optional<RecordFormat> RecordFormatFromName(std::string_view name) {
  const std::string n = AsciiLower(name);
  if (n == "csv") return RecordFormat::kCsv;
  if (n == "json") return RecordFormat::kJson;
  if (n == "jsonl" || n == "jsonlines" || n == "ndjson") return RecordFormat::kJsonLines;
  return std::nullopt;
}

std::string RecordProblem::ToString() const {
  std::string out = "record " + std::to_string(record);
  if (!field.empty()) out += ", field '" + field + "'";
  return out + ": " + message;
}

bool SplitCsvLine(std::string_view line, char delimiter, std::vector<std::string_view>* fields,
                  std::vector<std::string>* scratch, std::vector<char>* quoted) {
  fields->clear();
  scratch->clear();
  if (quoted) quoted->clear();
  size_t i = 0;
  const size_t n = line.size();
  if (n > 0 && line.back() == '\r') line.remove_suffix(1);
  // Fields with doubled quotes are unescaped into `scratch`, whose strings `fields` points at:
  // each takes at least four quote characters, so this reservation is never outgrown.
  scratch->reserve(std::count(line.begin(), line.end(), '"') / 4 + 1);
  while (true) {
    if (i < line.size() && line[i] == '"') {
      // Quoted: up to the closing quote; "" is one quote.
      size_t j = i + 1;
      bool doubled = false;
      while (true) {
        if (j >= line.size()) return false;
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            doubled = true;
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      std::string_view inner = line.substr(i + 1, j - i - 1);
      if (doubled) {
        std::string s;
        for (size_t k = 0; k < inner.size(); ++k) {
          s += inner[k];
          if (inner[k] == '"') ++k;
        }
        scratch->push_back(std::move(s));
        fields->push_back(scratch->back());
      } else {
        fields->push_back(inner);
      }
      if (quoted) quoted->push_back(1);
      i = j + 1;
      if (i == line.size()) return true;
      if (line[i] != delimiter) return false;  // text after a closing quote
      ++i;
      continue;
    }
    const size_t d = line.find(delimiter, i);
    if (quoted) quoted->push_back(0);
    if (d == std::string_view::npos) {
      fields->push_back(line.substr(i));
      return true;
    }
    fields->push_back(line.substr(i, d - i));
    i = d + 1;
  }
}

// --- RecordBatch ------------------------------------------------------------------------------

struct RecordBatch::Impl {
  std::vector<ColumnBuilder> builders;  // table mode
  const Encoding* encoding = nullptr;   // encode mode
  std::vector<double> encoded;          // encode mode: rows of `width` features
  size_t width = 0;
  std::vector<TypedValue> values;
  std::vector<char> seen;
  std::unordered_map<std::string_view, int> index;  // names of the inputs; built on first use
  std::vector<std::string> json_text;               // numbers given for string inputs
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  std::vector<char> quoted;
  const MissingTokens* missing = nullptr;
  bool ignore_unknown_members = false;  // IgnoreUnknownMembers
  bool strings_as_declared = false;     // ReadStringsAsDeclared
  dom::parser parser;

  // Adds the record held in `values`.
  void Commit() {
    if (encoding) {
      const size_t at = encoded.size();
      encoded.resize(at + width);
      encoding->EncodeRow(values.data(), encoded.data() + at);
    } else {
      for (size_t i = 0; i < builders.size(); ++i) AppendTyped(builders[i], values[i]);
    }
  }
  const std::unordered_map<std::string_view, int>& Index(const std::vector<Field>& inputs) {
    if (index.empty()) {
      for (size_t i = 0; i < inputs.size(); ++i) index.emplace(inputs[i].name, static_cast<int>(i));
    }
    return index;
  }
};

RecordBatch::RecordBatch(std::vector<Field> inputs, const MissingTokens& missing)
    : inputs_(std::move(inputs)), impl_(std::make_unique<Impl>()) {
  for (const Field& f : inputs_) impl_->builders.emplace_back(f.type);
  impl_->values.resize(inputs_.size());
  impl_->missing = &missing;
}

RecordBatch::RecordBatch(const Encoding* encoding, const MissingTokens& missing)
    : inputs_(encoding->inputs()), impl_(std::make_unique<Impl>()) {
  impl_->missing = &missing;
  impl_->encoding = encoding;
  impl_->width = encoding->feature_names().size();
  impl_->values.resize(inputs_.size());
}

RecordBatch::~RecordBatch() = default;
RecordBatch::RecordBatch(RecordBatch&&) noexcept = default;
RecordBatch& RecordBatch::operator=(RecordBatch&&) noexcept = default;

namespace {

std::string CountMismatch(size_t got, const std::vector<Field>& inputs) {
  std::string names;
  for (size_t i = 0; i < inputs.size() && i < 8; ++i) {
    names += (i ? ", " : "") + inputs[i].name;
  }
  if (inputs.size() > 8) names += ", ...";
  return "has " + std::to_string(got) + " value" + (got == 1 ? "" : "s") + ", the model takes " +
         std::to_string(inputs.size()) + " (" + names + ")";
}

}  // namespace

std::optional<RecordProblem> RecordBatch::AppendValues(const std::vector<std::string_view>& values,
                                                       int64_t record,
                                                       const std::vector<char>* quoted) {
  if (values.size() != inputs_.size()) {
    return RecordProblem{record, "", CountMismatch(values.size(), inputs_)};
  }
  Impl& m = *impl_;
  for (size_t i = 0; i < values.size(); ++i) {
    TypedValue& v = m.values[i];
    const DataType type = inputs_[i].type;
    // As the CSV reader: a missing-value token is missing, except quoted for a string input
    // (training read "NA" as missing; reading it as text here would predict another branch).
    const bool missing = quoted ? m.missing->IsMissingField(values[i], (*quoted)[i], type)
                         : type != DataType::kString ? m.missing->Contains(values[i])
                                                     : values[i].empty();
    if (missing) {
      v.valid = false;
      continue;
    }
    if (type == DataType::kString && !simdjson::validate_utf8(values[i].data(), values[i].size())) {
      // As the CSV reader: text that is not UTF-8 is a bad row, not a category.
      return RecordProblem{record, inputs_[i].name, "is not valid UTF-8"};
    }
    if (!ParseTyped(values[i], type, /*declared=*/true, &v)) {
      return RecordProblem{
          record, inputs_[i].name,
          "expected " + std::string(TypeWord(type)) + ", got " + Quoted(values[i])};
    }
  }
  m.Commit();
  ++rows_;
  return std::nullopt;
}

std::optional<RecordProblem> RecordBatch::AppendCsvLine(std::string_view line, int64_t record) {
  if (!SplitCsvLine(line, ',', &impl_->fields, &impl_->scratch, &impl_->quoted)) {
    return RecordProblem{record, "", "malformed CSV (an unterminated or misplaced quote)"};
  }
  // A header line names the inputs: refused even where every input is text (where no value
  // would fail to parse and it would be scored as a record, shifting every answer by one).
  if (record == 1 && impl_->fields.size() == inputs_.size() &&
      std::equal(inputs_.begin(), inputs_.end(), impl_->fields.begin(),
                 [](const Field& f, std::string_view v) { return f.name == v; })) {
    return RecordProblem{record, "",
                         "this is a header line (the input names); send records only, one value "
                         "per input in the model's order"};
  }
  return AppendValues(impl_->fields, record, &impl_->quoted);
}

namespace {

// A JSON value as a value of `type`; false when it is of another kind.
bool FromJson(dom::element e, DataType type, bool strings_as_declared, TypedValue* v,
              std::string* text) {
  v->valid = true;
  switch (e.type()) {
    case dom::element_type::NULL_VALUE:
      v->valid = false;
      return true;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d)) return false;
      if (type == DataType::kFloat64) {
        v->d = d;
        return true;
      }
      if (type == DataType::kInt64) {
        int64_t i = 0;
        if (!e.get_int64().get(i)) {
          v->i = i;
          return true;
        }
        // 30.0 or 1e3, as JSON writers often put integers: taken below 2^53, where a double
        // holds every integer (as JSON Lines import and V2 cells take them), so that
        // 9007199254740993.0, already rounded by the double, is not taken for an exact id.
        return e.type() == dom::element_type::DOUBLE && WholeDoubleToInt64(d, &v->i);
      }
      if (type == DataType::kBool) {
        if (d != 0 && d != 1) return false;
        v->i = d == 1;
        return true;
      }
      if (type == DataType::kTimestamp) {  // seconds since the Unix epoch, as ParseTimestamp
        int64_t seconds = 0;
        // Within years 0000-9999: milli- or nanoseconds sent as seconds are refused.
        if (e.type() == dom::element_type::INT64 && !e.get_int64().get(seconds)) {
          return TimestampFromSeconds(seconds, &v->i);
        }
        return TimestampFromSeconds(d, &v->i);
      }
      *text = simdjson::minify(e);  // a number for a string column: its text
      v->s = *text;
      return true;
    }
    case dom::element_type::BOOL: {
      bool b = false;
      if (e.get_bool().get(b)) return false;
      if (type == DataType::kBool) {
        v->i = b;
        return true;
      }
      if (type == DataType::kString) {
        v->s = b ? "true" : "false";
        return true;
      }
      return false;
    }
    case dom::element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s)) return false;
      if (type == DataType::kString) {
        v->s = s;
        return true;
      }
      if (strings_as_declared) return ParseTyped(s, type, /*declared=*/true, v);
      if (type == DataType::kTimestamp) return ParseTimestamp(s, false, &v->i);
      return false;
    }
    default:
      return false;
  }
}

std::string JsonKindWord(dom::element e) {
  switch (e.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s)) return "a string";
      return "the string " + Quoted(s);
    }
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "the number " + simdjson::minify(e);
  }
}

}  // namespace

namespace internal {

// Checks and appends one parsed JSON record (object or array) to the batch's builders.
std::optional<RecordProblem> AppendJsonElement(const std::vector<Field>& inputs,
                                               RecordBatch::Impl& m, dom::element e,
                                               int64_t record);

}  // namespace internal

void RecordBatch::IgnoreUnknownMembers(bool ignore) {
  impl_->ignore_unknown_members = ignore;
}

void RecordBatch::ReadStringsAsDeclared(bool on) {
  impl_->strings_as_declared = on;
}

std::optional<RecordProblem> RecordBatch::AppendJson(std::string_view json, int64_t record) {
  dom::element e;
  if (auto err = impl_->parser.parse(json.data(), json.size()).get(e)) {
    std::string_view trimmed = json;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
      trimmed.remove_suffix(1);
    }
    const bool opens = !trimmed.empty() &&
                       (trimmed.back() == '[' || trimmed.back() == '{' || trimmed.back() == ',');
    return RecordProblem{record, "",
                         "malformed JSON: " + JsonErrorText(err, json) +
                             (opens ? " (a record is one whole line of JSON Lines; a "
                                      "pretty-printed document spans many: jq -c '.[]' "
                                      "FILE.json writes one record per line)"
                                    : "")};
  }
  auto problem = internal::AppendJsonElement(inputs_, *impl_, e, record);
  if (!problem) ++rows_;
  return problem;
}

namespace {
// Whether `e` is an array of arrays or objects where one record of `n` values was expected:
// records nested one level too deep.
bool IsArrayOfRecords(dom::element e, size_t n) {
  dom::array a;
  dom::element first;
  return e.type() == dom::element_type::ARRAY && !e.get_array().get(a) && a.size() != n &&
         a.size() > 0 && !a.at(0).get(first) &&
         (first.type() == dom::element_type::OBJECT || first.type() == dom::element_type::ARRAY);
}
}  // namespace

std::optional<RecordProblem> internal::AppendJsonElement(const std::vector<Field>& inputs,
                                                         RecordBatch::Impl& m, dom::element e,
                                                         int64_t record) {
  const size_t n = inputs.size();
  if (m.json_text.size() != n) m.json_text.resize(n);
  auto mistyped = [&](size_t i, dom::element value) {
    return RecordProblem{
        record, inputs[i].name,
        "expected " + std::string(TypeWord(inputs[i].type)) + ", got " + JsonKindWord(value)};
  };
  if (e.type() == dom::element_type::ARRAY) {
    dom::array a;
    if (e.get_array().get(a)) return RecordProblem{record, "", "unreadable array"};
    if (a.size() != n) {
      if (IsArrayOfRecords(e, n)) {
        // [{...}, {...}] where one record was expected: a document of records.
        return RecordProblem{record, "",
                             "is a JSON array of " + std::to_string(a.size()) +
                                 " records where one record was expected (JSON Lines: one "
                                 "record per line; jq -c '.[]' FILE.json writes them so)"};
      }
      return RecordProblem{record, "", CountMismatch(a.size(), inputs)};
    }
    size_t i = 0;
    for (dom::element value : a) {
      if (!FromJson(value, inputs[i].type, m.strings_as_declared, &m.values[i], &m.json_text[i])) {
        return mistyped(i, value);
      }
      ++i;
    }
  } else if (e.type() == dom::element_type::OBJECT) {
    m.seen.assign(n, 0);
    const auto& index = m.Index(inputs);
    dom::object object;
    if (e.get_object().get(object)) return RecordProblem{record, "", "unreadable object"};
    // Members left out (IgnoreUnknownMembers): views into the parsed record, copied only when
    // an input is missing, so a batch file's id and label cost no allocation per record.
    std::vector<std::string_view> unknown;
    auto not_an_input = [&](const std::string& key) {
      std::vector<std::string> names;
      for (const Field& f : inputs) names.push_back(f.name);
      return RecordProblem{record, key, "not an input of the model" + DidYouMean(key, names)};
    };
    for (auto [key, value] : object) {
      auto it = index.find(key);
      if (it == index.end()) {
        if (!m.ignore_unknown_members) return not_an_input(std::string(key));
        unknown.emplace_back(key);
        continue;
      }
      const size_t i = static_cast<size_t>(it->second);
      if (m.seen[i]) return RecordProblem{record, inputs[i].name, "given twice"};
      m.seen[i] = 1;
      if (!FromJson(value, inputs[i].type, m.strings_as_declared, &m.values[i], &m.json_text[i])) {
        return mistyped(i, value);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (!m.seen[i]) {
        // A misspelt input: the member nearest to the missing name says what was meant.
        const std::string nearest =
            NearestName(inputs[i].name, std::vector<std::string>(unknown.begin(), unknown.end()));
        if (!nearest.empty()) return not_an_input(nearest);
        return RecordProblem{record, inputs[i].name, "missing (send null for a missing value)"};
      }
    }
  } else {
    return RecordProblem{record, "",
                         "a record is an object or an array of values, not " + JsonKindWord(e)};
  }
  m.Commit();
  return std::nullopt;
}

int64_t RecordBatch::ParseBody(std::string_view body, RecordFormat format) {
  // A UTF-8 byte order mark (Windows tools write one) is not part of the first record.
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  const int64_t before = rows_;
  auto fail = [&](RecordProblem p) {
    // Nothing of this body stays in the batch.
    if (impl_->encoding) {
      impl_->encoded.resize(static_cast<size_t>(before) * impl_->width);
    } else {
      Table partial = Finish();
      for (size_t i = 0; i < inputs_.size(); ++i) {
        impl_->builders[i].AppendColumn(partial.column(static_cast<int>(i)).Slice(0, before));
      }
    }
    rows_ = before;
    throw RecordError(std::move(p));
  };
  int64_t record = 0;
  if (format == RecordFormat::kJson) {
    // An empty body (or only white space) has no records, as an empty CSV or JSON Lines body.
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return 0;
    dom::element doc;
    if (auto err = impl_->parser.parse(body.data(), body.size()).get(doc)) {
      fail({1, "", "malformed JSON: " + JsonErrorText(err, body)});
    }
    dom::element records = doc;
    const auto& index = impl_->Index(inputs_);
    if (doc.type() == dom::element_type::OBJECT && !index.count("instances")) {
      dom::element inner;
      if (!doc["instances"].get(inner)) {
        records = inner;
      } else if (!index.count("inputs") && !doc["inputs"].get(inner)) {
        // TF Serving's and KServe V1's columnar form, or a V2 request sent here.
        fail({1, "",
              "the body has 'inputs' (TF Serving's or KServe V1's form, or a V2 request): "
              "this route takes a record, an array of records, or {\"instances\": [records]}; "
              "KServe V2 tensors go to POST /v2/models/NAME/infer"});
      }
    }
    bool many = false;
    dom::array a;
    if (records.type() == dom::element_type::ARRAY && !records.get_array().get(a)) {
      // An array of arrays or objects is many records; an array of values is one.
      dom::element first;
      many = a.size() == 0 || (!a.at(0).get(first) && (first.type() == dom::element_type::ARRAY ||
                                                       first.type() == dom::element_type::OBJECT));
    }
    if (many) {
      for (dom::element r : a) {
        ++record;
        // A record that is itself an array of records: one level of nesting too many (the
        // JSON Lines advice AppendJsonElement gives a line does not apply to one JSON body).
        if (IsArrayOfRecords(r, inputs_.size())) {
          fail({record, "",
                "is an array of records where one record was expected: a JSON body is a "
                "record, an array of records, or {\"instances\": [records]}"});
        }
        if (auto p = internal::AppendJsonElement(inputs_, *impl_, r, record)) fail(*p);
        ++rows_;
      }
    } else {
      if (auto p = internal::AppendJsonElement(inputs_, *impl_, records, ++record)) fail(*p);
      ++rows_;
    }
    return rows_ - before;
  }
  // CSV and JSON Lines: one record per line (CSV lines may hold quoted line breaks).
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = pos;
    if (format == RecordFormat::kCsv) {
      // Records end where the import's reader ends them: a quote opens a field only at its
      // start ('12" pipe' is one field), line breaks inside quoted fields belong to them.
      const char* next = CsvRecordEnd(body.data() + pos, body.data() + body.size(), ',');
      end = next ? static_cast<size_t>(next - body.data()) - 1 : body.size();
    } else {
      end = body.find('\n', pos);
      if (end == std::string_view::npos) end = body.size();
    }
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // A blank line is skipped, but for a model of one input an empty CSV line is a record whose
    // value is missing (pandas' to_csv writes NaN of a one-column frame so), as files are read:
    // skipped, it would shift every later answer against its record.
    const bool missing_value = line.empty() && format == RecordFormat::kCsv && inputs_.size() == 1;
    if (!missing_value && line.find_first_not_of(" \t") == std::string_view::npos) continue;
    ++record;
    auto p = format == RecordFormat::kCsv ? AppendCsvLine(line, record) : AppendJson(line, record);
    if (p) fail(*p);
  }
  return rows_ - before;
}

DenseMatrix RecordBatch::FinishEncoded() {
  if (!impl_->encoding) throw Internal("RecordBatch::FinishEncoded on a batch in table mode");
  DenseMatrix x(rows_, static_cast<int64_t>(impl_->width));
  std::copy(impl_->encoded.begin(), impl_->encoded.end(), x.data.begin());
  impl_->encoded.clear();
  rows_ = 0;
  return x;
}

Table RecordBatch::Finish() {
  if (impl_->encoding) throw Internal("RecordBatch::Finish on a batch in encode mode");
  std::vector<Column> cols;
  cols.reserve(inputs_.size());
  for (auto& b : impl_->builders) cols.push_back(b.Finish());
  for (size_t i = 0; i < inputs_.size(); ++i) impl_->builders[i] = ColumnBuilder(inputs_[i].type);
  rows_ = 0;
  std::vector<Field> fields = inputs_;
  for (Field& f : fields) f.role = Role::kFeature;
  return Table(Schema(std::move(fields)), std::move(cols));
}

// --- Writing predictions -----------------------------------------------------------------------

namespace {

void AppendNumber(double v, std::string* out) {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  *out += FormatDouble(v);
}

bool IsJsonLiteral(std::string_view s) {
  double d;
  return s == "true" || s == "false" || (ParseFloat64(s, &d) && std::isfinite(d));
}

}  // namespace

void WritePredictionCell(const Column& c, int64_t row, bool typed_label, std::string* out) {
  if (!c.IsValid(row)) {
    *out += "null";
    return;
  }
  switch (c.type()) {
    case DataType::kFloat64:
      AppendNumber(c.f64()[row], out);
      return;
    case DataType::kInt64:
      *out += std::to_string(c.i64()[row]);
      return;
    case DataType::kBool:
      *out += c.bools()[row] ? "true" : "false";
      return;
    case DataType::kString: {
      std::string_view s = c.StringAt(row);
      if (typed_label && IsJsonLiteral(s)) {
        *out += s;
      } else {
        AppendJsonString(*out, s);
      }
      return;
    }
    case DataType::kTimestamp:
      AppendJsonString(*out, CellToString(c, row));
      return;
  }
}

namespace {

void AppendCsvCell(const Column& c, int64_t row, std::string* out) {
  if (!c.IsValid(row)) return;
  if (c.type() == DataType::kFloat64) {
    const double v = c.f64()[row];
    if (std::isfinite(v)) *out += FormatDouble(v);
    return;
  }
  std::string text = CellToString(c, row);
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    *out += text;
    return;
  }
  *out += '"';
  for (char ch : text) {
    if (ch == '"') *out += '"';
    *out += ch;
  }
  *out += '"';
}

}  // namespace

void WritePredictionObject(const Table& predictions, int64_t row,
                           const PredictionWriteOptions& options, std::string* out) {
  *out += '{';
  for (int c = 0; c < predictions.num_columns(); ++c) {
    if (c) *out += ',';
    const Field& f = predictions.schema().field(c);
    AppendJsonString(*out, f.name);
    *out += ':';
    const bool typed = f.name == "prediction" && options.label_type != DataType::kString;
    WritePredictionCell(predictions.column(c), row, typed, out);
  }
  *out += '}';
}

void WriteRowObject(const Table& table, int64_t row, std::string* out) {
  *out += '{';
  for (int c = 0; c < table.num_columns(); ++c) {
    if (c) *out += ',';
    AppendJsonString(*out, table.schema().field(c).name);
    *out += ':';
    WritePredictionCell(table.column(c), row, false, out);
  }
  *out += '}';
}

void WritePredictions(const Table& predictions, RecordFormat format,
                      const PredictionWriteOptions& options, std::string* out) {
  const int64_t n = predictions.num_rows();
  switch (format) {
    case RecordFormat::kCsv:
      for (int64_t r = 0; r < n; ++r) {
        for (int c = 0; c < predictions.num_columns(); ++c) {
          if (c) *out += ',';
          AppendCsvCell(predictions.column(c), r, out);
        }
        *out += '\n';
      }
      return;
    case RecordFormat::kJson:
      *out += "{\"predictions\":[";
      for (int64_t r = 0; r < n; ++r) {
        if (r) *out += ',';
        WritePredictionObject(predictions, r, options, out);
      }
      *out += "]}";
      return;
    case RecordFormat::kJsonLines:
      for (int64_t r = 0; r < n; ++r) {
        WritePredictionObject(predictions, r, options, out);
        *out += '\n';
      }
      return;
  }
}

}  // namespace mloop
