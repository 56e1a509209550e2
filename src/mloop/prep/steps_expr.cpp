// Steps over expressions (prep/expression.h): derive (a new column) and filter (rows where the
// expression is true; datasets only).
#include "mloop/core/strings.h"
#include "mloop/prep/expression.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

// Expression errors, with the step in front.
template <typename F>
auto InStep(const Step& step, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.code(), step.Where() + ": " + e.what(), e.hint());
  }
}

Expression ParseIn(const Step& step, const std::string& text) {
  return InStep(step, [&] { return Expression::Parse(text); });
}

// The expression's type on `in`. Before fitting, columns an earlier one_hot will make are taken
// to be float64.
DataType CheckIn(const Step& step, const Expression& expr, const Schema& in,
                 const CheckContext& ctx) {
  Schema schema = in;
  if (ctx.preflight) {
    std::vector<Field> fields = in.fields();
    for (const auto& name : expr.Columns()) {
      if (in.IndexOf(name) >= 0) continue;
      for (const auto& p : ctx.pending_prefixes) {
        if (name.rfind(p, 0) == 0) {
          fields.push_back(Field{name, DataType::kFloat64, Role::kFeature});
          break;
        }
      }
    }
    schema = Schema(std::move(fields));
  }
  for (const auto& name : expr.Columns()) {  // what an earlier step did to a missing column
    if (schema.IndexOf(name) < 0 && ctx.gone.count(name)) {
      throw NotFound(step.Where() + ": " + NoColumn(name, schema, ctx));
    }
  }
  return InStep(step, [&] { return expr.Check(schema); });
}

class DeriveStep : public StepBase<DeriveStep> {
 public:
  explicit DeriveStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"name", "expr"});
    name_ = o.RequiredString("name");
    if (name_.empty()) throw o.Fail("'name' cannot be empty");
    expr_ = ParseIn(*this, o.RequiredString("expr"));
  }
  Schema Check(const Schema& in, CheckContext& ctx) const override {
    RequireNewName(Where(), in, name_);
    DataType type = CheckIn(*this, expr_, in, ctx);
    for (const auto& c : expr_.Columns()) {
      if (!ctx.target.empty() && c == ctx.target) {
        throw Fail("the expression reads the target column '" + Printable(c) +
                   "', which is not there when predicting");
      }
    }
    std::vector<Field> fields = in.fields();
    fields.push_back(Field{name_, type, Role::kFeature});
    return Schema(std::move(fields));
  }
  void Learn(const Table&, const FitContext&) override {}
  Table Transform(const Table& in, const ApplyContext&) const override {
    for (const auto& c : expr_.Columns()) Need(in, c);
    Column values = InStep(*this, [&] { return expr_.Evaluate(in); });
    TableEdit edit(in);
    edit.Append(Field{name_}, std::move(values));
    return edit.Finish();
  }
  json State() const override { return json{{"step", kind()}, {"name", name_}}; }
  void LoadFrom(const json&) {}
  std::vector<std::string> Reads() const override { return expr_.Columns(); }

 private:
  std::string name_;
  Expression expr_;
};

class FilterStep : public StepBase<FilterStep> {
 public:
  explicit FilterStep(const StepSpec& spec) : StepBase(spec) {
    Options o(spec_, {"expr"});
    expr_ = ParseIn(*this, o.RequiredString("expr"));
  }
  Schema Check(const Schema& in, CheckContext& ctx) const override {
    DataType type = CheckIn(*this, expr_, in, ctx);
    if (type != DataType::kBool) {
      throw Fail("the expression gives " + std::string(DataTypeName(type)) +
                     "; a filter needs true or false",
                 "compare something, for example \"age >= 18\"");
    }
    return in;
  }
  void Learn(const Table&, const FitContext&) override {}
  Table Transform(const Table& in, const ApplyContext& ctx) const override {
    if (ctx.mode == ApplyMode::kScoring) return in;  // one prediction per input row
    for (const auto& c : expr_.Columns()) Need(in, c);
    Column mask = InStep(*this, [&] { return expr_.Evaluate(in); });
    if (mask.type() != DataType::kBool) throw Fail("the expression did not give true or false");
    const int64_t n = in.num_rows();
    std::vector<int64_t> keep;
    keep.reserve(static_cast<size_t>(n));
    const uint8_t* b = mask.bools();
    for (int64_t i = 0; i < n; ++i) {
      if (mask.IsValid(i) && b[i]) keep.push_back(i);
    }
    if (static_cast<int64_t>(keep.size()) == n) return in;
    Table out = in.Take(keep);
    if (ctx.kept_rows) *ctx.kept_rows = std::move(keep);
    return out;
  }
  json State() const override { return json{{"step", kind()}}; }
  void LoadFrom(const json&) {}
  std::vector<std::string> Reads() const override { return expr_.Columns(); }
  std::vector<std::string> ReadsWhenScoring() const override { return {}; }

 private:
  Expression expr_;
};

}  // namespace

std::shared_ptr<const Step> MakeDerive(const StepSpec& spec) {
  return std::make_shared<DeriveStep>(spec);
}
std::shared_ptr<const Step> MakeFilter(const StepSpec& spec) {
  return std::make_shared<FilterStep>(spec);
}

}  // namespace mloop::prep
