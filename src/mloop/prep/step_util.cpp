// Helpers shared by the recipe steps: option reading, column selectors, table edits, float64
// views and numpy-compatible quantiles.
#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <set>

#include "mloop/core/parallel.h"
#include "mloop/core/strings.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

std::string JsonTypeName(const json& v) {
  if (v.is_null()) return "nothing";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "a list";
  return "a map";
}

std::string Shown(const json& v) {
  if (v.is_string()) return "'" + Printable(v.get<std::string>()) + "'";
  return Printable(v.dump());
}

}  // namespace

// --- Options ----------------------------------------------------------------------------------

Options::Options(const StepSpec& spec, std::vector<std::string> keys)
    : spec_(spec), keys_(std::move(keys)) {
  if (!spec.options.is_object()) throw Fail("its options must be a map of key: value");
  for (const auto& item : spec.options.items()) {
    const std::string& key = item.key();
    if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) continue;
    std::string nearest = NearestName(key, keys_);
    std::string hint = nearest.empty() ? "" : "did you mean '" + nearest + "'? ";
    hint += keys_.empty() ? spec.kind + " takes no options"
                          : spec.kind + " takes: " + Join(keys_, ", ");
    throw Fail("unknown key '" + Printable(key) + "'", hint);
  }
}

Error Options::Fail(const std::string& message, const std::string& hint) const {
  return InvalidArgument(spec_.Where() + ": " + message, hint);
}

bool Options::Has(const std::string& key) const {
  auto it = spec_.options.find(key);
  return it != spec_.options.end() && !it->is_null();
}

const json& Options::Raw(const std::string& key) const {
  static const json null_value;
  auto it = spec_.options.find(key);
  return it == spec_.options.end() ? null_value : *it;
}

std::string Options::String(const std::string& key, const std::string& fallback) const {
  const json& v = Raw(key);
  if (v.is_null()) return fallback;
  if (!v.is_string()) {
    throw Fail("'" + key + "' must be a string, not " + JsonTypeName(v) + " (" + Shown(v) + ")");
  }
  return v.get<std::string>();
}

std::string Options::RequiredString(const std::string& key) const {
  if (!Has(key)) throw Fail("missing key '" + key + "'");
  return String(key, "");
}

std::string Options::Enum(const std::string& key, const std::vector<std::string>& values,
                          const std::string& fallback) const {
  const json& v = Raw(key);
  if (v.is_null()) return fallback;
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (!v.is_string() || std::find(values.begin(), values.end(), s) == values.end()) {
    std::string nearest = NearestName(s, values);
    throw Fail("'" + key + "' must be one of " + Join(values, ", ") + ", not " + Shown(v),
               nearest.empty() ? "" : "did you mean '" + nearest + "'?");
  }
  return s;
}

std::optional<double> Options::OptionalNumber(const std::string& key) const {
  const json& v = Raw(key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number()) {
    throw Fail("'" + key + "' must be a number, not " + JsonTypeName(v) + " (" + Shown(v) + ")");
  }
  if (!std::isfinite(v.get<double>())) {
    throw Fail("'" + key + "' must be a finite number; it reads as infinite (beyond a double)");
  }
  return v.get<double>();
}

double Options::Number(const std::string& key, double fallback) const {
  return OptionalNumber(key).value_or(fallback);
}

int64_t Options::Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
  const json& v = Raw(key);
  if (v.is_null()) return fallback;
  if (!v.is_number_integer()) {
    throw Fail("'" + key + "' must be a whole number, not " + JsonTypeName(v) + " (" + Shown(v) +
               ")");
  }
  int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX} ? INT64_MAX
                                                                                : v.get<int64_t>();
  if (n < min || n > max) {
    throw Fail("'" + key + "' must be from " + std::to_string(min) + " to " + std::to_string(max) +
               ", not " + v.dump());
  }
  return n;
}

bool Options::Bool(const std::string& key, bool fallback) const {
  const json& v = Raw(key);
  if (v.is_null()) return fallback;
  if (!v.is_boolean()) {
    throw Fail("'" + key + "' must be true or false, not " + Shown(v));
  }
  return v.get<bool>();
}

std::vector<double> Options::NumberList(const std::string& key) const {
  const json& v = Raw(key);
  std::vector<double> out;
  if (v.is_null()) return out;
  if (!v.is_array()) throw Fail("'" + key + "' must be a list of numbers, not " + Shown(v));
  for (const json& x : v) {
    if (!x.is_number())
      throw Fail("'" + key + "' must be a list of numbers; " + Shown(x) + " is not");
    out.push_back(x.get<double>());
  }
  return out;
}

std::vector<std::string> Options::StringList(const std::string& key) const {
  const json& v = Raw(key);
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) throw Fail("'" + key + "' must be a list of names, not " + Shown(v));
  for (const json& x : v) {
    if (!x.is_string())
      throw Fail("'" + key + "' must be a list of names; " + Shown(x) + " is not");
    out.push_back(x.get<std::string>());
  }
  return out;
}

// --- ColumnSelector ---------------------------------------------------------------------------

ColumnSelector ColumnSelector::Read(const Options& options, const std::string& key, bool required) {
  const json& v = options.Raw(key);
  ColumnSelector s;
  const std::string shape = "'" + key +
                            "' must be a column name, a list of column names, or one of "
                            "numeric, string, timestamp, all";
  if (v.is_null()) {
    if (required) throw options.Fail("missing key '" + key + "'", shape);
    return s;
  }
  if (v.is_string()) {
    std::string text = v.get<std::string>();
    if (text == "numeric") {
      s.kind = Kind::kNumeric;
    } else if (text == "string") {
      s.kind = Kind::kString;
    } else if (text == "timestamp") {
      s.kind = Kind::kTimestamp;
    } else if (text == "all") {
      s.kind = Kind::kAll;
    } else {
      s.names = {text};
      s.scalar = true;
    }
    return s;
  }
  if (!v.is_array()) throw options.Fail(shape + ", not " + Shown(v));
  std::set<std::string> seen;
  for (const json& x : v) {
    if (!x.is_string()) throw options.Fail(shape + "; " + Shown(x) + " is not a name");
    std::string name = x.get<std::string>();
    if (!seen.insert(name).second) {
      throw options.Fail("'" + key + "' lists '" + Printable(name) + "' twice");
    }
    s.names.push_back(name);
  }
  return s;
}

std::string NoColumn(const std::string& name, const Schema& schema, const CheckContext& ctx) {
  std::string text = "no column '" + Printable(name) + "'";
  auto it = ctx.gone.find(name);
  return it != ctx.gone.end() ? text + ": " + it->second : text + DidYouMean(name, schema.names());
}

void NoteGoneColumns(const Step& step, const Schema& in, const Schema& out, CheckContext& ctx) {
  for (const Field& f : out.fields()) ctx.gone.erase(f.name);
  for (const Field& f : in.fields()) {
    if (out.IndexOf(f.name) >= 0) continue;
    std::string now;
    for (const Field& o : out.fields()) {
      if (in.IndexOf(o.name) < 0 && step.RenamedFrom(o.name) == f.name) now = o.name;
    }
    ctx.gone[f.name] = "step " + std::to_string(step.number()) + " (" + step.kind() + ")" +
                       (now.empty() ? " removed it" : " renamed it to '" + now + "'");
  }
}

std::vector<std::string> ColumnSelector::Resolve(const Schema& schema, const CheckContext& ctx,
                                                 const std::string& where,
                                                 bool allow_target) const {
  std::vector<std::string> out;
  if (kind == Kind::kNames) {
    for (const std::string& name : names) {
      if (schema.IndexOf(name) < 0) {
        if (ctx.preflight) {
          bool pending = false;
          for (const auto& p : ctx.pending_prefixes) pending |= name.rfind(p, 0) == 0;
          if (pending) continue;  // made by an earlier one_hot; known after fitting
        }
        std::vector<std::string> all = schema.names();
        std::string listed =
            all.size() <= 20
                ? Join(all, ", ")
                : Join(std::vector<std::string>(all.begin(), all.begin() + 20), ", ") + ", ...";
        std::string text = NoColumn(name, schema, ctx);
        // `columns: numerc`: a selector with a typo reads as a column name; suggested when it
        // is nearer than any column.
        if (scalar && !ctx.gone.count(name)) {
          const std::string selector = NearestName(name, {"numeric", "string", "timestamp", "all"});
          const std::string column = NearestName(name, schema.names());
          if (!selector.empty() &&
              (column.empty() || EditDistance(AsciiLower(name), selector) <
                                     EditDistance(AsciiLower(name), AsciiLower(column)))) {
            text = "no column '" + Printable(name) + "' (did you mean the selector '" + selector +
                   "'?)";
          }
        }
        throw NotFound(where + ": " + text, "columns at this step: " + listed);
      }
      if (!allow_target && !ctx.target.empty() && name == ctx.target) {
        throw InvalidArgument(where + ": '" + name +
                                  "' is the target column, which a recipe passes through "
                                  "untouched",
                              "remove it from the step's columns");
      }
      out.push_back(name);
    }
    return out;
  }
  for (const Field& f : schema.fields()) {
    // Type selectors pick features: never the target, nor an id, event-time or ignored column
    // (which training leaves out too; `scale: numeric` would overwrite the ids).
    if (!ctx.target.empty() && f.name == ctx.target) continue;
    if (f.role != Role::kFeature) continue;
    bool match = kind == Kind::kAll || (kind == Kind::kNumeric && IsNumeric(f.type)) ||
                 (kind == Kind::kString && f.type == DataType::kString) ||
                 (kind == Kind::kTimestamp && f.type == DataType::kTimestamp);
    if (match) out.push_back(f.name);
  }
  if (ctx.target.empty() && !allow_target && !out.empty() && ctx.untargeted_selections &&
      std::find(ctx.untargeted_selections->begin(), ctx.untargeted_selections->end(), where) ==
          ctx.untargeted_selections->end()) {
    ctx.untargeted_selections->push_back(where);
  }
  return out;
}

// --- Step -------------------------------------------------------------------------------------

Table ApplyStepWithRowOrigin(const std::function<Table(std::optional<std::vector<int64_t>>*)>& run,
                             std::vector<int64_t>& origin) {
  std::optional<std::vector<int64_t>> kept;
  Table out;
  try {
    out = run(&kept);
  } catch (const Error& e) {
    const auto [row, rest] = SplitRowMessage(e.what());
    if (e.code() != ErrorCode::kDataError || row == 0 || origin.empty() ||
        row > static_cast<int64_t>(origin.size())) {
      throw;
    }
    throw Error(e.code(), RowMessage(origin[row - 1] + 1, rest), e.hint());
  }
  if (kept) {
    if (origin.empty()) {
      origin = std::move(*kept);
    } else {
      for (int64_t& k : *kept) k = origin[k];
      origin = std::move(*kept);
    }
  }
  return out;
}

std::shared_ptr<const Step> Step::Fit(const Table& in, const FitContext& ctx, Table* out) const {
  std::shared_ptr<Step> fitted = Clone();
  fitted->Learn(in, ctx);
  if (out) {
    *out = fitted->Transform(
        in, ApplyContext{ApplyMode::kDataset, ctx.threads, ctx.target, ctx.kept_rows});
  }
  return fitted;
}

int Step::Need(const Table& table, const std::string& name) const {
  int i = table.schema().IndexOf(name);
  if (i < 0) {
    throw InvalidArgument(Where() + ": column '" + Printable(name) + "' is missing" +
                          DidYouMean(name, table.schema().names()));
  }
  return i;
}

// --- Helpers ----------------------------------------------------------------------------------

bool IsNumeric(DataType type) {
  return type == DataType::kFloat64 || type == DataType::kInt64 || type == DataType::kBool;
}

void RequireType(const std::string& where, const std::string& kind, const Field& field, bool ok,
                 const std::string& what) {
  if (ok) return;
  throw InvalidArgument(where + ": column '" + Printable(field.name) + "' is " +
                        std::string(DataTypeName(field.type)) + "; " + kind + " takes " + what);
}

TableEdit::TableEdit(const Table& table)
    : fields_(table.schema().fields()), columns_(table.columns()) {}

int TableEdit::IndexOf(const std::string& name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void TableEdit::Replace(int i, Column column) {
  fields_[i].type = column.type();
  columns_[i] = std::move(column);
}

void TableEdit::Insert(int i, Field field, Column column) {
  field.type = column.type();
  fields_.insert(fields_.begin() + i, std::move(field));
  columns_.insert(columns_.begin() + i, std::move(column));
}

void TableEdit::Remove(int i) {
  fields_.erase(fields_.begin() + i);
  columns_.erase(columns_.begin() + i);
}

Table TableEdit::Finish() {
  return Table(Schema(std::move(fields_)), std::move(columns_));
}

Schema SchemaWithout(const Schema& schema, const std::vector<std::string>& names) {
  std::vector<Field> fields;
  for (const Field& f : schema.fields()) {
    if (std::find(names.begin(), names.end(), f.name) == names.end()) fields.push_back(f);
  }
  return Schema(std::move(fields));
}

Schema SchemaWithTypes(const Schema& schema, const std::vector<std::string>& names, DataType type) {
  std::vector<Field> fields = schema.fields();
  for (Field& f : fields) {
    if (std::find(names.begin(), names.end(), f.name) != names.end()) f.type = type;
  }
  return Schema(std::move(fields));
}

void RequireNewName(const std::string& where, const Schema& schema, const std::string& name) {
  if (name.empty()) throw InvalidArgument(where + ": a column name cannot be empty");
  if (schema.IndexOf(name) >= 0) {
    throw InvalidArgument(
        where + ": the new column '" + Printable(name) + "' clashes with an existing column",
        "choose another name, or drop or rename the existing column first");
  }
}

void RequireFiniteState(const std::string& where, const std::string& name, const Column& doubles,
                        const std::vector<double>& state) {
  if (std::all_of(state.begin(), state.end(), [](double v) { return std::isfinite(v); })) return;
  const double* x = doubles.f64();
  double largest = 0;
  bool present = false;
  for (int64_t i = 0; i < doubles.size(); ++i) {
    if (std::isnan(x[i])) continue;
    present = true;
    largest = std::max(largest, std::fabs(x[i]));
  }
  if (!present) return;  // an all-missing column learns NaN, and keeps its rows missing
  throw DataError(where + ": column '" + Printable(name) +
                      "' holds values too large for this "
                      "step (up to " +
                      FormatDouble(largest) +
                      " in magnitude): what it learns overflows to infinity or NaN, which would "
                      "turn every value into a missing one",
                  "scale them down first (a derive step dividing by a power of ten, or log1p)");
}

void RequireFinite(const std::string& where, const std::string& name, const Column& doubles) {
  const double* x = doubles.f64();
  const int64_t n = doubles.size();
  int64_t first = -1;
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isinf(x[i])) {
      if (first < 0) first = i;
      ++count;
    }
  }
  if (count == 0) return;
  throw DataError(
      where + ": column '" + Printable(name) + "' holds " +
          (count == 1 ? "an infinite value" : std::to_string(count) + " infinite values") + " (" +
          FormatDouble(x[first]) + " at row " + std::to_string(first + 1) +
          "); this step learns from the values and needs them finite",
      "bound them first with a clip step, or use log1p rather than log (the log of "
      "0 is -inf)");
}

Column ToDoubles(const Column& column) {
  const int64_t n = column.size();
  if (column.type() == DataType::kFloat64) {
    if (!column.has_nulls()) return column;
    const double* x = column.f64();
    bool ok = true;
    for (int64_t i = 0; i < n && ok; ++i) ok = column.IsValid(i) || std::isnan(x[i]);
    if (ok) return column;
  }
  BigVector<double> v(static_cast<size_t>(n));
  switch (column.type()) {
    case DataType::kFloat64: {
      const double* x = column.f64();
      std::copy(x, x + n, v.begin());
      break;
    }
    case DataType::kInt64: {
      const int64_t* x = column.i64();
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>(x[i]);
      break;
    }
    case DataType::kBool: {
      const uint8_t* x = column.bools();
      for (int64_t i = 0; i < n; ++i) v[i] = x[i] ? 1.0 : 0.0;
      break;
    }
    default:
      throw Internal("ToDoubles on a " + std::string(DataTypeName(column.type())) + " column");
  }
  return Float64Like(std::move(v), column);
}

Column Float64Like(BigVector<double> values, const Column& like) {
  internal::ColumnData d;
  d.type = DataType::kFloat64;
  d.length = static_cast<int64_t>(values.size());
  if (like.has_nulls()) {
    const int64_t n = d.length;
    d.validity.assign(static_cast<size_t>((n + 63) / 64), 0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int64_t i = 0; i < n; ++i) {
      if (like.IsValid(i)) {
        d.validity[i >> 6] |= uint64_t{1} << (i & 63);
      } else {
        values[i] = nan;
        ++d.null_count;
      }
    }
  }
  d.f64 = std::move(values);
  return Column::FromData(std::move(d));
}

Column FinishLike(internal::ColumnData d, const Column& like) {
  if (like.has_nulls()) {
    const int64_t n = d.length;
    d.validity.assign(static_cast<size_t>((n + 63) / 64), 0);
    d.null_count = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (like.IsValid(i)) {
        d.validity[i >> 6] |= uint64_t{1} << (i & 63);
      } else {
        ++d.null_count;
      }
    }
  }
  return Column::FromData(std::move(d));
}

Column Float64MissingWhereNaN(BigVector<double> values) {
  internal::ColumnData d;
  d.type = DataType::kFloat64;
  d.length = static_cast<int64_t>(values.size());
  for (int64_t i = 0; i < d.length; ++i) {
    if (!std::isnan(values[i])) continue;
    if (d.validity.empty())
      d.validity.assign(static_cast<size_t>((d.length + 63) / 64), ~uint64_t{0});
    d.validity[i >> 6] &= ~(uint64_t{1} << (i & 63));
    ++d.null_count;
  }
  if (!d.validity.empty() && d.length % 64 != 0) {
    d.validity.back() &= (uint64_t{1} << (d.length % 64)) - 1;  // no bits past the end
  }
  d.f64 = std::move(values);
  return Column::FromData(std::move(d));
}

Column Float64Column(BigVector<double> values) {
  internal::ColumnData d;
  d.type = DataType::kFloat64;
  d.length = static_cast<int64_t>(values.size());
  d.f64 = std::move(values);
  return Column::FromData(std::move(d));
}

namespace {
std::mutex scratch_mutex;
std::vector<std::vector<double>> scratch_pool;
}  // namespace

Scratch::Scratch() {
  std::lock_guard lock(scratch_mutex);
  if (!scratch_pool.empty()) {
    values_ = std::move(scratch_pool.back());
    scratch_pool.pop_back();
  }
}

Scratch::~Scratch() {
  values_.clear();
  std::lock_guard lock(scratch_mutex);
  scratch_pool.push_back(std::move(values_));
}

void ReleaseScratch() {
  std::vector<std::vector<double>> pool;
  std::lock_guard lock(scratch_mutex);
  pool.swap(scratch_pool);
}

void PresentValues(const Column& doubles, std::vector<double>* out) {
  const double* x = doubles.f64();
  const int64_t n = doubles.size();
  out->resize(static_cast<size_t>(n));
  size_t k = 0;
  for (int64_t i = 0; i < n; ++i) {
    (*out)[k] = x[i];
    k += !std::isnan(x[i]);
  }
  out->resize(k);
}

namespace {
// numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5.
double Lerp(double a, double b, double t) {
  double d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

// Puts at each of the sorted positions [pb, pe) of base[lo, hi) the value a sort would.
void SelectPositions(double* base, size_t lo, size_t hi, const size_t* pb, const size_t* pe) {
  while (pb != pe) {
    const size_t* mid = pb + (pe - pb) / 2;
    std::nth_element(base + lo, base + *mid, base + hi);
    SelectPositions(base, lo, *mid, pb, mid);
    lo = *mid + 1;
    pb = mid + 1;
  }
}
}  // namespace

double QuantileSorted(const std::vector<double>& sorted, double q) {
  const size_t n = sorted.size();
  double vi = static_cast<double>(n - 1) * q;
  if (vi >= static_cast<double>(n - 1)) return sorted[n - 1];
  if (vi < 0) return sorted[0];
  double lo = std::floor(vi);
  size_t i = static_cast<size_t>(lo);
  return Lerp(sorted[i], sorted[i + 1], vi - lo);
}

std::vector<double> Quantiles(std::vector<double>& values, const std::vector<double>& qs,
                              double* median) {
  const size_t n = values.size();
  if (n == 0) {
    if (median) *median = std::numeric_limits<double>::quiet_NaN();
    return std::vector<double>(qs.size(), std::numeric_limits<double>::quiet_NaN());
  }
  std::vector<size_t> positions;
  for (double q : qs) {
    double vi = static_cast<double>(n - 1) * q;
    if (vi >= static_cast<double>(n - 1)) {
      positions.push_back(n - 1);
    } else if (vi < 0) {
      positions.push_back(0);
    } else {
      auto lo = static_cast<size_t>(std::floor(vi));
      positions.push_back(lo);
      positions.push_back(lo + 1);
    }
  }
  const size_t h = n / 2;
  if (median) {
    positions.push_back(h);
    if (n % 2 == 0) positions.push_back(h - 1);
  }
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  SelectPositions(values.data(), 0, n, positions.data(), positions.data() + positions.size());
  std::vector<double> out;
  for (double q : qs) out.push_back(QuantileSorted(values, q));
  if (median) *median = n % 2 == 1 ? values[h] : (values[h - 1] + values[h]) / 2;
  return out;
}

json DoubleToJson(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double DoubleFromJson(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  throw Corruption("expected a number, got " + Printable(v.dump()));
}

json DoublesToJson(const std::vector<double>& v) {
  json out = json::array();
  for (double x : v) out.push_back(DoubleToJson(x));
  return out;
}

std::vector<double> DoublesFromJson(const json& v) {
  if (!v.is_array()) throw Corruption("expected a list of numbers, got " + Printable(v.dump()));
  std::vector<double> out;
  out.reserve(v.size());
  for (const json& x : v) out.push_back(DoubleFromJson(x));
  return out;
}

void ForEachColumn(int n, int threads, const std::function<void(int)>& fn) {
  ParallelFor(n, std::max(1, threads), fn);
}

}  // namespace mloop::prep
