#include "mloop/io/jsonl_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/json_error.h"

namespace mloop {

namespace {

namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

constexpr size_t kReadChunk = size_t{1} << 20;
constexpr size_t kProbeBytes = size_t{1} << 16;

// Offset of the first byte of `s` that does not start a valid UTF-8 sequence, or npos.
size_t InvalidUtf8Offset(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + n >= s.size()) return i;
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

// Offset of the opening quote of a string that is never closed, or npos.
size_t UnclosedStringOffset(std::string_view s) {
  size_t open = std::string_view::npos;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (in_string) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        in_string = false;
      }
    } else if (s[i] == '"') {
      in_string = true;
      open = i;
    }
  }
  return in_string ? open : std::string_view::npos;
}

// Reads every value under `v`, so that the On Demand parser meets any error in it.
simdjson::error_code Walk(ondemand::value v) {
  ondemand::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object object;
      if (auto e = v.get_object().get(object)) return e;
      for (auto field : object) {
        std::string_view key;
        ondemand::value value;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = field.value().get(value)) return e;
        if (auto e = Walk(value)) return e;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::array: {
      ondemand::array array;
      if (auto e = v.get_array().get(array)) return e;
      for (auto element : array) {
        ondemand::value value;
        if (auto e = element.get(value)) return e;
        if (auto e = Walk(value)) return e;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::number:
      return v.get_number().error();
    case ondemand::json_type::string:
      return v.get_string().error();
    case ondemand::json_type::boolean:
      return v.get_bool().error();
    case ondemand::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::SUCCESS;
}

// JSON text of a scalar or nested value: strings unquoted, others minified.
std::string_view TextOf(dom::element v, std::string& scratch) {
  switch (v.type()) {
    case dom::element_type::STRING:
      return v.get_string().value_unsafe();
    case dom::element_type::INT64: {
      char buf[24];
      scratch.assign(buf, std::to_chars(buf, buf + sizeof buf, v.get_int64().value_unsafe()).ptr);
      return scratch;
    }
    case dom::element_type::UINT64: {
      char buf[24];
      scratch.assign(buf, std::to_chars(buf, buf + sizeof buf, v.get_uint64().value_unsafe()).ptr);
      return scratch;
    }
    case dom::element_type::DOUBLE:
      // Without FormatDouble's ".0", so that 3.0 in JSON fits a column declared int64.
      scratch = FormatDouble(v.get_double().value_unsafe());
      if (scratch.ends_with(".0")) scratch.resize(scratch.size() - 2);
      return scratch;
    default:
      scratch = simdjson::minify(v);
      return scratch;
  }
}

// The type a single value suggests; nullopt for null.
std::optional<DataType> ValueType(dom::element v) {
  switch (v.type()) {
    case dom::element_type::NULL_VALUE:
      return std::nullopt;
    case dom::element_type::BOOL:
      return DataType::kBool;
    case dom::element_type::INT64:
      return DataType::kInt64;
    case dom::element_type::UINT64:  // above INT64_MAX: as text, float64 would round other ids
      return DataType::kString;
    case dom::element_type::DOUBLE:
      return DataType::kFloat64;
    case dom::element_type::STRING: {
      std::string_view s = v.get_string().value_unsafe();
      int64_t micros;
      return s.size() >= 10 && ParseTimestamp(s, false, &micros) ? DataType::kTimestamp
                                                                 : DataType::kString;
    }
    default:
      return DataType::kString;  // object or array
  }
}

// A parsed value plus room for text that had to be built (escapes, numbers as text).
struct Cell : TypedValue {
  std::string scratch;
};

// Converts `v` to a value of `type`. Typed JSON values map directly; with `declared`, the
// value's text is also parsed as in the CSV reader. Returns false when it does not fit.
bool ToCell(dom::element v, DataType type, bool declared, Cell* cell) {
  const dom::element_type kind = v.type();
  cell->valid = kind != dom::element_type::NULL_VALUE;
  if (!cell->valid) return true;
  switch (type) {
    case DataType::kString:
      cell->s = TextOf(v, cell->scratch);
      return true;
    case DataType::kBool:
      if (kind == dom::element_type::BOOL) {
        cell->i = v.get_bool().value_unsafe();
        return true;
      }
      break;
    case DataType::kInt64:
      if (kind == dom::element_type::INT64) {
        cell->i = v.get_int64().value_unsafe();
        return true;
      }
      if (kind == dom::element_type::DOUBLE) {  // 30.0, 1e3: a whole number below 2^53
        return WholeDoubleToInt64(v.get_double().value_unsafe(), &cell->i);
      }
      break;
    case DataType::kFloat64:
      if (kind == dom::element_type::DOUBLE || kind == dom::element_type::INT64 ||
          kind == dom::element_type::UINT64) {
        cell->d = v.get_double().value_unsafe();
        return true;
      }
      break;
    case DataType::kTimestamp:
      if (kind == dom::element_type::STRING) {
        return ParseTimestamp(v.get_string().value_unsafe(), declared, &cell->i);
      }
      break;
  }
  if (!declared || kind == dom::element_type::OBJECT || kind == dom::element_type::ARRAY) {
    return false;
  }
  std::string_view text = TextOf(v, cell->scratch);
  return ParseTyped(text, type, /*declared=*/true, cell);
}

std::string_view KindName(dom::element_type kind) {
  switch (kind) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::NULL_VALUE:
      return "null";
    case dom::element_type::BOOL:
      return "a boolean";
    default:
      return "a number";
  }
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Line {
  size_t offset;
  size_t size;
  int64_t number;  // 1-based
};

struct ColumnState {
  std::string name;
  bool declared = false;
  DataType type = DataType::kFloat64;  // the declared type, or the join of the values seen
  bool seen_value = false;
  // An integer a double cannot hold exactly (beyond 2^53) was seen: a column that would be
  // float64 (integers mixed with fractions) is text instead, so that no id is rounded.
  bool inexact_integer = false;
};

bool IsInexactAsDouble(dom::element v) {
  if (v.type() != dom::element_type::INT64) return false;
  const int64_t i = v.get_int64().value_unsafe();
  constexpr int64_t kExact = int64_t{1} << 53;
  if (i >= -kExact && i <= kExact) return false;
  const double d = static_cast<double>(i);
  return d >= 0x1p63 || static_cast<int64_t>(d) != i;
}

class JsonLinesReader {
 public:
  JsonLinesReader(const std::filesystem::path& path, const ReadOptions& options)
      : path_(path), options_(options), declared_(options.types.begin(), options.types.end()) {}

  ReadResult Run();

 private:
  // Reads the whole (decompressed) input into content_.
  void Load();
  // Throws for an empty or binary input; returns where the text starts (after a BOM).
  size_t CheckText() const;
  // Pass 1: Scan() on every non-blank line from `pos`.
  void ScanLines(size_t pos);
  // Validates one line; on success registers its keys and their value types.
  void Scan(const Line& line);
  void Reject(const Line& line, size_t offset, std::string reason);
  // Throws InvalidArgument for a declared type or role naming no column.
  void CheckNames() const;
  // Pass 2: the table of the lines that passed.
  Table Build();
  std::string_view Text(const Line& line) const {
    return {content_.data() + line.offset, line.size};
  }
  simdjson::padded_string_view Padded(const Line& line) const {
    return simdjson::padded_string_view(content_.data() + line.offset, line.size,
                                        size_ + simdjson::SIMDJSON_PADDING - line.offset);
  }
  // Byte offset in `line` where simdjson's On Demand parser stops, for a line that is not JSON.
  size_t LocateSyntaxError(const Line& line, simdjson::error_code dom_error);
  // Byte offset of the `occurrence`-th field named `key` (of its value with `value`), or 0.
  size_t LocateField(const Line& line, std::string_view key, int occurrence, bool value);

  std::filesystem::path path_;
  const ReadOptions& options_;
  std::map<std::string, DataType, std::less<>> declared_;
  FileInfo info_;
  std::string content_;  // the decompressed input, followed by simdjson padding
  size_t size_ = 0;      // bytes of input in content_
  dom::parser parser_;
  ondemand::parser locator_;
  std::vector<ColumnState> columns_;
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> index_;
  std::vector<Line> good_;
  std::vector<RejectedRow> rejected_;
  // Duplicate-key check: stamp_[j] == scan_id_ when column j's key was seen on the current
  // line; new_keys_ holds the keys of the current line that are not columns yet.
  std::vector<int64_t> stamp_;
  int64_t scan_id_ = 0;
  std::vector<std::string_view> new_keys_;
  std::vector<int> slots_;  // column of each key of the current line, -1 for a new key
  Cell cell_;
};

void JsonLinesReader::Load() {
  auto source = OpenByteSource(path_, &info_);
  const int64_t total = info_.compression == Compression::kNone ? info_.size : 0;
  content_.reserve(static_cast<size_t>(total) + kReadChunk + simdjson::SIMDJSON_PADDING);
  while (true) {
    size_t old = content_.size();
    content_.resize(old + kReadChunk);
    size_t n = source->Read(content_.data() + old, kReadChunk);
    content_.resize(old + n);
    if (n == 0) break;
    if (options_.progress) options_.progress(static_cast<int64_t>(content_.size()), total);
  }
  size_ = content_.size();
  content_.append(simdjson::SIMDJSON_PADDING, '\0');
}

void JsonLinesReader::Reject(const Line& line, size_t offset, std::string reason) {
  RejectedRow row;
  row.line = line.number;
  row.column = static_cast<int64_t>(offset) + 1;
  row.reason = std::move(reason);
  row.text = std::string(Text(line));
  if (options_.on_bad_rows == BadRowPolicy::kFail) {
    throw DataError(FormatRowError(path_.string(), row));
  }
  rejected_.push_back(std::move(row));
}

size_t JsonLinesReader::LocateSyntaxError(const Line& line, simdjson::error_code dom_error) {
  std::string_view text = Text(line);
  if (dom_error == simdjson::UNCLOSED_STRING) {
    size_t at = UnclosedStringOffset(text);
    return at == std::string_view::npos ? 0 : at;
  }
  ondemand::document doc;
  if (locator_.iterate(Padded(line)).get(doc)) return 0;
  ondemand::value root;
  simdjson::error_code error = doc.get_value().get(root);
  if (!error) error = Walk(root);
  if (error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) return text.size();  // ended early
  const char* at = nullptr;
  if (doc.current_location().get(at) || at < text.data() || at > text.data() + text.size()) {
    return 0;
  }
  return static_cast<size_t>(at - text.data());
}

size_t JsonLinesReader::LocateField(const Line& line, std::string_view key, int occurrence,
                                    bool value) {
  const char* begin = content_.data() + line.offset;
  ondemand::document doc;
  ondemand::object object;
  if (locator_.iterate(Padded(line)).get(doc) || doc.get_object().get(object)) return 0;
  for (auto result : object) {
    ondemand::field field;
    std::string_view name;
    if (std::move(result).get(field)) return 0;
    const char* key_at = field.key().raw() - 1;  // the opening quote
    if (field.unescaped_key().get(name)) return 0;
    if (name != key || occurrence-- > 0) continue;
    if (!value) return key_at - begin;
    return field.value().raw_json_token().data() - begin;
  }
  return 0;
}

void JsonLinesReader::Scan(const Line& line) {
  std::string_view text = Text(line);
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    size_t bad = InvalidUtf8Offset(text);
    return Reject(line, bad == std::string_view::npos ? 0 : bad, "invalid UTF-8");
  }
  dom::element root;
  if (auto error = parser_.parse(text.data(), text.size(), false).get(root)) {
    std::string reason = "not valid JSON: " + JsonErrorText(error, text);
    return Reject(line, LocateSyntaxError(line, error), std::move(reason));
  }
  dom::object object;
  if (root.get(object)) {
    size_t at = text.find_first_not_of(" \t\r");
    return Reject(line, at == std::string_view::npos ? 0 : at,
                  "expected a JSON object, found " + std::string(KindName(root.type())) +
                      (root.type() == dom::element_type::ARRAY
                           ? " (mloop reads JSON Lines, one object per line: convert an array "
                             "of records with jq -c '.[]' FILE)"
                           : ""));
  }
  ++scan_id_;
  new_keys_.clear();
  slots_.clear();
  for (auto [key, value] : object) {
    if (key.empty()) return Reject(line, LocateField(line, key, 0, false), "empty key");
    bool duplicate;
    auto it = index_.find(key);
    slots_.push_back(it == index_.end() ? -1 : it->second);
    if (it != index_.end()) {
      duplicate = stamp_[it->second] == scan_id_;
      stamp_[it->second] = scan_id_;
    } else {
      duplicate = std::find(new_keys_.begin(), new_keys_.end(), key) != new_keys_.end();
      new_keys_.push_back(key);
    }
    if (duplicate) {
      return Reject(line, LocateField(line, key, 1, false),
                    "duplicate key '" + Printable(key, 60) + "'");
    }
    std::optional<DataType> declared;
    if (slots_.back() >= 0) {
      const ColumnState& c = columns_[slots_.back()];
      if (c.declared) declared = c.type;
    } else if (auto d = declared_.find(key); d != declared_.end()) {
      declared = d->second;
    }
    if (declared && !ToCell(value, *declared, true, &cell_)) {
      const std::string type(DataTypeName(*declared));
      return Reject(
          line, LocateField(line, key, 0, true),
          "value for '" + Printable(key, 60) + "' (" + Printable(simdjson::minify(value), 60) +
              ") is not a valid " + type +
              (options_.types_if_present
                   ? " (it was " + type + " in the data the model or recipe was fitted on)"
                   : " (the column is declared " + type + ")"));
    }
  }
  size_t k = 0;
  for (auto [key, value] : object) {
    int j = slots_[k++];
    if (j < 0) {
      j = static_cast<int>(columns_.size());
      index_.emplace(std::string(key), j);
      ColumnState c;
      c.name = std::string(key);
      auto d = declared_.find(key);
      c.declared = d != declared_.end();
      if (c.declared) c.type = d->second;
      columns_.push_back(std::move(c));
      stamp_.push_back(scan_id_);
    }
    ColumnState& c = columns_[j];
    if (c.declared) continue;
    std::optional<DataType> t = ValueType(value);
    if (!t) continue;
    c.type = c.seen_value ? JoinTypes(c.type, *t) : *t;
    c.seen_value = true;
    if (!c.inexact_integer && IsInexactAsDouble(value)) c.inexact_integer = true;
    if (c.inexact_integer && c.type == DataType::kFloat64) c.type = DataType::kString;
  }
  good_.push_back(line);
}

void JsonLinesReader::CheckNames() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) names.push_back(c.name);
  for (const auto& [name, type] : options_.types) {
    if (options_.types_if_present || options_.declared_if_present) break;
    if (!index_.count(name)) {
      throw InvalidArgument("a type is declared for column '" + name + "', which " +
                                path_.string() + " does not have" + DidYouMean(name, names),
                            "columns: " + Join(names, ", "));
    }
  }
  for (const auto& [name, role] : options_.roles) {
    if (options_.declared_if_present) break;
    if (!index_.count(name)) {
      throw InvalidArgument("a role is given for column '" + name + "', which " + path_.string() +
                                " does not have" + DidYouMean(name, names),
                            "columns: " + Join(names, ", "));
    }
  }
}

size_t JsonLinesReader::CheckText() const {
  size_t pos = 0;
  if (size_ >= 3 && std::memcmp(content_.data(), "\xEF\xBB\xBF", 3) == 0) pos = 3;
  if (pos == size_) throw DataError(path_.string() + ": the file is empty");
  if (const void* nul = std::memchr(content_.data(), '\0', std::min(size_, kProbeBytes))) {
    RefuseKnownBinaryFormat(path_, std::string_view(content_.data(), size_));
    auto offset = static_cast<const char*>(nul) - content_.data();
    throw DataError(path_.string() + ": this is not a text file (a NUL byte at offset " +
                        std::to_string(offset) + ")",
                    "mloop reads CSV, JSON Lines (.jsonl) and SQLite queries (--sql)");
  }
  return pos;
}

void JsonLinesReader::ScanLines(size_t pos) {
  bool any_text = false;
  for (int64_t number = 1; pos < size_; ++number) {
    const char* begin = content_.data() + pos;
    const char* nl = static_cast<const char*>(std::memchr(begin, '\n', size_ - pos));
    size_t len = nl ? static_cast<size_t>(nl - begin) : size_ - pos;
    Line line{pos, len, number};
    pos += len + (nl ? 1 : 0);
    if (line.size > 0 && begin[line.size - 1] == '\r') --line.size;
    if (Text(line).find_first_not_of(" \t\r") == std::string_view::npos) continue;
    any_text = true;
    Scan(line);
  }
  if (!any_text) throw DataError(path_.string() + ": the file has no rows (only blank lines)");
}

Table JsonLinesReader::Build() {
  const size_t ncols = columns_.size();
  std::vector<ColumnBuilder> builders;
  for (const auto& c : columns_) {
    builders.emplace_back(c.type);
    builders.back().Reserve(static_cast<int64_t>(good_.size()));
  }
  std::vector<int64_t> filled(ncols, -1);
  Cell cell;
  for (size_t row = 0; row < good_.size(); ++row) {
    const Line& line = good_[row];
    dom::object object;
    if (parser_.parse(content_.data() + line.offset, line.size, false).get(object)) {
      throw Internal("JSON Lines: line " + std::to_string(line.number) + " no longer parses");
    }
    for (auto [key, value] : object) {
      const int j = index_.find(key)->second;
      if (!ToCell(value, columns_[j].type, columns_[j].declared, &cell)) {
        throw Internal("JSON Lines: a value on line " + std::to_string(line.number) +
                       " does not fit its inferred type");
      }
      AppendTyped(builders[j], cell);
      filled[j] = static_cast<int64_t>(row);
    }
    for (size_t j = 0; j < ncols; ++j) {
      if (filled[j] != static_cast<int64_t>(row)) builders[j].AppendNull();
    }
  }
  std::vector<Field> fields;
  std::vector<Column> columns;
  for (size_t j = 0; j < ncols; ++j) {
    Field f{columns_[j].name, columns_[j].type, Role::kFeature};
    auto r = options_.roles.find(f.name);
    if (r != options_.roles.end()) f.role = r->second;
    fields.push_back(std::move(f));
    columns.push_back(builders[j].Finish());
  }
  return Table(Schema(std::move(fields)), std::move(columns));
}

ReadResult JsonLinesReader::Run() {
  Load();
  ScanLines(CheckText());  // pass 1: validate every line, collect the keys, infer the types
  CheckNames();
  ReadResult result;
  result.table = Build();  // pass 2: build the columns from the lines that passed
  result.rejected = std::move(rejected_);
  result.source = info_;
  return result;
}

}  // namespace

ReadResult ReadJsonLines(const std::filesystem::path& path, const ReadOptions& options) {
  return JsonLinesReader(path, options).Run();
}

}  // namespace mloop
