// cast: converts columns to another type (definitions in docs/formats.md, "Recipes").
#include <charconv>
#include <cmath>

#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

// --- cast -------------------------------------------------------------------------------------

bool CastAllowed(DataType from, DataType to) {
  if (from == to || to == DataType::kString || from == DataType::kString) return true;
  if (to == DataType::kFloat64 || to == DataType::kInt64) return true;
  if (to == DataType::kBool) return from != DataType::kTimestamp;
  return from != DataType::kBool;  // -> timestamp from int64 / float64 seconds
}

constexpr int64_t kMicrosPerSecond = 1000000;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool ParseDouble(std::string_view s, double* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

bool ParseBoolText(std::string_view s, bool* out) {
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "t" || lower == "yes" || lower == "y" || lower == "1") {
    *out = true;
    return true;
  }
  if (lower == "false" || lower == "f" || lower == "no" || lower == "n" || lower == "0") {
    *out = false;
    return true;
  }
  return false;
}

class CastStep : public StepBase<CastStep> {
 public:
  explicit CastStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns", "to"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    if (!o.Has("to"))
      throw o.Fail("missing key 'to'", "to: float64, int64, string, bool or timestamp");
    // The type names schema files and --type take, aliases included (float, int, datetime, ...).
    to_ =
        *ParseDataType(o.Enum("to",
                              {"float64", "int64", "string", "bool", "timestamp", "float", "double",
                               "int", "integer", "boolean", "str", "category", "datetime"},
                              ""));
  }
  Schema Check(const Schema& in, CheckContext& ctx) const override {
    auto cols = selector_.Resolve(in, ctx, Where());
    for (const auto& name : cols) {
      const Field& f = in.field(in.IndexOf(name));
      if (!CastAllowed(f.type, to_)) {
        throw Fail("cannot cast column '" + Printable(name) + "' from " +
                   std::string(DataTypeName(f.type)) + " to " + std::string(DataTypeName(to_)));
      }
    }
    return SchemaWithTypes(in, cols, to_);
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
  }
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    TableEdit edit(in);
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(Need(in, name));
    std::vector<Column> out(idx.size());
    ForEachColumn(static_cast<int>(idx.size()), ctx.threads,
                  [&](int k) { out[k] = Cast(in.column(idx[k]), columns_[k]); });
    for (size_t k = 0; k < idx.size(); ++k) edit.Replace(idx[k], std::move(out[k]));
    return edit.Finish();
  }
  json State() const override {
    return json{{"step", kind()}, {"columns", columns_}, {"to", DataTypeName(to_)}};
  }
  void LoadFrom(const json& state) {
    columns_ = state.at("columns").get<std::vector<std::string>>();
  }
  std::vector<std::string> Reads() const override { return columns_; }

 private:
  Error Bad(const std::string& column, int64_t row, const std::string& value) const {
    return DataError(
        RowMessage(row + 1, "column '" + Printable(column) + "': " + Where() + ": cannot cast '" +
                                Printable(value) + "' to " + std::string(DataTypeName(to_))),
        to_ == DataType::kTimestamp
            ? "text casts to a timestamp in ISO 8601 (2024-01-02, 2024-01-02T03:04:05Z, with or "
              "without an offset); numbers cast as Unix seconds (cast text of seconds to int64 "
              "first)"
        : to_ == DataType::kString ? ""
        : to_ == DataType::kInt64
            ? "int64 takes whole numbers from -9223372036854775808 to 9223372036854775807 "
              "(fractions: round them first, derive x = round(x); larger numbers: cast to "
              "float64)"
        : to_ == DataType::kBool ? "bool takes true/false, t/f, yes/no, y/n (any case) and 1/0"
                                 : "float64 takes numbers (formats: docs/formats.md, \"Reading "
                                   "input\")");
  }

  Column Cast(const Column& c, const std::string& name) const {
    if (c.type() == to_) return c;
    const int64_t n = c.size();
    const DataType from = c.type();
    if (to_ == DataType::kFloat64 && from != DataType::kString && from != DataType::kTimestamp) {
      return ToDoubles(c);
    }
    ColumnBuilder b(to_);
    b.Reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      if (!c.IsValid(i)) {
        b.AppendNull();
        continue;
      }
      // Text is parsed as `data import` parses a field: spaces around the value are ignored.
      std::string_view text;
      if (from == DataType::kString) {
        text = c.StringAt(i);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
      }
      switch (to_) {
        case DataType::kString:
          b.AppendString(CellToString(c, i));
          break;
        case DataType::kFloat64: {
          if (from == DataType::kTimestamp) {
            b.AppendDouble(static_cast<double>(c.i64()[i]) / kMicrosPerSecond);
          } else {
            double v;
            if (!ParseDouble(text, &v)) throw Bad(name, i, std::string(c.StringAt(i)));
            b.AppendDouble(v);
          }
          break;
        }
        case DataType::kInt64: {
          if (from == DataType::kBool) {
            b.AppendInt(c.bools()[i]);
          } else if (from == DataType::kTimestamp) {
            b.AppendInt(FloorDiv(c.i64()[i], kMicrosPerSecond));
          } else {
            double v;
            if (from == DataType::kFloat64) {
              v = c.f64()[i];
            } else {
              std::string_view s = text;
              int64_t iv;
              auto [ptr, ec] =
                  std::from_chars(s.data() + (!s.empty() && s[0] == '+'), s.data() + s.size(), iv);
              if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) {
                b.AppendInt(iv);
                break;
              }
              if (!ParseDouble(s, &v) || v != std::trunc(v)) throw Bad(name, i, std::string(s));
            }
            if (std::isnan(v)) {
              b.AppendNull();
            } else if (!(v >= -9.2233720368547758e18 && v < 9.2233720368547758e18)) {
              throw Bad(name, i, CellToString(c, i));
            } else {
              b.AppendInt(static_cast<int64_t>(std::trunc(v)));
            }
          }
          break;
        }
        case DataType::kBool: {
          if (from == DataType::kString) {
            bool v;
            if (!ParseBoolText(text, &v)) throw Bad(name, i, std::string(c.StringAt(i)));
            b.AppendBool(v);
          } else if (from == DataType::kInt64) {
            b.AppendBool(c.i64()[i] != 0);
          } else {
            double v = c.f64()[i];
            if (std::isnan(v)) {
              b.AppendNull();
            } else {
              b.AppendBool(v != 0);
            }
          }
          break;
        }
        case DataType::kTimestamp: {
          if (from == DataType::kString) {
            int64_t t;
            if (!ParseIsoTimestamp(text, &t)) {
              throw Bad(name, i, std::string(c.StringAt(i)));
            }
            b.AppendInt(t);
          } else if (from == DataType::kFloat64 && std::isnan(c.f64()[i])) {
            b.AppendNull();
          } else {
            // Seconds of years 0000-9999, the timestamps every reader of mloop takes (beyond
            // them the microseconds would also overflow).
            int64_t t;
            const bool ok = from == DataType::kInt64 ? TimestampFromSeconds(c.i64()[i], &t)
                                                     : TimestampFromSeconds(c.f64()[i], &t);
            if (!ok) throw Bad(name, i, CellToString(c, i));
            b.AppendInt(t);
          }
          break;
        }
      }
    }
    return b.Finish();
  }

  ColumnSelector selector_;
  DataType to_ = DataType::kFloat64;
  std::vector<std::string> columns_;
};

}  // namespace

std::shared_ptr<const Step> MakeCast(const StepSpec& spec) {
  return std::make_shared<CastStep>(spec);
}

}  // namespace mloop::prep
