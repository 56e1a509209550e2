#include "mloop/track/run_query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/io/value_parse.h"

namespace mloop {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

std::optional<std::string> JsonField(const std::string& json, const std::string& key) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.contains(key)) return std::nullopt;
  const auto& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

const std::vector<std::string> kPlainFields = {"status", "algorithm", "experiment",
                                               "task",   "id",        "started"};

void CheckField(const std::string& field) {
  for (const char* prefix : {"metrics.", "params.", "tags."}) {
    if (field.rfind(prefix, 0) == 0 && field.size() > std::string(prefix).size()) return;
  }
  if (std::find(kPlainFields.begin(), kPlainFields.end(), field) != kPlainFields.end()) return;
  std::vector<std::string> known = kPlainFields;
  known.insert(known.end(), {"metrics.NAME", "params.NAME", "tags.NAME"});
  throw InvalidArgument("unknown run field '" + field + "'" + DidYouMean(field, known),
                        "fields: " + Join(known, ", "));
}

}  // namespace

std::optional<std::string> RunField(const RunRecord& run, const std::string& field) {
  if (field.rfind("metrics.", 0) == 0) {
    auto it = run.metrics.find(field.substr(8));
    if (it == run.metrics.end()) return std::nullopt;
    return FormatDouble(it->second);
  }
  if (field.rfind("params.", 0) == 0) return JsonField(run.params_json, field.substr(7));
  if (field.rfind("tags.", 0) == 0) return JsonField(run.tags_json, field.substr(5));
  if (field == "status") return std::string(RunStatusName(run.status));
  if (field == "algorithm") return run.algorithm;
  if (field == "experiment") return run.experiment;
  if (field == "task") return run.task;
  if (field == "id") return std::to_string(run.id);
  if (field == "started") return FormatTimestamp(run.started_at_us);  // ISO 8601: sorts as text
  return std::nullopt;
}

namespace {

// Whether `text` at `i` holds ` WORD ` (any case).
bool WordAt(const std::string& text, size_t i, std::string_view word) {
  if (i + word.size() + 2 > text.size() || text[i] != ' ' || text[i + word.size() + 1] != ' ') {
    return false;
  }
  for (size_t k = 0; k < word.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[i + 1 + k])) != word[k]) return false;
  }
  return true;
}

// The conditions of a --where text: split on " and " outside quotes. An "and" at either end
// splits too (the text is read with a space around it), leaving an empty condition.
std::vector<std::string> SplitConditions(const std::string& where) {
  const std::string text = " " + where + " ";
  std::vector<std::string> parts(1);
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quote) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (WordAt(text, i, "and")) {
      parts.emplace_back();
      i += 4;
      continue;
    } else if (WordAt(text, i, "or")) {
      throw InvalidArgument("--where has no 'or': its conditions all hold ('and')",
                            "run `runs list` once per alternative");
    }
    parts.back() += ch;
  }
  if (quote) {
    throw InvalidArgument(std::string("--where has an unterminated ") + quote + " quote");
  }
  return parts;
}

}  // namespace

RunFilter RunFilter::Parse(const std::string& text) {
  RunFilter f;
  for (const std::string& part : SplitConditions(text)) {
    static const char* kOps[] = {"<=", ">=", "!=", "==", "=", "<", ">"};
    Condition c;
    // The operator is the first one in the condition (the value may hold any text).
    size_t first = std::string::npos;
    for (const char* op : kOps) {
      const size_t at = part.find(op);
      if (at != std::string::npos && (at < first || (at == first && std::strlen(op) == 2))) {
        first = at;
        c.op = op;
      }
    }
    if (Trim(part).empty()) {
      throw InvalidArgument("--where has an empty condition: 'and' joins two conditions",
                            "write FIELD OP VALUE [and FIELD OP VALUE ...]");
    }
    if (first != std::string::npos) {
      c.field = Trim(part.substr(0, first));
      c.value = Trim(part.substr(first + c.op.size()));
    }
    if (c.op.empty() || c.field.empty() || c.value.empty()) {
      throw InvalidArgument("cannot read the condition '" + Trim(part) + "' in --where",
                            "write FIELD OP VALUE, e.g. metrics.roc_auc > 0.8");
    }
    if (c.op == "==") c.op = "=";
    // "=<" or ">>": a mistyped operator, not a comparison with the text "< 0.5".
    if (std::string_view("<>=!").find(c.value[0]) != std::string_view::npos) {
      throw InvalidArgument("cannot read the operator in '" + Trim(part) + "' in --where",
                            "operators: <, <=, >, >=, =, !=");
    }
    CheckField(c.field);
    // Metrics and ids are numbers: against text they would compare as text, never matching
    // what was meant (metrics.roc_auc > abc, metrics.auc > 0,8).
    double number;
    if ((c.field.rfind("metrics.", 0) == 0 || c.field == "id") &&
        (!ParseFloat64(c.value, &number) || std::isnan(number))) {
      throw InvalidArgument(c.field + " is a number; '" + c.value + "' in --where is not one" +
                                (std::isnan(number) ? " (NaN compares false with everything)" : ""),
                            "compare with a number, e.g. metrics.roc_auc > 0.8");
    }
    // Statuses, tasks and algorithm names are lower case: FINISHED means finished.
    if (c.field == "status" || c.field == "task" || c.field == "algorithm") {
      c.value = AsciiLower(c.value);
    }
    f.conditions_.push_back(std::move(c));
  }
  return f;
}

std::vector<std::string> RunFilter::FieldsNoneHas(const std::vector<RunRecord>& runs) const {
  std::vector<std::string> out;
  for (const Condition& c : conditions_) {
    const bool someone = std::any_of(runs.begin(), runs.end(), [&](const RunRecord& r) {
      return RunField(r, c.field).has_value();
    });
    if (!someone && std::find(out.begin(), out.end(), c.field) == out.end()) out.push_back(c.field);
  }
  return out;
}

bool RunFilter::Matches(const RunRecord& run) const {
  for (const Condition& c : conditions_) {
    auto v = RunField(run, c.field);
    if (!v) return false;
    double a, b;
    int cmp;
    if (ParseFloat64(*v, &a) && ParseFloat64(c.value, &b)) {
      cmp = a < b ? -1 : a > b ? 1 : 0;
    } else {
      cmp = v->compare(c.value);
      cmp = cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
    }
    bool ok = (c.op == "=" && cmp == 0) || (c.op == "!=" && cmp != 0) || (c.op == "<" && cmp < 0) ||
              (c.op == "<=" && cmp <= 0) || (c.op == ">" && cmp > 0) || (c.op == ">=" && cmp >= 0);
    if (!ok) return false;
  }
  return true;
}

SortedBy SortRuns(std::vector<RunRecord>& runs, const std::string& spec) {
  std::string field = spec;
  bool ascending = false;
  size_t colon = spec.rfind(':');
  if (colon != std::string::npos) {
    std::string dir = spec.substr(colon + 1);
    if (dir != "asc" && dir != "desc") {
      throw InvalidArgument(
          "--sort takes FIELD[:asc|:desc], not '" + spec + "'" + DidYouMean(dir, {"asc", "desc"}),
          "e.g. --sort metrics.roc_auc:desc (largest first, the default)");
    }
    ascending = dir == "asc";
    field = spec.substr(0, colon);
  }
  CheckField(field);
  // One order over mixed values: numbers (by value) before text (by bytes), in the direction
  // asked; runs without the field last. Keys are made once, not per comparison.
  struct Key {
    int kind = 2;  // 0 number, 1 text, 2 absent
    double number = 0;
    std::string text;
  };
  SortedBy out{field, false};
  std::vector<std::pair<Key, RunRecord>> keyed;
  keyed.reserve(runs.size());
  for (RunRecord& run : runs) {
    Key k;
    if (auto v = RunField(run, field)) {
      out.found = true;
      double d;
      if (ParseFloat64(*v, &d) && !std::isnan(d)) {
        k = {0, d, ""};
      } else {
        k = {1, 0, *v};
      }
    }
    keyed.emplace_back(std::move(k), std::move(run));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    const Key& a = x.first;
    const Key& b = y.first;
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.kind == 0) return ascending ? a.number < b.number : a.number > b.number;
    if (a.kind == 1) return ascending ? a.text < b.text : a.text > b.text;
    return false;
  });
  for (size_t i = 0; i < runs.size(); ++i) runs[i] = std::move(keyed[i].second);
  return out;
}

}  // namespace mloop
