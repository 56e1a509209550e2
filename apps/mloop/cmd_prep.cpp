// mloop prep fit | apply | preview: preprocessing recipes on a dataset (or a data file).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/strings.h"
#include "mloop/data/datasets.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/byte_source.h"
#include "mloop/io/csv_reader.h"
#include "mloop/prep/recipe.h"

namespace mloop::cli {

namespace {

struct PrepArgs {
  std::string recipe, data, target, output, fitted_out;
  int rows = 5;
  uint64_t seed = 42;
  bool json = false;
};

// The data a recipe runs on, with where it came from (for lineage and messages).
struct PrepInput {
  Table table;
  std::string label;  // "churn@2" or the file path
  nlohmann::json
      source;  // {"dataset": .., "version": .., "hash": ..} or {"file": .., "sha256": ..}
};

// `expected`: the types a fitted recipe takes, for reading a file (an all-empty or numeric-looking
// column of a string input is then read as strings, as predict reads it).
PrepInput LoadInput(Workspace& ws, const std::string& data,
                    const std::vector<Field>& expected = {}) {
  PrepInput in;
  if (data == "-") {  // standard input: read once, so no hash of it is recorded
    in.table = ReadDataFile(ws, "/dev/stdin", expected);
    in.label = "standard input";
    in.source = {{"file", "-"}};
    return in;
  }
  if (std::filesystem::is_regular_file(data)) {
    in.table = ReadDataFile(ws, data, expected);
    in.label = data;
    in.source = {{"file", std::filesystem::absolute(data).lexically_normal().string()},
                 {"sha256", Sha256File(data)}};
    return in;
  }
  DatasetVersion v = ResolveDataset(ws, DatasetRefArg(data));
  in.table = LoadDataset(ws, v);
  in.label = v.name + "@" + std::to_string(v.version);
  in.source = {{"dataset", v.name}, {"version", v.version}, {"hash", v.content_hash}};
  return in;
}

// A recipe file is YAML (a recipe to fit) or the JSON `mloop prep fit -o` wrote (fitted).
struct RecipeFile {
  std::optional<Recipe> recipe;
  std::optional<FittedRecipe> fitted;
  std::string sha256;
};

RecipeFile LoadRecipeFile(const std::string& path) {
  RecipeFile r;
  const std::string text = ReadWholeFile(path);
  r.sha256 = Sha256Hex(text);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.value("format", "") == "mloop.recipe.fitted") {
    r.fitted = FittedRecipe::FromJson(j);
  } else {
    r.recipe = Recipe::Load(path);
  }
  return r;
}

// `fallback_target` is the target without --target: a fitted recipe's own, else the one the
// input declares (at import: --target, --role COL=target), as `train` takes it.
RecipeFitOptions FitOptions(const Workspace& ws, const PrepArgs& a,
                            const std::string& fallback_target) {
  RecipeFitOptions o;
  o.target = a.target.empty() ? fallback_target : a.target;
  o.seed = a.seed;
  o.threads = ws.config().threads;
  return o;
}

// Makes `target` the input's only target column: one the input declares beside it (--target
// names another) becomes an ordinary column, which the recipe's type selectors then pick and
// which the output keeps as a feature, so that `train OUTPUT` finds one target, the recipe's.
void KeepOnlyTarget(PrepInput& in, const std::string& target) {
  if (target.empty()) return;
  for (const Field& f : in.table.schema().fields()) {
    if (f.role != Role::kTarget || f.name == target) continue;
    in.table = in.table.WithRole(f.name, Role::kFeature);
    std::cerr << "note: " << in.label << " declares '" << f.name << "' as its target; with '"
              << target << "' as the target here, '" << f.name << "' is an ordinary column\n";
  }
}

// Checks the recipe against the data; without a target, notes that type selectors take every
// column of their type: a label the data does not declare would be transformed too.
void CheckRecipe(const Recipe& recipe, const Schema& schema, const RecipeFitOptions& o) {
  std::vector<std::string> untargeted;
  recipe.Check(schema, o, &untargeted);
  if (untargeted.empty()) return;
  const bool one = untargeted.size() == 1;
  std::cerr << "note: no target column, so the type selector" << (one ? " of " : "s of ")
            << Join(untargeted, ", ")
            << (one ? " takes every column of its type" : " take every column of their type")
            << ": a label among them would be transformed too; give --target COL (or declare "
               "the target at import) to pass it through untouched\n";
}

// Fits `recipe` on `data`, then prints on stderr what fitting did that scikit-learn warns about.
FittedRecipe FitWithNotes(const Recipe& recipe, const Table& data, RecipeFitOptions o,
                          Table* transformed = nullptr) {
  std::vector<std::string> notes;
  o.notes = &notes;
  FittedRecipe fitted = recipe.Fit(data, o, transformed);
  for (const std::string& note : notes) std::cerr << "note: " << note << "\n";
  return fitted;
}

// Fits (or takes the fitted) recipe and transforms the input as a dataset (row filters apply).
Table FitAndApply(const RecipeFile& rf, const Table& input, const RecipeFitOptions& o,
                  std::optional<FittedRecipe>* fitted) {
  if (rf.fitted) {
    // A fitted recipe keeps the target it was fitted with; another one would be ignored.
    if (!o.target.empty() && o.target != rf.fitted->target()) {
      throw UsageError("--target " + o.target +
                           " differs from the target the recipe was fitted "
                           "with (" +
                           (rf.fitted->target().empty() ? std::string("none")
                                                        : "'" + rf.fitted->target() + "'") +
                           ")",
                       "leave --target out: a fitted recipe keeps its own");
    }
    *fitted = *rf.fitted;
    return rf.fitted->Transform(input, ApplyMode::kDataset);
  }
  CheckRecipe(*rf.recipe, input.schema(), o);
  Table out;
  *fitted = FitWithNotes(*rf.recipe, input, o, &out);
  return out;
}

std::string SchemaLine(const Schema& s) {
  std::vector<std::string> parts;
  for (const auto& f : s.fields())
    parts.push_back(f.name + ":" + std::string(DataTypeName(f.type)));
  return Join(parts, ", ");
}

void PrepFit(const GlobalOptions& global, const PrepArgs& a) {
  auto ws = OpenWorkspace(global);
  if (!a.fitted_out.empty() && a.fitted_out != "-") {
    CheckOutputPath(a.fitted_out, "--output");
    RefuseOverwritingInput(a.fitted_out, a.recipe, "--output");
    RefuseOverwritingInput(a.fitted_out, a.data, "--output");  // --data may be a file (or -)
  }
  RecipeFile rf = LoadRecipeFile(a.recipe);
  if (!rf.recipe) throw UsageError(a.recipe + " is already a fitted recipe");
  PrepInput in = LoadInput(*ws, a.data);
  RecipeFitOptions o = FitOptions(*ws, a, in.table.schema().DeclaredTarget());
  KeepOnlyTarget(in, o.target);
  CheckRecipe(*rf.recipe, in.table.schema(), o);
  FittedRecipe fitted = FitWithNotes(*rf.recipe, in.table, o);
  nlohmann::json j = fitted.ToJson();
  j["fitted_on"] = in.source;
  j["recipe_sha256"] = rf.sha256;
  if (!a.fitted_out.empty() && a.fitted_out != "-") {
    WriteFileAtomically(a.fitted_out, [&](std::ostream& out) { out << j.dump(2) << "\n"; });
  }
  if (a.json || a.fitted_out == "-") {
    PrintJson(j);
    return;
  }
  std::cout << "Fitted " << rf.recipe->size()
            << (rf.recipe->size() == 1 ? " step on " : " steps on ") << in.label << " ("
            << HumanCount(in.table.num_rows()) << " rows)\n"
            << "  reads:    " << SchemaLine(fitted.input_schema()) << "\n"
            << "  produces: " << SchemaLine(fitted.output_schema()) << "\n";
  if (!a.fitted_out.empty()) std::cout << "Wrote " << a.fitted_out << "\n";
}

void PrepApply(const GlobalOptions& global, const PrepArgs& a) {
  try {
    ValidateDatasetName(a.output);
  } catch (const Error& e) {
    throw UsageError(e.what(), e.hint());
  }
  auto ws = OpenWorkspace(global);
  RecipeFile rf = LoadRecipeFile(a.recipe);
  std::vector<Field> expected;  // a fitted recipe's inputs (the target passes as it comes)
  if (rf.fitted) {
    for (const Field& f : rf.fitted->input_schema().fields()) {
      if (f.name != rf.fitted->target()) expected.push_back(f);
    }
  }
  PrepInput in = LoadInput(*ws, a.data, expected);
  std::optional<FittedRecipe> fitted;
  const RecipeFitOptions o =
      FitOptions(*ws, a, rf.fitted ? rf.fitted->target() : in.table.schema().DeclaredTarget());
  KeepOnlyTarget(in, o.target);
  Table out = FitAndApply(rf, in.table, o, &fitted);
  // The target keeps (given with --target: gets) its role in the output, so that `train OUTPUT`
  // finds it as it would in the input.
  if (!fitted->target().empty() && out.schema().IndexOf(fitted->target()) >= 0) {
    out = out.WithRole(fitted->target(), Role::kTarget);
  }
  const std::string fitted_hash = ws->artifacts().Put(fitted->ToJson().dump());
  DerivedSource source;
  source.uri = "recipe:" + rf.sha256 + " applied to " + in.label;
  source.format = "recipe";
  source.details = {
      {"input", in.source},
      {"recipe_file", std::filesystem::absolute(a.recipe).lexically_normal().string()},
      {"recipe_sha256", rf.sha256},
      {"fitted_recipe", fitted_hash},
      {"target", fitted->target()}};
  const std::optional<DatasetVersion> before = ws->metadata().FindDatasetVersion(a.output, 0);
  ImportResult r = StoreDerivedDataset(*ws, a.output, out, source, ws->config().threads);
  const DatasetVersion& v = r.version;
  // The input's own name: its latest version is now the transformed data, which the next
  // `prep apply ... --data NAME` would transform again. Said with --json too (on stderr).
  if (r.created && in.source.value("dataset", "") == v.name) {
    std::cerr << "note: " << v.name << "@" << v.version << " is the recipe's output and now "
              << v.name << "'s latest version: `--data " << v.name << "` names it, not " << in.label
              << "; store outputs under another name (--output " << v.name
              << "_prepared) to keep them apart\n";
  }
  if (a.json) {
    PrintJson({{"ref", v.name + "@" + std::to_string(v.version)},
               {"created", r.created},
               {"rows", v.num_rows},
               {"columns", v.num_columns},
               {"input", in.source},
               {"input_rows", in.table.num_rows()},
               {"fitted_recipe", fitted_hash}});
    return;
  }
  std::cout << (r.created ? "Stored " : "Already stored as ") << v.name << "@" << v.version << ": "
            << HumanCount(v.num_rows) << " rows x " << v.num_columns << " columns, from "
            << in.label << " (" << HumanCount(in.table.num_rows()) << " rows) through " << a.recipe
            << "\n";
  if (!r.created) NoteLatestAgain(before, v);
}

// Cells of `b` that differ from `a` (same length and type; NaN equals NaN).
// Numeric values compare as numbers across types (int64 7 -> float64 7.0 is no change).
double NumericAt(const Column& c, int64_t i) {
  switch (c.type()) {
    case DataType::kFloat64:
      return c.f64()[i];
    case DataType::kInt64:
      return static_cast<double>(c.i64()[i]);
    case DataType::kBool:
      return c.bools()[i];
    default:
      return std::nan("");
  }
}

bool IsNumeric(DataType t) {
  return t == DataType::kFloat64 || t == DataType::kInt64 || t == DataType::kBool;
}

int64_t CountChanged(const Column& a, const Column& b) {
  if (a.type() != b.type()) {
    // A value of another type is a change; a cell missing before and after is not.
    const bool numbers = IsNumeric(a.type()) && IsNumeric(b.type());
    int64_t changed = 0;
    for (int64_t i = 0; i < a.size(); ++i) {
      const bool va = a.IsValid(i), vb = b.IsValid(i);
      changed += va != vb || (va && (!numbers || NumericAt(a, i) != NumericAt(b, i)));
    }
    return changed;
  }
  int64_t changed = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    const bool va = a.IsValid(i), vb = b.IsValid(i);
    if (va != vb) {
      ++changed;
      continue;
    }
    if (!va) continue;
    switch (a.type()) {
      case DataType::kFloat64: {
        double x = a.f64()[i], y = b.f64()[i];
        changed += !(x == y || (std::isnan(x) && std::isnan(y)));
        break;
      }
      case DataType::kInt64:
      case DataType::kTimestamp:
        changed += a.i64()[i] != b.i64()[i];
        break;
      case DataType::kBool:
        changed += a.bools()[i] != b.bools()[i];
        break;
      case DataType::kString:
        changed += a.StringAt(i) != b.StringAt(i);
        break;
    }
  }
  return changed;
}

// What one step did to the table: rows removed, columns added / removed / changed.
nlohmann::json StepChanges(const Table& before, const Table& after) {
  nlohmann::json j;
  j["rows_before"] = before.num_rows();
  j["rows_after"] = after.num_rows();
  nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array(),
                 changed = nlohmann::json::object();
  for (const Field& f : after.schema().fields()) {
    if (before.schema().IndexOf(f.name) < 0) added.push_back(f.name);
  }
  for (const Field& f : before.schema().fields()) {
    int idx = after.schema().IndexOf(f.name);
    if (idx < 0) {
      removed.push_back(f.name);
    } else if (before.num_rows() == after.num_rows()) {
      int64_t n = CountChanged(before.column(f.name), after.column(idx));
      const DataType t = after.schema().field(idx).type;
      if (n > 0 || t != f.type) {
        changed[f.name] = {{"cells_changed", n},
                           {"type_before", DataTypeName(f.type)},
                           {"type_after", DataTypeName(t)}};
      }
    }
  }
  j["added"] = added;
  j["removed"] = removed;
  j["changed"] = changed;
  return j;
}

std::vector<std::vector<std::string>> HeadRows(const Table& t, int n) {
  std::vector<std::vector<std::string>> rows;
  for (int64_t i = 0; i < std::min<int64_t>(n, t.num_rows()); ++i) {
    std::vector<std::string> row;
    for (const Column& c : t.columns()) {  // missing as `data show` prints it, apart from ""
      row.push_back(c.IsValid(i) ? Printable(CellToString(c, i), 20) : "<NA>");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void PrepPreview(const GlobalOptions& global, const PrepArgs& a) {
  auto ws = OpenWorkspace(global);
  RecipeFile rf = LoadRecipeFile(a.recipe);
  if (!rf.recipe) throw UsageError("preview takes a recipe, not a fitted one");
  PrepInput in = LoadInput(*ws, a.data);
  RecipeFitOptions o = FitOptions(*ws, a, in.table.schema().DeclaredTarget());
  KeepOnlyTarget(in, o.target);
  CheckRecipe(*rf.recipe, in.table.schema(), o);
  // Step by step: the recipe's first k steps fitted and applied, for k = 1..n.
  nlohmann::json source = rf.recipe->ToJson();
  nlohmann::json steps = nlohmann::json::array();
  Table before = in.table;
  const size_t n = rf.recipe->size();
  for (size_t k = 1; k <= n; ++k) {
    Table after;
    if (k == n) {  // the notes once, from the whole recipe
      FitWithNotes(*rf.recipe, in.table, o, &after);
    } else {
      rf.recipe->FirstSteps(k).Fit(in.table, o, &after);
    }
    nlohmann::json change = StepChanges(before, after);
    change["step"] = k;
    change["spec"] = source["steps"][k - 1];
    // A rename moves a column: shown as renamed, not as one removed and another added.
    change["renamed"] = nlohmann::json::object();
    if (const auto& spec = change["spec"]; spec.contains("rename") && spec["rename"].is_object() &&
                                           spec["rename"].contains("mapping")) {
      for (const auto& [from, to] : spec["rename"]["mapping"].items()) {
        if (!to.is_string()) continue;
        auto& added = change["added"];
        auto& removed = change["removed"];
        auto a = std::find(added.begin(), added.end(), to);
        auto r = std::find(removed.begin(), removed.end(), from);
        if (a == added.end() || r == removed.end()) continue;
        added.erase(a);
        removed.erase(r);
        change["renamed"][from] = to;
      }
    }
    steps.push_back(change);
    before = std::move(after);
  }
  const Table& out = before;
  if (a.json) {
    PrintJson({{"input", in.source},
               {"steps", steps},
               {"input_schema", SchemaLine(in.table.schema())},
               {"output_schema", SchemaLine(out.schema())}});
    return;
  }
  std::cout << "Before (" << in.label << ", " << HumanCount(in.table.num_rows()) << " rows):\n";
  PrintTable(in.table.schema().names(), HeadRows(in.table, a.rows), "  ");
  std::cout << "\nAfter (" << HumanCount(out.num_rows()) << " rows):\n";
  PrintTable(out.schema().names(), HeadRows(out, a.rows), "  ");
  std::cout << "\nWhat each step changed:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : steps) {
    std::string what;
    auto list = [](const nlohmann::json& names) {
      std::vector<std::string> v;
      for (const auto& x : names) v.push_back(x.get<std::string>());
      return Join(v, ", ");
    };
    if (s["rows_after"] != s["rows_before"]) {
      what += "rows " + HumanCount(s["rows_before"].get<int64_t>()) + " -> " +
              HumanCount(s["rows_after"].get<int64_t>()) + "; ";
    }
    for (const auto& [from, to] : s["renamed"].items()) {
      what += "renamed " + from + " -> " + to.get<std::string>() + "; ";
    }
    if (!s["added"].empty()) what += "added " + list(s["added"]) + "; ";
    if (!s["removed"].empty()) what += "removed " + list(s["removed"]) + "; ";
    for (const auto& [col, c] : s["changed"].items()) {
      const int64_t cells = c["cells_changed"].get<int64_t>();
      std::vector<std::string> parts;
      if (cells > 0) parts.push_back(HumanCount(cells) + (cells == 1 ? " cell" : " cells"));
      if (c["type_before"] != c["type_after"]) {
        parts.push_back(c["type_before"].get<std::string>() + " -> " +
                        c["type_after"].get<std::string>());
      }
      what += col + " (" + Join(parts, ", ") + "); ";
    }
    if (what.empty()) what = "no change";
    if (what.size() > 2 && what.substr(what.size() - 2) == "; ") what.resize(what.size() - 2);
    std::string kind = s["spec"].is_object() && !s["spec"].empty() ? s["spec"].begin().key() : "";
    rows.push_back({std::to_string(s["step"].get<int>()), kind, what});
  }
  PrintTable({"STEP", "KIND", "CHANGES"}, rows, "  ");
}

}  // namespace

void RegisterPrep(CLI::App& app, GlobalOptions& global) {
  auto* prep = app.add_subcommand(
      "prep", "Preprocessing recipes: fit on data, apply as a new dataset version, preview");
  prep->require_subcommand(1);
  auto a = std::make_shared<PrepArgs>();
  auto common = [&](CLI::App* c, bool needs_recipe) {
    if (needs_recipe) c->add_option("RECIPE", a->recipe, "Recipe YAML file")->required();
    c->add_option("-d,--data", a->data, "Dataset NAME[@VERSION] or a data file (CSV or JSON Lines)")
        ->required();
    c->add_option("-t,--target", a->target,
                  "The target column: passed through untouched, and what target encoding "
                  "learns from (default: the one declared at import)");
    c->add_option("--seed", a->seed, "Seed of out-of-fold target encoding (default 42)")
        ->check(SeedValidator());
    c->add_flag("--json", a->json, "Print the result as JSON");
  };
  auto* fit = prep->add_subcommand("fit", "Fit a recipe on data and show (or save) its state");
  common(fit, true);
  fit->add_option("-o,--output", a->fitted_out, "Write the fitted recipe (JSON) here; - = stdout");
  fit->callback([&global, a] { PrepFit(global, *a); });

  auto* apply = prep->add_subcommand(
      "apply", "Fit a recipe on data (or take a fitted one) and store the result as a dataset");
  apply->add_option("RECIPE", a->recipe, "Recipe YAML, or a fitted recipe from `prep fit -o`")
      ->required();
  apply
      ->add_option("-d,--data", a->data,
                   "Dataset NAME[@VERSION] or a data file (CSV or JSON Lines)")
      ->required();
  apply->add_option("-o,--output", a->output, "Name of the dataset to store the result as")
      ->required();
  apply->add_option("-t,--target", a->target,
                    "The target column, passed through untouched (default: the one declared at "
                    "import, or a fitted recipe's)");
  apply->add_option("--seed", a->seed, "Seed of out-of-fold target encoding (default 42)")
      ->check(SeedValidator());
  apply->add_flag("--json", a->json, "Print the result as JSON");
  apply->callback([&global, a] { PrepApply(global, *a); });

  auto* preview = prep->add_subcommand(
      "preview", "The first rows before and after a recipe, and what each step changed");
  common(preview, true);
  preview->add_option("-n,--rows", a->rows, "Rows to show (default 5)")->check(CountValidator());
  preview->callback([&global, a] { PrepPreview(global, *a); });
}

}  // namespace mloop::cli
