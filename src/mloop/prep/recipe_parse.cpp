// Recipe documents: YAML -> JSON (YAML 1.2 core schema), the shorthand forms, the per-step
// option validation (through the step registry) and the errors that name step, key and the
// nearest valid name.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/yaml_util.h"
#include "mloop/prep/steps.h"

namespace mloop::prep {

using nlohmann::json;

namespace {

// --- YAML -> JSON -----------------------------------------------------------------------------

// Plain scalars follow YAML 1.2's core schema (null, true/false, integers, floats; not .inf and
// .nan); quoted scalars are strings.
json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kInt)) {
    int64_t v = 0;
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
    return std::strtod(s.c_str(), nullptr);
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  // The core schema's other integers: 0o17, 0x1F. (Not .inf and .nan: a recipe's source is
  // kept as JSON, which has no infinities; edges and bounds are finite numbers.)
  static const std::regex kOctal("0o[0-7]+"), kHex("0x[0-9a-fA-F]+");
  if (std::regex_match(s, kOctal) || std::regex_match(s, kHex)) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), v, s[1] == 'o' ? 8 : 16);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
  }
  return s;
}

std::string Line(const YAML::Mark& mark) {
  return mark.line < 0 ? "" : std::to_string(mark.line + 1);
}

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          throw InvalidArgument("line " + Line(kv.first.Mark()) + ": a key must be a plain name");
        }
        const std::string key = kv.first.Scalar();
        if (out.contains(key)) {
          throw InvalidArgument("line " + Line(kv.first.Mark()) + ": key '" + Printable(key) +
                                "' appears twice");
        }
        out[key] = YamlToJson(kv.second);
      }
      return out;
    }
  }
  return nullptr;
}

// --- Normalising the document -----------------------------------------------------------------

const std::vector<std::string>& ColumnsShorthandKinds() {
  static const std::vector<std::string> kinds = {
      "select",  "drop",          "drop_duplicates", "impute", "clip",      "winsorize",
      "scale",   "log",           "log1p",           "power",  "bucketize", "one_hot",
      "ordinal", "target_encode", "date_parts",      "cast"};
  return kinds;
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "name = expression" -> {name, expr}. The '=' is the first one that is not part of a
// comparison (==, <=, >=, !=).
json SplitDerive(const std::string& text, const std::string& where) {
  // A name in backquotes, as the expressions write one: it may hold '=' and spaces, and ``
  // stands for one backquote.
  const std::string lead = Trim(text);
  if (!lead.empty() && lead.front() == '`') {
    std::string name;
    size_t i = 1;
    for (; i < lead.size(); ++i) {
      if (lead[i] != '`') {
        name += lead[i];
      } else if (i + 1 < lead.size() && lead[i + 1] == '`') {
        name += '`';
        ++i;
      } else {
        break;
      }
    }
    const size_t eq = lead.find_first_not_of(" \t", i + 1);
    if (i < lead.size() && eq != std::string::npos && lead[eq] == '=' &&
        (eq + 1 >= lead.size() || lead[eq + 1] != '=')) {
      std::string expr = Trim(lead.substr(eq + 1));
      if (!name.empty() && !expr.empty()) return json{{"name", name}, {"expr", expr}};
    }
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') continue;
    char prev = i > 0 ? text[i - 1] : ' ';
    char next = i + 1 < text.size() ? text[i + 1] : ' ';
    if (prev == '<' || prev == '>' || prev == '!' || prev == '=' || next == '=') continue;
    std::string name = Trim(text.substr(0, i));
    if (name.size() >= 2 && name.front() == '`' && name.back() == '`') {
      name = name.substr(1, name.size() - 2);
    }
    std::string expr = Trim(text.substr(i + 1));
    if (name.empty() || expr.empty()) break;
    return json{{"name", name}, {"expr", expr}};
  }
  throw InvalidArgument(where + ": expected 'NAME = EXPRESSION', got '" + Printable(text) + "'",
                        "for example: - derive: \"ratio = income / (debt + 1)\"");
}

// One step item -> its spec, expanding the shorthand forms:
//   - filter: "EXPR"            -> {expr: EXPR}
//   - derive: "NAME = EXPR"     -> {name: NAME, expr: EXPR}
//   - drop: [a, b] / drop: a    -> {columns: ...} (every step that takes 'columns')
//   - drop_duplicates:          -> {} (no options)
StepSpec NormalizeStep(const json& item, int number) {
  const std::string where = "step " + std::to_string(number);
  if (!item.is_object() || item.size() != 1) {
    throw InvalidArgument(where + ": expected a one-key map such as '- scale: {columns: [age]}'",
                          "each step is '- STEP: {options}'; steps: " + Join(StepKinds(), ", "));
  }
  StepSpec spec;
  spec.number = number;
  spec.kind = item.begin().key();
  const auto& kinds = StepKinds();
  if (std::find(kinds.begin(), kinds.end(), spec.kind) == kinds.end()) {
    std::string nearest = NearestName(spec.kind, kinds);
    throw InvalidArgument(where + ": unknown step '" + Printable(spec.kind) + "'",
                          (nearest.empty() ? "" : "did you mean '" + nearest + "'? ") +
                              "steps: " + Join(kinds, ", "));
  }
  const json& value = item.begin().value();
  if (value.is_null()) {
    spec.options = json::object();
  } else if (value.is_object()) {
    spec.options = value;
  } else if (spec.kind == "filter" && value.is_string()) {
    spec.options = json{{"expr", value}};
  } else if (spec.kind == "derive" && value.is_string()) {
    spec.options = SplitDerive(value.get<std::string>(), spec.Where());
  } else if ((value.is_string() || value.is_array()) &&
             std::find(ColumnsShorthandKinds().begin(), ColumnsShorthandKinds().end(), spec.kind) !=
                 ColumnsShorthandKinds().end()) {
    spec.options = json{{"columns", value}};
  } else {
    throw InvalidArgument(spec.Where() + ": its options must be a map of key: value");
  }
  return spec;
}

}  // namespace

// `lines[i]`: the YAML line of step i + 1 (empty when parsing JSON); `origin`: the file, or "".
ParsedRecipe BuildRecipe(const json& doc, const std::vector<std::string>& lines,
                         const std::string& origin) {
  // "recipe.yaml:4" for step i + 1 (the file alone for the whole recipe), "" without a file.
  auto location = [&](size_t i) {
    if (origin.empty()) return std::string();
    return origin + (i < lines.size() && !lines[i].empty() ? ":" + lines[i] : "");
  };
  auto prefix = [&](size_t i) { return origin.empty() ? std::string() : location(i) + ": "; };
  json steps_json;
  if (doc.is_array()) {
    steps_json = doc;
  } else if (doc.is_object()) {
    if (doc.contains("format") && doc["format"] == "mloop.recipe.fitted") {  // `prep fit -o`'s
      throw InvalidArgument(
          prefix(SIZE_MAX) + "this is a fitted recipe (`prep fit -o`), not a recipe",
          "give the recipe YAML it was fitted from: it is fitted here, on "
          "this data");
    }
    for (const auto& item : doc.items()) {
      if (item.key() != "steps") {
        throw InvalidArgument(prefix(SIZE_MAX) + "unknown top-level key '" + Printable(item.key()) +
                                  "'" + DidYouMean(item.key(), {"steps"}),
                              "a recipe is 'steps:' followed by a list of steps");
      }
    }
    if (!doc.contains("steps")) {
      throw InvalidArgument(prefix(SIZE_MAX) + "the recipe has no 'steps'",
                            "a recipe is 'steps:' followed by a list of steps");
    }
    steps_json = doc["steps"];
    if (steps_json.is_null()) steps_json = json::array();
  } else {
    throw InvalidArgument(prefix(SIZE_MAX) + "a recipe is 'steps:' followed by a list of steps");
  }
  if (!steps_json.is_array()) {
    throw InvalidArgument(prefix(SIZE_MAX) + "'steps' must be a list of steps");
  }
  ParsedRecipe out;
  out.source = json{{"steps", json::array()}};
  for (size_t i = 0; i < steps_json.size(); ++i) {
    try {
      StepSpec spec = NormalizeStep(steps_json[i], static_cast<int>(i + 1));
      // Later messages (a column that does not exist, a value a step refuses) name the file
      // and line too.
      spec.location = location(i);
      out.steps.push_back(MakeStep(spec));
      out.source["steps"].push_back(json{{spec.kind, spec.options}});
    } catch (const Error& e) {
      // Messages made with the step's Where() carry its location already.
      if (origin.empty() || std::string_view(e.what()).starts_with(prefix(i))) throw;
      throw Error(e.code(), prefix(i) + e.what(), e.hint());
    }
  }
  return out;
}

ParsedRecipe ParseYaml(std::string_view yaml, const std::string& origin) {
  YAML::Node root;
  std::string where = origin.empty() ? "" : origin + ":";
  try {
    root = yaml::LoadOneYamlDocument(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(where +
                          (e.mark.line >= 0 ? std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) + ": "
                                            : std::string(origin.empty() ? "" : " ")) +
                          "invalid YAML: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw InvalidArgument(where + (origin.empty() ? "" : " ") + "the recipe is empty",
                          "a recipe is 'steps:' followed by a list of steps");
  }
  std::vector<std::string> lines;
  YAML::Node steps = root.IsMap() ? root["steps"] : root;
  if (steps && steps.IsSequence()) {
    for (const auto& s : steps) lines.push_back(Line(s.Mark()));
  }
  json doc;
  try {
    doc = YamlToJson(root);
  } catch (const Error& e) {
    throw Error(e.code(), where + (origin.empty() ? "" : " ") + e.what(), e.hint());
  }
  return BuildRecipe(doc, lines, origin);
}

// --- Step registry ----------------------------------------------------------------------------

namespace {
using Factory = std::shared_ptr<const Step> (*)(const StepSpec&);
const std::vector<std::pair<std::string, Factory>>& Registry() {
  static const std::vector<std::pair<std::string, Factory>> registry = {
      {"select", MakeSelect},
      {"drop", MakeDrop},
      {"rename", MakeRename},
      {"cast", MakeCast},
      {"filter", MakeFilter},
      {"drop_duplicates", MakeDropDuplicates},
      {"impute", MakeImpute},
      {"clip", MakeClip},
      {"winsorize", MakeWinsorize},
      {"scale", MakeScale},
      {"log", MakeLog},
      {"log1p", MakeLog1p},
      {"power", MakePower},
      {"bucketize", MakeBucketize},
      {"one_hot", MakeOneHot},
      {"ordinal", MakeOrdinal},
      {"target_encode", MakeTargetEncode},
      {"date_parts", MakeDateParts},
      {"derive", MakeDerive},
  };
  return registry;
}
}  // namespace

const std::vector<std::string>& StepKinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const auto& [name, factory] : Registry()) out.push_back(name);
    return out;
  }();
  return kinds;
}

std::shared_ptr<const Step> MakeStep(const StepSpec& spec) {
  for (const auto& [name, factory] : Registry()) {
    if (name == spec.kind) return factory(spec);
  }
  throw InvalidArgument(spec.Where() + ": unknown step");
}

}  // namespace mloop::prep
