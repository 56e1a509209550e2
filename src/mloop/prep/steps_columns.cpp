// Steps that rearrange columns or rows: select, drop, rename, drop_duplicates, date_parts.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

std::vector<std::string> Names(const json& v) {
  return v.get<std::vector<std::string>>();
}

// --- select / drop ----------------------------------------------------------------------------

class SelectStep : public StepBase<SelectStep> {
 public:
  explicit SelectStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns"});
    selector_ = ColumnSelector::Read(o, "columns", true);
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    std::vector<Field> fields;
    for (const std::string& name : Output(in, ctx)) fields.push_back(in.field(in.IndexOf(name)));
    return Schema(std::move(fields));
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    CheckContext c = CheckContextFor(ctx);
    columns_ = Output(in.schema(), c);
  }
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<std::string> names;
    for (const std::string& name : columns_) {
      if (name == ctx.target && in.schema().IndexOf(name) < 0) continue;
      Need(in, name);
      names.push_back(name);
    }
    return in.Select(names);
  }
  json State() const override { return json{{"step", kind()}, {"columns", columns_}}; }
  void LoadFrom(const json& state) { columns_ = Names(state.at("columns")); }
  std::vector<std::string> Reads() const override { return {}; }

 private:
  // The selected columns, then the target when it was not selected. A type selector (`select:
  // numeric`) keeps the id and event-time columns too, in place: it selects among features.
  std::vector<std::string> Output(const Schema& in, const CheckContext& ctx) const {
    std::vector<std::string> out = selector_.Resolve(in, ctx, Where(), /*allow_target=*/true);
    if (selector_.kind != ColumnSelector::Kind::kNames) {
      std::vector<std::string> kept;
      for (const Field& f : in.fields()) {
        if (f.role == Role::kId || f.role == Role::kEventTime ||
            std::find(out.begin(), out.end(), f.name) != out.end()) {
          kept.push_back(f.name);
        }
      }
      out = std::move(kept);
    }
    if (!ctx.target.empty() && in.IndexOf(ctx.target) >= 0 &&
        std::find(out.begin(), out.end(), ctx.target) == out.end()) {
      out.push_back(ctx.target);
    }
    return out;
  }
  ColumnSelector selector_;
  std::vector<std::string> columns_;
};

class DropStep : public StepBase<DropStep> {
 public:
  explicit DropStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns"});
    selector_ = ColumnSelector::Read(o, "columns", true);
  }
  Schema Check(const Schema& in, CheckContext& ctx) const override {
    return SchemaWithout(in, selector_.Resolve(in, ctx, Where()));
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
  }
  Table Transform(const Table& in, const ApplyContext&) const override {
    TableEdit edit(in);
    for (const std::string& name : columns_) {
      int i = edit.IndexOf(name);
      if (i >= 0) edit.Remove(i);  // a dropped column need not be there
    }
    return edit.Finish();
  }
  json State() const override { return json{{"step", kind()}, {"columns", columns_}}; }
  void LoadFrom(const json& state) { columns_ = Names(state.at("columns")); }
  std::vector<std::string> Reads() const override { return {}; }

 private:
  ColumnSelector selector_;
  std::vector<std::string> columns_;
};

// --- rename -----------------------------------------------------------------------------------

class RenameStep : public StepBase<RenameStep> {
 public:
  explicit RenameStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"mapping"});
    const json& m = o.Raw("mapping");
    if (m.is_null()) throw o.Fail("missing key 'mapping'", "for example: mapping: {old: new}");
    if (!m.is_object()) throw o.Fail("'mapping' must be a map of old: new names");
    std::set<std::string> targets;
    for (const auto& item : m.items()) {
      if (!item.value().is_string() || item.value().get<std::string>().empty()) {
        throw o.Fail("'mapping': the new name for '" + Printable(item.key()) +
                     "' must be a non-empty string");
      }
      std::string to = item.value().get<std::string>();
      if (!targets.insert(to).second) {
        throw o.Fail("'mapping' gives two columns the name '" + Printable(to) + "'");
      }
      mapping_.emplace_back(item.key(), to);
    }
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    std::vector<Field> fields = in.fields();
    for (const auto& [from, to] : mapping_) {
      int i = in.IndexOf(from);
      if (i < 0) {
        bool pending = false;
        for (const auto& p : ctx.pending_prefixes) pending |= from.rfind(p, 0) == 0;
        if (ctx.preflight && pending) continue;
        throw NotFound(Where() + ": " + NoColumn(from, in, ctx));
      }
      if (!ctx.target.empty() && from == ctx.target) {
        throw Fail("'" + from + "' is the target column, which a recipe passes through untouched");
      }
      fields[i].name = to;
    }
    std::set<std::string> seen;
    for (const Field& f : fields) {
      if (!seen.insert(f.name).second) {
        throw Fail("the new name '" + Printable(f.name) + "' clashes with an existing column");
      }
    }
    return Schema(std::move(fields));
  }
  void Learn(const Table&, const FitContext&) override {}
  Table Transform(const Table& in, const ApplyContext&) const override {
    // All at once, as Check: every old name is looked up in the input before any column is
    // renamed, so that {a: b, b: a} swaps the two (one by one, the second lookup would find
    // the column just renamed).
    TableEdit edit(in);
    std::vector<std::pair<int, std::string>> renames;
    for (const auto& [from, to] : mapping_) {
      int i = in.schema().IndexOf(from);
      if (i >= 0) renames.emplace_back(i, to);
    }
    for (const auto& [i, to] : renames) edit.Rename(i, to);
    return edit.Finish();
  }
  json State() const override { return json{{"step", kind()}}; }
  void LoadFrom(const json&) {}
  std::vector<std::string> Reads() const override { return {}; }
  std::string RenamedFrom(const std::string& name) const override {
    for (const auto& [from, to] : mapping_) {
      if (to == name) return from;
    }
    for (const auto& [from, to] : mapping_) {
      if (from == name) return "";  // renamed away: this name is a different column now
    }
    return name;
  }

 private:
  std::vector<std::pair<std::string, std::string>> mapping_;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// --- drop_duplicates --------------------------------------------------------------------------

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The value at row i as 64 bits for hashing; missing (and NaN) is one value, as in pandas;
// -0.0 equals 0.0. Strings compare by text (code -> text id in `text_ids`). An int64 may share
// the missing marker's bits: rows are compared with SameValue.
uint64_t Key(const Column& c, int64_t i, const std::vector<uint64_t>& text_ids) {
  if (!c.IsValid(i)) return 0x7ff8dead00000001ULL;
  switch (c.type()) {
    case DataType::kFloat64: {
      double v = c.f64()[i];
      if (std::isnan(v)) return 0x7ff8dead00000001ULL;
      if (v == 0) v = 0;
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      return bits;
    }
    case DataType::kInt64:
    case DataType::kTimestamp:
      return static_cast<uint64_t>(c.i64()[i]);
    case DataType::kBool:
      return c.bools()[i];
    case DataType::kString:
      return text_ids[c.codes()[i]];
  }
  return 0;
}

bool IsMissingAt(const Column& c, int64_t i) {
  return !c.IsValid(i) || (c.type() == DataType::kFloat64 && std::isnan(c.f64()[i]));
}

// Whether rows i and j hold the same value: Key's equality, except that a value whose bits are
// the missing marker (an int64) is not missing.
bool SameValue(const Column& c, int64_t i, int64_t j, const std::vector<uint64_t>& text_ids) {
  const bool mi = IsMissingAt(c, i), mj = IsMissingAt(c, j);
  if (mi || mj) return mi && mj;
  return Key(c, i, text_ids) == Key(c, j, text_ids);
}

class DropDuplicatesStep : public StepBase<DropDuplicatesStep> {
 public:
  explicit DropDuplicatesStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns"});
    selector_ = ColumnSelector::Read(o, "columns", false);
    all_ = !o.Has("columns");
  }
  Schema Check(const Schema& in, CheckContext& ctx) const override {
    if (!all_) selector_.Resolve(in, ctx, Where(), /*allow_target=*/true);
    return in;
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = all_ ? in.schema().names()
                    : selector_.Resolve(in.schema(), CheckContextFor(ctx), Where(), true);
  }
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    if (ctx.mode == ApplyMode::kScoring) return in;
    std::vector<Column> cols;
    std::vector<std::vector<uint64_t>> text_ids;
    for (const auto& name : columns_) {
      int i = in.schema().IndexOf(name);
      if (i < 0) continue;
      cols.push_back(in.column(i));
      std::vector<uint64_t> ids;
      if (cols.back().type() == DataType::kString) {
        // Equal texts may have different codes in a column built from parts: one id per text.
        std::unordered_map<std::string_view, uint64_t> id_of;
        for (const auto& s : cols.back().dictionary()) {
          ids.push_back(id_of.emplace(s, id_of.size()).first->second);
        }
      }
      text_ids.push_back(std::move(ids));
    }
    const int64_t n = in.num_rows();
    std::vector<uint64_t> hash(static_cast<size_t>(n), 0x9E3779B97F4A7C15ULL);
    for (size_t k = 0; k < cols.size(); ++k) {
      for (int64_t i = 0; i < n; ++i) hash[i] = Mix(hash[i] ^ Key(cols[k], i, text_ids[k]));
    }
    std::unordered_map<uint64_t, std::vector<int64_t>> kept_by_hash;
    std::vector<int64_t> keep;
    keep.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      auto& bucket = kept_by_hash[hash[i]];
      bool duplicate = false;
      for (int64_t j : bucket) {
        bool equal = true;
        for (size_t k = 0; k < cols.size() && equal; ++k) {
          equal = SameValue(cols[k], i, j, text_ids[k]);
        }
        if (equal) {
          duplicate = true;
          break;
        }
      }
      if (!duplicate) {
        bucket.push_back(i);
        keep.push_back(i);
      }
    }
    if (static_cast<int64_t>(keep.size()) == n) return in;
    Table out = in.Take(keep);
    if (ctx.kept_rows) *ctx.kept_rows = std::move(keep);
    return out;
  }
  json State() const override { return json{{"step", kind()}, {"columns", columns_}}; }
  void LoadFrom(const json& state) { columns_ = Names(state.at("columns")); }
  std::vector<std::string> Reads() const override { return columns_; }
  std::vector<std::string> ReadsWhenScoring() const override { return {}; }

 private:
  ColumnSelector selector_;
  bool all_ = true;
  std::vector<std::string> columns_;
};

// --- date_parts -------------------------------------------------------------------------------

const std::vector<std::string>& PartNames() {
  static const std::vector<std::string> parts = {"year",        "month", "day",
                                                 "day_of_week", "hour",  "days_since"};
  return parts;
}

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

class DatePartsStep : public StepBase<DatePartsStep> {
 public:
  explicit DatePartsStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"columns", "parts", "reference"});
    selector_ = ColumnSelector::Read(o, "columns", true);
    parts_ = o.Has("parts") ? o.StringList("parts")
                            : std::vector<std::string>{"year", "month", "day", "day_of_week"};
    if (parts_.empty()) throw o.Fail("'parts' is empty");
    for (const auto& p : parts_) {
      if (std::find(PartNames().begin(), PartNames().end(), p) == PartNames().end()) {
        std::string nearest = NearestName(p, PartNames());
        throw o.Fail("unknown part '" + Printable(p) + "'; parts are " + Join(PartNames(), ", "),
                     nearest.empty() ? "" : "did you mean '" + nearest + "'?");
      }
    }
    bool needs_reference = std::find(parts_.begin(), parts_.end(), "days_since") != parts_.end();
    if (o.Has("reference")) {
      std::string text = o.String("reference", "");
      if (!ParseIsoTimestamp(text, &reference_)) {
        throw o.Fail("'reference' must be a date such as '2024-01-01', not '" + Printable(text) +
                     "'");
      }
    } else if (needs_reference) {
      throw o.Fail("the part days_since needs 'reference' (a date such as '2024-01-01')");
    }
  }

  Schema Check(const Schema& in, CheckContext& ctx) const override {
    auto cols = selector_.Resolve(in, ctx, Where());
    Schema current = in;
    for (const auto& name : cols) {
      const Field& f = in.field(in.IndexOf(name));
      RequireType(Where(), kind(), f, f.type == DataType::kTimestamp,
                  "timestamp columns (cast a string column with cast: {to: timestamp} first)");
      for (const auto& p : parts_) {
        std::string out = name + "_" + p;
        RequireNewName(Where(), current, out);
        Field nf{out, p == "days_since" ? DataType::kFloat64 : DataType::kInt64, Role::kFeature};
        std::vector<Field> cf = current.fields();
        cf.push_back(nf);
        current = Schema(std::move(cf));
      }
    }
    return Insert(in, cols);
  }
  void Learn(const Table& in, const FitContext& ctx) override {
    columns_ = selector_.Resolve(in.schema(), CheckContextFor(ctx), Where());
  }
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    std::vector<int> idx;
    for (const auto& name : columns_) idx.push_back(Need(in, name));
    const size_t np = parts_.size();
    std::vector<Column> out(idx.size() * np);
    ForEachColumn(static_cast<int>(out.size()), ctx.threads,
                  [&](int k) { out[k] = Part(in.column(idx[k / np]), parts_[k % np]); });
    TableEdit edit(in);
    for (size_t c = 0; c < idx.size(); ++c) {
      int at = edit.IndexOf(columns_[c]) + 1;
      for (size_t p = 0; p < np; ++p) {
        edit.Insert(at + static_cast<int>(p), Field{columns_[c] + "_" + parts_[p]},
                    std::move(out[c * np + p]));
      }
    }
    return edit.Finish();
  }
  json State() const override {
    return json{{"step", kind()}, {"columns", columns_}, {"parts", parts_}};
  }
  void LoadFrom(const json& state) { columns_ = Names(state.at("columns")); }
  std::vector<std::string> Reads() const override { return columns_; }

 private:
  Schema Insert(const Schema& in, const std::vector<std::string>& cols) const {
    std::vector<Field> fields;
    for (const Field& f : in.fields()) {
      fields.push_back(f);
      if (std::find(cols.begin(), cols.end(), f.name) == cols.end()) continue;
      for (const auto& p : parts_) {
        fields.push_back(Field{f.name + "_" + p,
                               p == "days_since" ? DataType::kFloat64 : DataType::kInt64,
                               Role::kFeature});
      }
    }
    return Schema(std::move(fields));
  }

  Column Part(const Column& c, const std::string& part) const {
    const int64_t n = c.size();
    const int64_t* t = c.i64();
    internal::ColumnData d;
    d.length = n;
    if (part == "days_since") {
      d.type = DataType::kFloat64;
      d.f64.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        d.f64[i] = static_cast<double>(t[i] - reference_) / static_cast<double>(kMicrosPerDay);
      }
      return Float64Like(std::move(d.f64), c);
    }
    d.type = DataType::kInt64;
    d.i64.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t days = FloorDiv(t[i], kMicrosPerDay);
      int64_t v = 0;
      if (part == "hour") {
        v = (t[i] - days * kMicrosPerDay) / (3600LL * 1000000);
      } else if (part == "day_of_week") {
        v = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday = 0
      } else {
        int64_t y;
        unsigned m, dd;
        CivilFromDays(days, &y, &m, &dd);
        v = part == "year" ? y : part == "month" ? m : dd;
      }
      d.i64[i] = c.IsValid(i) ? v : 0;
    }
    return FinishLike(std::move(d), c);
  }

  ColumnSelector selector_;
  std::vector<std::string> parts_;
  int64_t reference_ = 0;
  std::vector<std::string> columns_;
};

}  // namespace

std::shared_ptr<const Step> MakeSelect(const StepSpec& spec) {
  return std::make_shared<SelectStep>(spec);
}
std::shared_ptr<const Step> MakeDrop(const StepSpec& spec) {
  return std::make_shared<DropStep>(spec);
}
std::shared_ptr<const Step> MakeRename(const StepSpec& spec) {
  return std::make_shared<RenameStep>(spec);
}
std::shared_ptr<const Step> MakeDropDuplicates(const StepSpec& spec) {
  return std::make_shared<DropDuplicatesStep>(spec);
}
std::shared_ptr<const Step> MakeDateParts(const StepSpec& spec) {
  return std::make_shared<DatePartsStep>(spec);
}

}  // namespace mloop::prep
