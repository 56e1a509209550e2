#include "mloop/prep/recipe.h"

#include <fstream>
#include <map>
#include <sstream>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/strings.h"
#include "mloop/prep/steps.h"

namespace mloop {

using nlohmann::json;
using prep::ParsedRecipe;
using prep::Step;
using prep::StepSpec;

namespace {

constexpr const char* kFormat = "mloop.recipe.fitted";

json FieldJson(const Field& f) {
  return json{{"name", f.name},
              {"type", std::string(DataTypeName(f.type))},
              {"role", std::string(RoleName(f.role))}};
}

Field FieldFromJson(const json& j) {
  Field f;
  f.name = j.at("name").get<std::string>();
  auto type = ParseDataType(j.at("type").get<std::string>());
  auto role = ParseRole(j.at("role").get<std::string>());
  if (!type || !role) throw Corruption("fitted recipe: bad field " + Printable(j.dump()));
  f.type = *type;
  f.role = *role;
  return f;
}

}  // namespace

// --- Recipe -----------------------------------------------------------------------------------

struct Recipe::Impl {
  json source = json{{"steps", json::array()}};
  std::vector<std::shared_ptr<const Step>> steps;
};

Recipe::Recipe() : impl_(std::make_unique<Impl>()) {}
Recipe::~Recipe() = default;
Recipe::Recipe(Recipe&&) noexcept = default;
Recipe& Recipe::operator=(Recipe&&) noexcept = default;
Recipe::Recipe(const Recipe& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Recipe& Recipe::operator=(const Recipe& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}

Recipe Recipe::Parse(std::string_view yaml) {
  ParsedRecipe parsed = prep::ParseYaml(yaml, "");
  Recipe r;
  r.impl_->source = std::move(parsed.source);
  r.impl_->steps = std::move(parsed.steps);
  return r;
}

Recipe Recipe::Load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoErrorFromErrno("opening recipe", file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  ParsedRecipe parsed = prep::ParseYaml(buffer.str(), file.string());
  Recipe r;
  r.impl_->source = std::move(parsed.source);
  r.impl_->steps = std::move(parsed.steps);
  return r;
}

Recipe Recipe::FromJson(const json& source) {
  ParsedRecipe parsed = prep::BuildRecipe(source, {}, "");
  Recipe r;
  r.impl_->source = std::move(parsed.source);
  r.impl_->steps = std::move(parsed.steps);
  return r;
}

Recipe Recipe::FirstSteps(size_t n) const {
  Recipe r(*this);
  n = std::min(n, r.impl_->steps.size());
  r.impl_->steps.resize(n);
  json& steps = r.impl_->source["steps"];
  if (steps.is_array() && steps.size() > n) steps.erase(steps.begin() + n, steps.end());
  return r;
}

size_t Recipe::size() const {
  return impl_->steps.size();
}
json Recipe::ToJson() const {
  return impl_->source;
}

Schema Recipe::Check(const Schema& input, const RecipeFitOptions& options,
                     std::vector<std::string>* untargeted_selections) const {
  if (!options.target.empty() && input.IndexOf(options.target) < 0) {
    throw NotFound("the target column '" + Printable(options.target) + "' is not in the data" +
                   DidYouMean(options.target, input.names()));
  }
  prep::CheckContext ctx;
  ctx.target = options.target;
  ctx.preflight = true;
  ctx.untargeted_selections = untargeted_selections;
  Schema schema = input;
  for (const auto& step : impl_->steps) {
    Schema out = step->Check(schema, ctx);
    prep::NoteGoneColumns(*step, schema, out, ctx);
    schema = std::move(out);
  }
  return schema;
}

// --- FittedRecipe -----------------------------------------------------------------------------

struct FittedRecipe::Impl {
  bool fitted = false;  // false: default-constructed, Transform returns its input
  json source = json{{"steps", json::array()}};
  std::string target;
  std::vector<std::shared_ptr<const Step>> steps;
  Schema input_schema;
  std::vector<int> read_by;  // per input field: the first step reading it (0: passed through)
  // The same when scoring, -1 when scoring does not need the column (only skipped steps read
  // it, and it does not pass through).
  std::vector<int> scoring_read_by;
  Schema output_schema;
  int threads = 0;
};

FittedRecipe::FittedRecipe() : impl_(std::make_unique<Impl>()) {}
FittedRecipe::~FittedRecipe() = default;
FittedRecipe::FittedRecipe(FittedRecipe&&) noexcept = default;
FittedRecipe& FittedRecipe::operator=(FittedRecipe&&) noexcept = default;
FittedRecipe::FittedRecipe(const FittedRecipe& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}
FittedRecipe& FittedRecipe::operator=(const FittedRecipe& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}

const Schema& FittedRecipe::input_schema() const {
  return impl_->input_schema;
}
Schema FittedRecipe::scoring_input_schema() const {
  std::vector<Field> fields;
  for (int i = 0; i < impl_->input_schema.size(); ++i) {
    if (impl_->scoring_read_by[i] >= 0) fields.push_back(impl_->input_schema.field(i));
  }
  return Schema(std::move(fields));
}
const Schema& FittedRecipe::output_schema() const {
  return impl_->output_schema;
}
bool FittedRecipe::empty() const {
  return impl_->steps.empty();
}
const std::string& FittedRecipe::target() const {
  return impl_->target;
}
void FittedRecipe::set_threads(int threads) {
  impl_->threads = threads;
}

FittedRecipe Recipe::Fit(const Table& train, const RecipeFitOptions& options,
                         Table* transformed) const {
  Check(train.schema(), options);  // everything that can be checked before touching the data
  prep::FitContext fctx;
  fctx.target = options.target;
  fctx.target_classes = options.target_classes;
  fctx.seed = options.seed;
  fctx.threads = options.threads > 0 ? options.threads : DefaultThreads();
  fctx.notes = options.notes;
  prep::CheckContext cctx;
  cctx.target = options.target;

  FittedRecipe out;
  FittedRecipe::Impl& f = *out.impl_;
  f.fitted = true;
  f.source = impl_->source;
  f.target = options.target;
  f.threads = options.threads;

  // origin[name]: the input column a current column carries (renames keep it; new columns have
  // none). first_read[input name]: the first step that reads it.
  std::map<std::string, std::string> origin;
  for (const Field& field : train.schema().fields()) origin[field.name] = field.name;
  std::map<std::string, int> first_read, scoring_first_read;

  Table current = train;
  std::vector<int64_t> rows;         // train's row of each row of `current` (empty: the same)
  const Step* emptied_by = nullptr;  // the step that removed the last rows
  for (const auto& step : impl_->steps) {
    // As scikit-learn's "Found array with 0 sample(s)": state learnt from no rows (a mean, a
    // category list) is NaN or empty and would turn every later row into missing values.
    if (current.num_rows() == 0) {
      throw InvalidArgument(step->Where() + ": no rows to fit on (" +
                                (emptied_by ? "step " + std::to_string(emptied_by->number()) +
                                                  " (" + emptied_by->kind() + ") removed every row"
                                            : std::string("the data has no rows")) +
                                ")",
                            emptied_by ? "check that step against the data: it keeps no row of it"
                                       : "fit the recipe on data with rows");
    }
    prep::NoteGoneColumns(*step, current.schema(), step->Check(current.schema(), cctx), cctx);
    Table next;
    std::shared_ptr<const Step> fitted;
    next = prep::ApplyStepWithRowOrigin(
        [&](std::optional<std::vector<int64_t>>* kept) {
          prep::FitContext ctx = fctx;
          ctx.kept_rows = kept;
          Table out;
          fitted = step->Fit(current, ctx, &out);
          return out;
        },
        rows);
    auto note = [&](const std::vector<std::string>& reads, std::map<std::string, int>& first) {
      for (const std::string& name : reads) {
        auto it = origin.find(name);
        if (it != origin.end()) first.try_emplace(it->second, step->number());
      }
    };
    note(fitted->Reads(), first_read);
    note(fitted->ReadsWhenScoring(), scoring_first_read);
    std::map<std::string, std::string> next_origin;
    for (const Field& field : next.schema().fields()) {
      auto it = origin.find(fitted->RenamedFrom(field.name));
      if (it != origin.end()) next_origin[field.name] = it->second;
    }
    origin = std::move(next_origin);
    f.steps.push_back(std::move(fitted));
    if (next.num_rows() == 0) emptied_by = step.get();
    current = std::move(next);
  }
  prep::ReleaseScratch();
  // Columns that reach the output unread pass through. When scoring, one that is not a feature
  // (an id, an event time: the model never reads it) is optional, as the target is.
  std::map<std::string, Role> roles;
  for (const Field& field : train.schema().fields()) roles[field.name] = field.role;
  for (const auto& [name, input] : origin) {
    first_read.try_emplace(input, 0);
    const Role role = roles.count(input) ? roles[input] : Role::kFeature;
    if (role == Role::kFeature || role == Role::kTarget) scoring_first_read.try_emplace(input, 0);
  }

  std::vector<Field> inputs;
  for (const Field& field : train.schema().fields()) {
    auto it = first_read.find(field.name);
    if (it == first_read.end()) continue;
    inputs.push_back(field);
    f.read_by.push_back(it->second);
    auto s = scoring_first_read.find(field.name);
    f.scoring_read_by.push_back(s == scoring_first_read.end() ? -1 : s->second);
  }
  f.input_schema = Schema(std::move(inputs));
  f.output_schema = current.schema();
  if (transformed) *transformed = std::move(current);
  return out;
}

Table FittedRecipe::Transform(const Table& table, ApplyMode mode) const {
  const Impl& f = *impl_;
  if (!f.fitted) return table;
  // The first step that reads input i in this mode (scoring skips filter and drop_duplicates).
  auto reader = [&](int i) {
    const int n = mode == ApplyMode::kScoring ? f.scoring_read_by[i] : f.read_by[i];
    return n == 0 ? std::string("the recipe passes it through")
                  : f.steps[n - 1]->Where() + " reads it";
  };
  // Columns of the data that could be a misspelt input: not inputs themselves.
  std::vector<std::string> others;
  for (const std::string& name : table.schema().names()) {
    if (f.input_schema.IndexOf(name) < 0) others.push_back(name);
  }
  std::vector<Field> fields;
  std::vector<Column> columns;
  for (int i = 0; i < f.input_schema.size(); ++i) {
    const Field& want = f.input_schema.field(i);
    int j = table.schema().IndexOf(want.name);
    if (j < 0) {
      if (want.name == f.target) continue;  // the target is optional
      // Read only by steps that scoring skips (filter, drop_duplicates), or an id or event
      // time passing through: when scoring, all missing, for the steps that name it (select).
      if (mode == ApplyMode::kScoring && f.scoring_read_by[i] < 0) {
        ColumnBuilder absent(want.type);
        for (int64_t r = 0; r < table.num_rows(); ++r) absent.AppendNull();
        fields.push_back(want);
        columns.push_back(absent.Finish());
        continue;
      }
      std::string nearest = NearestName(want.name, others);
      throw InvalidArgument("column '" + Printable(want.name) + "' is missing (" + reader(i) + ")",
                            (nearest.empty() ? "" : "did you mean '" + nearest + "'? ") +
                                "the data needs every column the recipe reads or passes through");
    }
    Column c = table.column(j);
    if (c.type() != want.type && want.name != f.target) {  // the target passes as it comes
      if (want.type == DataType::kFloat64 &&
          (c.type() == DataType::kInt64 || c.type() == DataType::kBool)) {
        c = prep::ToDoubles(c);  // a float64 column that came in as whole numbers
      } else {
        throw InvalidArgument("column '" + Printable(want.name) + "' is " +
                              std::string(DataTypeName(c.type())) + "; the recipe was fitted on " +
                              std::string(DataTypeName(want.type)) + " (" + reader(i) + ")");
      }
    }
    fields.push_back(Field{want.name, c.type(), want.role});
    columns.push_back(std::move(c));
  }
  Table current(Schema(std::move(fields)), std::move(columns));
  prep::ApplyContext actx;
  actx.mode = mode;
  actx.threads = f.threads > 0 ? f.threads : DefaultThreads();
  actx.target = f.target;
  std::vector<int64_t> rows;  // the input's row of each row of `current` (empty: the same)
  for (const auto& step : f.steps) {
    current = prep::ApplyStepWithRowOrigin(
        [&](std::optional<std::vector<int64_t>>* kept) {
          prep::ApplyContext ctx = actx;
          ctx.kept_rows = kept;
          return step->Transform(current, ctx);
        },
        rows);
  }
  return current;
}

json FittedRecipe::ToJson() const {
  const Impl& f = *impl_;
  json j;
  j["format"] = kFormat;
  j["format_version"] = kFittedRecipeFormatVersion;
  j["source"] = f.source;
  j["target"] = f.target;
  json inputs = json::array();
  for (int i = 0; i < f.input_schema.size(); ++i) {
    json field = FieldJson(f.input_schema.field(i));
    field["read_by"] = f.read_by[i];
    if (f.scoring_read_by[i] != f.read_by[i]) field["scoring_read_by"] = f.scoring_read_by[i];
    inputs.push_back(std::move(field));
  }
  j["input_schema"] = std::move(inputs);
  json outputs = json::array();
  for (const Field& field : f.output_schema.fields()) outputs.push_back(FieldJson(field));
  j["output_schema"] = std::move(outputs);
  json steps = json::array();
  for (const auto& step : f.steps) steps.push_back(step->State());
  j["steps"] = std::move(steps);
  return j;
}

FittedRecipe FittedRecipe::FromJson(const json& j) {
  try {
    if (!j.is_object() || j.value("format", "") != kFormat) {
      throw Corruption("not a fitted recipe (expected \"format\": \"" + std::string(kFormat) +
                       "\")");
    }
    int version = j.at("format_version").get<int>();
    if (version > kFittedRecipeFormatVersion) {
      throw FailedPrecondition("the fitted recipe has format version " + std::to_string(version) +
                                   "; this mloop reads up to " +
                                   std::to_string(kFittedRecipeFormatVersion),
                               "upgrade mloop");
    }
    if (version < 1) throw Corruption("bad format_version " + std::to_string(version));
    ParsedRecipe parsed;
    try {
      parsed = prep::BuildRecipe(j.at("source"), {}, "");
    } catch (const Error& e) {
      throw Corruption(std::string("its recipe source is not valid: ") + e.what());
    }
    const json& states = j.at("steps");
    if (!states.is_array() || states.size() != parsed.steps.size()) {
      throw Corruption("it has " + std::to_string(parsed.steps.size()) + " steps but " +
                       std::to_string(states.is_array() ? states.size() : 0) + " fitted states");
    }
    FittedRecipe out;
    Impl& f = *out.impl_;
    f.fitted = true;
    f.source = std::move(parsed.source);
    f.target = j.at("target").get<std::string>();
    std::vector<Field> inputs;
    for (const json& field : j.at("input_schema")) {
      inputs.push_back(FieldFromJson(field));
      int by = field.at("read_by").get<int>();
      if (by < 0 || by > static_cast<int>(parsed.steps.size())) {
        throw Corruption("input column '" + inputs.back().name + "' is read by step " +
                         std::to_string(by) + ", which does not exist");
      }
      f.read_by.push_back(by);
      // Absent (recipes fitted before it was written, or equal to read_by): as read_by.
      const int scoring_by = field.value("scoring_read_by", by);
      if (scoring_by < -1 || scoring_by > static_cast<int>(parsed.steps.size())) {
        throw Corruption("input column '" + inputs.back().name + "' has scoring_read_by " +
                         std::to_string(scoring_by));
      }
      f.scoring_read_by.push_back(scoring_by);
    }
    f.input_schema = Schema(std::move(inputs));
    std::vector<Field> outputs;
    for (const json& field : j.at("output_schema")) outputs.push_back(FieldFromJson(field));
    f.output_schema = Schema(std::move(outputs));
    for (size_t i = 0; i < parsed.steps.size(); ++i) {
      const json& state = states[i];
      const Step& step = *parsed.steps[i];
      if (state.at("step").get<std::string>() != step.kind()) {
        throw Corruption(step.Where() + ": the fitted state is for '" +
                         state.at("step").get<std::string>() + "'");
      }
      try {
        f.steps.push_back(step.Load(state));
      } catch (const Error& e) {
        throw Corruption(step.Where() + ": " + e.what());
      } catch (const json::exception& e) {
        throw Corruption(step.Where() + ": " + e.what());
      }
    }
    return out;
  } catch (const json::exception& e) {
    throw Corruption(std::string("fitted recipe is not valid: ") + e.what());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kCorruption) {
      throw Corruption(std::string("fitted recipe is not valid: ") + e.what(), e.hint());
    }
    throw;
  }
}

}  // namespace mloop
