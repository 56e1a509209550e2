// Recipe steps: the internals behind Recipe / FittedRecipe (recipe.h).
//
// A Step is one entry of a recipe: its options (parsed and validated when the recipe is parsed)
// and, once fitted, its learned state. Fitting clones the step and fills the clone's state, so a
// fitted step is an immutable value shared by every FittedRecipe copy. Files:
//   recipe_parse.cpp    YAML -> JSON, shorthands, the step registry
//   steps_columns.cpp   select, drop, rename, drop_duplicates, date_parts
//   steps_cast.cpp      cast
//   steps_expr.cpp      derive, filter (prep/expression.h)
//   steps_impute.cpp    impute
//   steps_numeric.cpp   clip, winsorize, scale, log, log1p, power, bucketize
//   steps_encode.cpp    one_hot, ordinal (and the categories of categories.h)
//   steps_target.cpp    target_encode
//   step_util.cpp       options, selectors, table edits, float64 views, quantiles
// Their definitions are in docs/formats.md, "Recipes".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/column.h"
#include "mloop/core/error.h"
#include "mloop/core/table.h"
#include "mloop/prep/recipe.h"

namespace mloop::prep {

// One step as written: its position, its kind and its options (always a JSON object; the
// shorthand forms are expanded by the parser).
struct StepSpec {
  int number = 0;  // 1-based
  std::string kind;
  nlohmann::json options = nlohmann::json::object();
  // Where it was written ("recipe.yaml:4"), when read from a file; not saved with the recipe.
  std::string location;

  std::string Where() const {
    return (location.empty() ? "" : location + ": ") + "step " + std::to_string(number) + " (" +
           kind + ")";
  }
};

struct CheckContext {
  std::string target;
  // Recipe::Check runs before any data is seen: the columns one_hot makes depend on the data,
  // so names starting with one of these prefixes ("plan=") are taken to be float64 columns.
  bool preflight = false;
  std::vector<std::string> pending_prefixes;
  // Columns an earlier step removed or renamed away, and what did: "step 2 (drop) removed it".
  std::map<std::string, std::string> gone;
  // When given and there is no target: the steps whose type selector (numeric, all, ...) took
  // columns, any of which may be the label (Recipe::Check reports them).
  std::vector<std::string>* untargeted_selections = nullptr;
};

// "no column 'x'" and why: what an earlier step did to it (ctx.gone), else the nearest name.
std::string NoColumn(const std::string& name, const Schema& schema, const CheckContext& ctx);

// Records in ctx.gone the columns of `in` that `step` (whose output is `out`) removed or
// renamed, and forgets those it made again.
class Step;
void NoteGoneColumns(const Step& step, const Schema& in, const Schema& out, CheckContext& ctx);

struct FitContext {
  std::string target;
  bool target_classes = false;  // RecipeFitOptions::target_classes
  uint64_t seed = 42;
  int threads = 1;
  std::optional<std::vector<int64_t>>* kept_rows = nullptr;  // as ApplyContext's, for Fit's output
  // When given: what a step did that scikit-learn would warn about (fewer quantile bins than
  // asked, values without a logarithm), one text per case, starting with the step's Where().
  std::vector<std::string>* notes = nullptr;
};

// The CheckContext that resolves column selectors while fitting.
inline CheckContext CheckContextFor(const FitContext& fit) {
  CheckContext ctx;
  ctx.target = fit.target;
  return ctx;
}

struct ApplyContext {
  ApplyMode mode = ApplyMode::kScoring;
  int threads = 1;
  std::string target;  // may be absent from the table in kScoring
  // A step that leaves rows out (filter, drop_duplicates) sets it, when given, to the rows it
  // kept (indices into its input): later errors then name rows of the recipe's input.
  std::optional<std::vector<int64_t>>* kept_rows = nullptr;
};

// Applies `run` (one step) to rows numbered by `origin` (origin[i]: the recipe input's row of
// row i; empty: the same rows): a DataError naming a row (RowMessage) names the input's row.
// Afterwards `kept` (when a step set it) narrows `origin` to the rows that remain.
Table ApplyStepWithRowOrigin(const std::function<Table(std::optional<std::vector<int64_t>>*)>& run,
                             std::vector<int64_t>& origin);

// --- Options ----------------------------------------------------------------------------------

// Reads one step's options. Unknown keys, missing required keys, values of the wrong type and
// values outside an enumeration throw InvalidArgument starting with "step N (kind): ".
class Options {
 public:
  Options(const StepSpec& spec, std::vector<std::string> keys);

  bool Has(const std::string& key) const;
  const nlohmann::json& Raw(const std::string& key) const;  // null when absent
  std::string String(const std::string& key, const std::string& fallback) const;
  std::string RequiredString(const std::string& key) const;
  // One of `values`; `fallback` when absent.
  std::string Enum(const std::string& key, const std::vector<std::string>& values,
                   const std::string& fallback) const;
  double Number(const std::string& key, double fallback) const;
  std::optional<double> OptionalNumber(const std::string& key) const;
  int64_t Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  bool Bool(const std::string& key, bool fallback) const;
  std::vector<double> NumberList(const std::string& key) const;
  std::vector<std::string> StringList(const std::string& key) const;

  Error Fail(const std::string& message, const std::string& hint = {}) const;
  const StepSpec& spec() const { return spec_; }

 private:
  const StepSpec& spec_;
  std::vector<std::string> keys_;
};

// Which columns a step applies to: a list of names, one name, or a type selector.
struct ColumnSelector {
  enum class Kind { kNames, kNumeric, kString, kTimestamp, kAll };
  Kind kind = Kind::kNames;
  std::vector<std::string> names;
  bool scalar = false;  // one name, not a list: where a mistyped type selector would be

  // Reads options[key]: a name, a list of names, or numeric | string | timestamp | all.
  static ColumnSelector Read(const Options& options, const std::string& key, bool required);

  // The matching columns of `schema`, in schema order for a type selector and in the listed
  // order for names. A type selector picks feature columns only: never the target, nor a column
  // whose role is id, event_time or ignored. A listed name that does not exist
  // throws NotFound naming the nearest column; listing the target throws unless `allow_target`.
  std::vector<std::string> Resolve(const Schema& schema, const CheckContext& ctx,
                                   const std::string& where, bool allow_target = false) const;
  bool empty() const { return kind == Kind::kNames && names.empty(); }
};

// --- Steps ------------------------------------------------------------------------------------

class Step {
 public:
  explicit Step(StepSpec spec) : spec_(std::move(spec)) {}
  virtual ~Step() = default;

  const StepSpec& spec() const { return spec_; }
  const std::string& kind() const { return spec_.kind; }
  int number() const { return spec_.number; }
  std::string Where() const { return spec_.Where(); }

  // Checks the step against `in` (column existence and types) and returns the schema it
  // produces. Throws InvalidArgument / NotFound starting with Where().
  virtual Schema Check(const Schema& in, CheckContext& ctx) const = 0;

  // Learns the state on `in` and returns the fitted step. `out` (when given) receives `in`
  // transformed for training (kDataset; target_encode gives out-of-fold values there).
  virtual std::shared_ptr<const Step> Fit(const Table& in, const FitContext& ctx, Table* out) const;

  // The following are for fitted steps.
  virtual Table Transform(const Table& in, const ApplyContext& ctx) const = 0;
  // {"step": kind, ...learned state...}
  virtual nlohmann::json State() const = 0;
  // Rebuilds the state written by State() (on an unfitted step made from the same options).
  // Malformed state throws (nlohmann::json exceptions or Corruption).
  virtual std::shared_ptr<const Step> Load(const nlohmann::json& state) const = 0;
  // The columns the fitted step reads.
  virtual std::vector<std::string> Reads() const = 0;
  // The columns it reads when scoring (ApplyMode::kScoring): none for the steps that are then
  // skipped (filter, drop_duplicates), so that scoring data need not hold what only they read.
  virtual std::vector<std::string> ReadsWhenScoring() const { return Reads(); }
  // For a column of the step's output, the name it had before the step (rename changes names).
  virtual std::string RenamedFrom(const std::string& name) const { return name; }

 protected:
  virtual std::shared_ptr<Step> Clone() const = 0;
  virtual void Learn(const Table& in, const FitContext& ctx) = 0;
  Error Fail(const std::string& message, const std::string& hint = {}) const {
    return InvalidArgument(Where() + ": " + message, hint);
  }
  // The index of `name` in `table`; throws InvalidArgument naming the step when it is absent.
  int Need(const Table& table, const std::string& name) const;

  StepSpec spec_;
};

// Adds Clone() and Load() for a step type T with `void LoadFrom(const nlohmann::json&)`.
template <typename T>
class StepBase : public Step {
 public:
  using Step::Step;
  std::shared_ptr<const Step> Load(const nlohmann::json& state) const override {
    auto copy = std::make_shared<T>(static_cast<const T&>(*this));
    copy->LoadFrom(state);
    return copy;
  }

 protected:
  std::shared_ptr<Step> Clone() const override {
    return std::make_shared<T>(static_cast<const T&>(*this));
  }
};

// A parsed recipe: its normalised source ({"steps": [{kind: options}, ...]}) and its steps.
struct ParsedRecipe {
  nlohmann::json source;
  std::vector<std::shared_ptr<const Step>> steps;
};
// Parses YAML; `origin` (a file name, or "") goes in front of messages with the step's line.
ParsedRecipe ParseYaml(std::string_view yaml, const std::string& origin);
// Builds the steps of a document already converted to JSON ({"steps": [...]}, or the list).
// `lines[i]` is the line of step i + 1 for messages (may be empty).
ParsedRecipe BuildRecipe(const nlohmann::json& doc, const std::vector<std::string>& lines,
                         const std::string& origin);

// The step kinds and the keys each takes (for messages and the "did you mean" hints).
const std::vector<std::string>& StepKinds();
// Makes a step from its options (validating them); an unknown kind throws InvalidArgument.
std::shared_ptr<const Step> MakeStep(const StepSpec& spec);

// Factories, one per kind (steps_columns.cpp, steps_numeric.cpp, steps_encode.cpp).
std::shared_ptr<const Step> MakeSelect(const StepSpec& spec);
std::shared_ptr<const Step> MakeDrop(const StepSpec& spec);
std::shared_ptr<const Step> MakeRename(const StepSpec& spec);
std::shared_ptr<const Step> MakeCast(const StepSpec& spec);
std::shared_ptr<const Step> MakeDropDuplicates(const StepSpec& spec);
std::shared_ptr<const Step> MakeDateParts(const StepSpec& spec);
std::shared_ptr<const Step> MakeDerive(const StepSpec& spec);
std::shared_ptr<const Step> MakeFilter(const StepSpec& spec);
std::shared_ptr<const Step> MakeImpute(const StepSpec& spec);
std::shared_ptr<const Step> MakeClip(const StepSpec& spec);
std::shared_ptr<const Step> MakeWinsorize(const StepSpec& spec);
std::shared_ptr<const Step> MakeScale(const StepSpec& spec);
std::shared_ptr<const Step> MakeLog(const StepSpec& spec);
std::shared_ptr<const Step> MakeLog1p(const StepSpec& spec);
std::shared_ptr<const Step> MakePower(const StepSpec& spec);
std::shared_ptr<const Step> MakeBucketize(const StepSpec& spec);
std::shared_ptr<const Step> MakeOneHot(const StepSpec& spec);
std::shared_ptr<const Step> MakeOrdinal(const StepSpec& spec);
std::shared_ptr<const Step> MakeTargetEncode(const StepSpec& spec);

// --- Helpers (step_util.cpp) -----------------------------------------------------------------

bool IsNumeric(DataType type);  // float64, int64, bool

// Throws InvalidArgument "<where>: column 'x' is <type>; <kind> takes <what>" unless `ok`.
void RequireType(const std::string& where, const std::string& kind, const Field& field, bool ok,
                 const std::string& what);

// Fields and columns being rearranged into a new table. Roles of kept columns are kept.
class TableEdit {
 public:
  explicit TableEdit(const Table& table);
  int IndexOf(const std::string& name) const;
  void Replace(int i, Column column);  // the field's type follows the column's
  void Insert(int i, Field field, Column column);
  void Append(Field field, Column column) {
    Insert(static_cast<int>(fields_.size()), field, column);
  }
  void Remove(int i);
  void Rename(int i, const std::string& name) { fields_[i].name = name; }
  Table Finish();
  int size() const { return static_cast<int>(fields_.size()); }
  const Field& field(int i) const { return fields_[i]; }
  const Column& column(int i) const { return columns_[i]; }

 private:
  std::vector<Field> fields_;
  std::vector<Column> columns_;
};

// Schema counterpart of TableEdit, for Check.
Schema SchemaWithout(const Schema& schema, const std::vector<std::string>& names);
Schema SchemaWithTypes(const Schema& schema, const std::vector<std::string>& names, DataType type);
// Throws InvalidArgument when `name` is already a column of `schema`.
void RequireNewName(const std::string& where, const Schema& schema, const std::string& name);

// A float64 view of a numeric column in which every missing entry reads NaN. Shares the
// column's buffer when it already is such a column (float64 with NaN under missing entries).
Column ToDoubles(const Column& column);
// Throws DataError when the float64 view `doubles` (of column `name`) holds +inf or -inf: steps
// that learn statistics from values (scale, winsorize, power, quantile bins, mean and median
// imputation) refuse them, as scikit-learn does, rather than learn an infinite centre or scale
// that turns the whole column into NaN.
void RequireFinite(const std::string& where, const std::string& name, const Column& doubles);
// Throws DataError when a step learnt a non-finite `state` (a centre, scale, edge) from a column
// that has present values: finite values so large that their sums overflow (1e300 squared).
void RequireFiniteState(const std::string& where, const std::string& name, const Column& doubles,
                        const std::vector<double>& state);
// A float64 column of `values`, missing exactly where `like` is missing.
Column Float64Like(BigVector<double> values, const Column& like);
// Gives `data` (values filled, length set) the validity of `like` and makes the column.
Column FinishLike(internal::ColumnData data, const Column& like);
// A float64 column with no missing entries.
Column Float64Column(BigVector<double> values);
// A float64 column missing exactly where `values` holds NaN.
Column Float64MissingWhereNaN(BigVector<double> values);
// A vector of doubles from a shared pool, returned to it on destruction: fitting 29 columns on
// two threads then fills two buffers instead of allocating (and page-faulting) 29.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::vector<double>& values() { return values_; }

 private:
  std::vector<double> values_;
};
// Frees the pooled buffers (Recipe::Fit calls it when done).
void ReleaseScratch();

// The non-NaN values of a float64 column whose missing entries read NaN (see ToDoubles).
void PresentValues(const Column& doubles, std::vector<double>* out);

// numpy.quantile(values, q, method="linear") of sorted values (n >= 1). It reads only the
// positions Quantiles() selects, so it also works on values arranged by that selection.
double QuantileSorted(const std::vector<double>& sorted, double q);
// numpy.quantile for each of `qs`, and numpy.median into `*median` when given (the mean of the
// two middle values for an even count), by one multi-way selection with std::nth_element
// (reorders `values`; O(n log k) for k quantiles). NaN for no values.
std::vector<double> Quantiles(std::vector<double>& values, const std::vector<double>& qs,
                              double* median = nullptr);

// JSON for doubles that keeps NaN and infinities ("nan", "inf", "-inf") and reads back exactly.
nlohmann::json DoubleToJson(double v);
double DoubleFromJson(const nlohmann::json& v);
nlohmann::json DoublesToJson(const std::vector<double>& v);
std::vector<double> DoublesFromJson(const nlohmann::json& v);

// Runs fn(i) for i in [0, n) on up to `threads` threads (core/parallel.h).
void ForEachColumn(int n, int threads, const std::function<void(int)>& fn);

}  // namespace mloop::prep
