#include "mloop/tune/tune_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "mloop/core/error.h"
#include "mloop/report/html.h"
#include "mloop/report/svg.h"
#include "mloop/tune/recorded.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {

namespace {

using nlohmann::json;
using report::BarChart;
using report::Card;
using report::FormatGrouped;
using report::FormatNumber;
using report::HtmlPage;
using report::LineChart;
using report::Series;
using report::Table;

const char* const kDash = "\xE2\x80\x93";  // en dash: no value
constexpr const char* kBlue = "#4e79a7";
constexpr const char* kOrange = "#f28e2b";
constexpr const char* kRed = "#e15759";
constexpr const char* kGrey = "#b4b4b4";
constexpr size_t kMaxCurves = 30;           // learning curves drawn
constexpr size_t kMinImportanceTrials = 5;  // complete trials needed for the importance
constexpr size_t kMaxBins = 10;             // quantile bins per numeric parameter
constexpr size_t kMaxParamColumns = 8;      // more parameters: one "parameters" column

// ---- Reading the document -------------------------------------------------------------------

const json& Member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = Member(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

// A finite number, or a string holding one.
std::optional<double> Number(const json& v) {
  double x = std::numeric_limits<double>::quiet_NaN();
  if (v.is_number()) {
    x = v.get<double>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') return std::nullopt;
  }
  if (!std::isfinite(x)) return std::nullopt;
  return x;
}

// A parameter value as text, as the search space spells categories ("rbf", "4", "0.5").
std::string ValueText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) return ParamValueText(ParamValue(v.get<double>()));
  return v.dump();
}

// `text` cut to at most `max` bytes, not inside a UTF-8 sequence, with an ellipsis when cut.
std::string Cut(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t cut = max > 1 ? max - 1 : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

std::string FirstLine(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  size_t end = text.find_first_of("\r\n", start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// "0.42 s", "12.3 s", "4 min 05 s", "2 h 03 min".
std::string Duration(double s) {
  if (!std::isfinite(s) || s < 0) return kDash;
  if (s < 60) return FormatNumber(s, 3) + " s";
  auto total = static_cast<int64_t>(std::llround(s));
  auto two = [](int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (total < 3600) return std::to_string(total / 60) + " min " + two(total % 60) + " s";
  return std::to_string(total / 3600) + " h " + two(total % 3600 / 60) + " min";
}

struct TrialInfo {
  int number = 0;
  std::string state;
  std::optional<double> value;
  double seconds = 0;
  json params = json::object();
  std::vector<std::pair<double, double>> intermediate;  // (step, value), finite only
  std::string error;
  bool warm_start = false;
  std::optional<int64_t> run_id;

  bool Complete() const { return state == "complete" && value.has_value(); }
};

struct ParamInfo {
  std::string name;
  bool categorical = false;
  bool integer = false;
  Scale scale = Scale::kLinear;
  bool inferred = false;  // from the trials' values: no usable search space entry
  std::optional<double> low, high;
  double step = 0;                   // a `step` grid (integers: above 1 only)
  std::vector<std::string> choices;  // categorical, in the space's order
  std::string condition;             // "kernel = rbf"; empty = always active
};

struct Doc {
  std::string name, metric, strategy, stop_reason, started;
  bool maximize = false;
  std::optional<double> seconds;
  std::vector<TrialInfo> trials;  // by number
  std::vector<ParamInfo> params;
  std::string space_problem;  // why job.parameters was not used, when it was present
  bool has_space = false;
  std::optional<int> best_number;
  std::optional<double> best_value;
  json best_params = json::object();
};

bool Better(double a, double b, bool maximize) {
  return maximize ? a > b : a < b;
}

TrialInfo ParseTrial(const json& j, size_t index) {
  TrialInfo t;
  const json& number = Member(j, "number");
  t.number = number.is_number_integer() ? number.get<int>() : static_cast<int>(index);
  t.state = Str(j, "state");
  if (t.state.empty()) t.state = "unknown";
  t.value = Number(Member(j, "value"));
  t.seconds = Number(Member(j, "seconds")).value_or(0.0);
  if (Member(j, "params").is_object()) t.params = Member(j, "params");
  const json& inter = Member(j, "intermediate");
  if (inter.is_array()) {
    for (const auto& p : inter) {
      if (!p.is_array() || p.size() != 2) continue;
      auto step = Number(p[0]), value = Number(p[1]);
      if (step && value) t.intermediate.emplace_back(*step, *value);
    }
    std::stable_sort(t.intermediate.begin(), t.intermediate.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  } else if (inter.is_object()) {  // {"step": value}
    for (const auto& [k, v] : inter.items()) {
      auto step = Number(json(k)), value = Number(v);
      if (step && value) t.intermediate.emplace_back(*step, *value);
    }
    std::stable_sort(t.intermediate.begin(), t.intermediate.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  t.error = Str(j, "error");
  t.warm_start = Member(j, "warm_start").is_boolean() && Member(j, "warm_start").get<bool>();
  if (Member(j, "run_id").is_number_integer()) t.run_id = Member(j, "run_id").get<int64_t>();
  return t;
}

ParamInfo FromSpec(const ParamSpec& p) {
  ParamInfo info;
  info.name = p.name;
  info.categorical = p.type == ParamType::kCategorical;
  info.integer = p.type == ParamType::kInteger;
  info.scale = info.categorical ? Scale::kLinear : p.scale;
  if (!info.categorical) {
    info.low = p.low;
    info.high = p.high;
    info.step = p.type == ParamType::kInteger && p.step <= 1 ? 0 : p.step;
  }
  info.choices = p.choices;
  if (p.condition) {
    std::string values;
    for (const auto& v : p.condition->values) values += (values.empty() ? "" : " or ") + v;
    info.condition = p.condition->parent + " = " + values;
  }
  return info;
}

// A parameter known only from the trials: categorical when any value is text; integer when every
// value is an integer; shown on a log axis when every value is positive and they span at least
// three decades.
ParamInfo Infer(const std::string& name, const std::vector<TrialInfo>& trials) {
  ParamInfo info;
  info.name = name;
  info.inferred = true;
  bool integer = true, any = false;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::set<std::string> texts;
  for (const auto& t : trials) {
    auto it = t.params.find(name);
    if (it == t.params.end()) continue;
    texts.insert(ValueText(*it));
    if (!it->is_number()) {
      info.categorical = true;
      continue;
    }
    any = true;
    integer = integer && (it->is_number_integer() || it->is_number_unsigned());
    double v = it->get<double>();
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (info.categorical || !any) {
    info.categorical = true;
    info.choices.assign(texts.begin(), texts.end());
    return info;
  }
  info.integer = integer;
  info.low = lo;
  info.high = hi;
  if (lo > 0 && hi / lo >= 1000) info.scale = Scale::kLog;
  return info;
}

Doc ParseDoc(const json& r) {
  if (!r.is_object()) {
    throw InvalidArgument("tuning report: expected the JSON object of a tuning job result, got " +
                          std::string(r.type_name()));
  }
  const json& job = Member(r, "job");
  Doc d;
  d.name = Str(r, "name");
  if (d.name.empty()) d.name = Str(job, "name");
  const json& objective =
      Member(r, "objective").is_object() ? Member(r, "objective") : Member(job, "objective");
  d.metric = Str(objective, "metric").empty() ? "objective" : ObjectiveLabel(r);
  d.maximize = Str(objective, "goal") == "maximize";
  d.strategy = Str(r, "strategy");
  if (d.strategy.empty()) d.strategy = Str(job, "strategy");
  d.stop_reason = Str(r, "stop_reason");
  d.started = Str(r, "started");
  d.seconds = Number(Member(r, "seconds"));

  const json& trials = Member(r, "trials");
  if (trials.is_array()) {
    for (size_t i = 0; i < trials.size(); ++i) {
      if (trials[i].is_object()) d.trials.push_back(ParseTrial(trials[i], i));
    }
  }
  std::stable_sort(d.trials.begin(), d.trials.end(),
                   [](const TrialInfo& a, const TrialInfo& b) { return a.number < b.number; });

  const json& parameters = Member(job, "parameters");
  if ((parameters.is_object() || parameters.is_array()) && !parameters.empty()) {
    try {
      SearchSpace space = SearchSpace::FromJson(parameters);
      for (const auto& p : space.params()) d.params.push_back(FromSpec(p));
      d.has_space = true;
    } catch (const std::exception& e) {
      d.space_problem = e.what();
    }
  }
  // Names found in the trials but not in the space (or no space at all).
  std::set<std::string> known;
  for (const auto& p : d.params) known.insert(p.name);
  std::set<std::string> extra;
  for (const auto& t : d.trials) {
    for (const auto& [name, v] : t.params.items()) {
      if (!known.count(name)) extra.insert(name);
    }
  }
  for (const auto& name : extra) d.params.push_back(Infer(name, d.trials));

  const json& best = Member(r, "best");
  if (best.is_object() && Number(Member(best, "value"))) {
    d.best_value = Number(Member(best, "value"));
    if (Member(best, "number").is_number_integer()) {
      d.best_number = Member(best, "number").get<int>();
    }
    if (Member(best, "params").is_object()) d.best_params = Member(best, "params");
  } else {
    // Not recorded: the best complete trial of this job (warm-start trials excluded).
    for (const auto& t : d.trials) {
      if (!t.Complete() || t.warm_start) continue;
      if (!d.best_value || Better(*t.value, *d.best_value, d.maximize)) {
        d.best_value = t.value;
        d.best_number = t.number;
        d.best_params = t.params;
      }
    }
  }
  return d;
}

// ---- Importance -----------------------------------------------------------------------------

struct Importance {
  std::string name;
  double share = 0;       // variance explained by the main effect, corrected for chance
  double raw = 0;         // the uncorrected between-bin share
  size_t bins = 0;        // non-empty bins
  double normalized = 0;  // share / sum of shares
};

struct ImportanceResult {
  std::vector<Importance> items;  // largest first; empty when not estimable
  std::string missing;            // why it is empty
  size_t trials = 0;              // complete trials used
};

// The bin of every row for parameter `p` (see ParameterImportance), as small integers.
std::vector<int> Bins(const ParamInfo& p, const std::vector<const TrialInfo*>& rows) {
  const int kInactive = -1;
  std::vector<int> bin(rows.size(), kInactive);
  if (p.categorical) {
    std::map<std::string, int> ids;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto it = rows[i]->params.find(p.name);
      if (it == rows[i]->params.end()) continue;
      auto [pos, added] = ids.emplace(ValueText(*it), static_cast<int>(ids.size()));
      bin[i] = pos->second;
    }
    return bin;
  }
  std::vector<std::pair<double, size_t>> present;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = rows[i]->params.find(p.name);
    if (it == rows[i]->params.end()) continue;
    if (auto v = Number(*it)) present.emplace_back(*v, i);
  }
  std::sort(present.begin(), present.end());
  const size_t m = present.size();
  size_t distinct = 0;
  for (size_t i = 0; i < m; ++i) distinct += i == 0 || present[i].first != present[i - 1].first;
  const size_t count = std::min({kMaxBins, distinct, std::max<size_t>(1, m / 2)});
  int previous = 0;
  for (size_t i = 0; i < m; ++i) {
    int b = static_cast<int>(i * count / m);
    if (i > 0 && present[i].first == present[i - 1].first) b = previous;  // ties share a bin
    bin[present[i].second] = b;
    previous = b;
  }
  return bin;
}

ImportanceResult ComputeImportance(const Doc& d) {
  ImportanceResult out;
  std::vector<const TrialInfo*> rows;
  for (const auto& t : d.trials) {
    if (t.Complete()) rows.push_back(&t);
  }
  const size_t n = rows.size();
  out.trials = n;
  if (d.params.empty()) {
    out.missing = "the job has no parameters.";
    return out;
  }
  if (n < kMinImportanceTrials) {
    out.missing = "it needs at least " + std::to_string(kMinImportanceTrials) +
                  " complete trials (there " + (n == 1 ? "is " : "are ") + std::to_string(n) + ").";
    return out;
  }
  // The objective's ranks (ties share their mean rank): robust to a few diverged trials, whose
  // raw values would make up most of the variance by themselves.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return *rows[a]->value < *rows[b]->value; });
  std::vector<double> rank(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && *rows[order[j + 1]]->value == *rows[order[i]]->value) ++j;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = static_cast<double>(i + j) / 2.0 + 1.0;
    i = j + 1;
  }
  const double mean = static_cast<double>(n + 1) / 2.0;
  double total = 0;
  for (double r : rank) total += (r - mean) * (r - mean);
  if (!(total > 1e-9)) {
    out.missing = "every complete trial has the same value of " + d.metric + ".";
    return out;
  }
  double sum = 0;
  for (const auto& p : d.params) {
    std::vector<int> bin = Bins(p, rows);
    std::map<int, std::pair<double, size_t>> groups;  // bin -> (sum of ranks, count)
    for (size_t i = 0; i < n; ++i) {
      auto& g = groups[bin[i]];
      g.first += rank[i];
      ++g.second;
    }
    double between = 0;
    for (const auto& [b, g] : groups) {
      double gm = g.first / static_cast<double>(g.second);
      between += static_cast<double>(g.second) * (gm - mean) * (gm - mean);
    }
    between = std::min(between, total);
    Importance imp;
    imp.name = p.name;
    imp.bins = groups.size();
    imp.raw = between / total;
    const size_t k = groups.size();
    if (k >= 2 && n > k) {
      double within_mean_square = (total - between) / static_cast<double>(n - k);
      imp.share =
          std::max(0.0, (between - static_cast<double>(k - 1) * within_mean_square) / total);
    }
    sum += imp.share;
    out.items.push_back(imp);
  }
  if (!(sum > 0)) {
    out.items.clear();
    out.missing = "no parameter explains more of the variance of " + d.metric +
                  " than chance would (over " + std::to_string(n) + " complete trials).";
    return out;
  }
  for (auto& imp : out.items) imp.normalized = imp.share / sum;
  std::stable_sort(out.items.begin(), out.items.end(),
                   [](const Importance& a, const Importance& b) {
                     if (a.normalized != b.normalized) return a.normalized > b.normalized;
                     return a.name < b.name;
                   });
  return out;
}

// ---- Chart helpers --------------------------------------------------------------------------

// Points without a line: LineChart has no scatter mode, but a series of one point with markers
// draws just its dot. Only the first gets `name`, so the legend lists the group once.
void AddPoints(LineChart& ch, const std::string& name, const std::vector<double>& x,
               const std::vector<double>& y, const std::string& color) {
  bool named = false;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    Series s;
    s.name = named ? "" : name;
    named = true;
    s.x = {x[i]};
    s.y = {y[i]};
    s.color = color;
    s.markers = true;
    ch.series.push_back(std::move(s));
  }
}

// The y range of charts of the objective: a few very bad trials (a diverged run) would squash
// everything else, so values beyond 5 interquartile ranges on the bad side are left off the
// chart. Returns how many values are cut and the limit.
struct YRange {
  report::AxisRange range;
  size_t hidden = 0;
  double limit = 0;
};

YRange ObjectiveRange(std::vector<double> values, bool maximize) {
  YRange r;
  if (values.size() < 8) return r;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  double q1 = values[n / 4], q3 = values[(3 * n) / 4];
  double iqr = q3 - q1;
  if (!(iqr > 0)) return r;
  if (maximize) {
    double fence = q1 - 5 * iqr;
    if (values.front() >= fence) return r;
    r.range.min = fence;
    r.limit = fence;
    for (double v : values) r.hidden += v < fence;
  } else {
    double fence = q3 + 5 * iqr;
    if (values.back() <= fence) return r;
    r.range.max = fence;
    r.limit = fence;
    for (double v : values) r.hidden += v > fence;
  }
  return r;
}

std::string ClipNote(const YRange& y, const Doc& d) {
  if (y.hidden == 0) return "";
  return std::to_string(y.hidden) + (y.hidden == 1 ? " value" : " values") + " of " + d.metric +
         (d.maximize ? " below " : " above ") + FormatNumber(y.limit, 4) + " (far from the rest) " +
         (y.hidden == 1 ? "is" : "are") + " off the charts.";
}

// The x of parameter value `v` on the parameter's axis (log10 for log scales).
std::optional<double> AxisValue(const ParamInfo& p, double v) {
  switch (p.scale) {
    case Scale::kLog:
      if (v > 0) return std::log10(v);
      return std::nullopt;
    case Scale::kReverseLog:
      if (v < 1) return -std::log10(1 - v);
      return std::nullopt;
    case Scale::kLinear:
      break;
  }
  return v;
}

std::string AxisLabel(const ParamInfo& p) {
  switch (p.scale) {
    case Scale::kLog:
      return "log10(" + p.name + ")";
    case Scale::kReverseLog:
      return "-log10(1 - " + p.name + ")";
    case Scale::kLinear:
      break;
  }
  return p.name;
}

std::string ParamValueCell(const json& v, int digits) {
  if (v.is_number_float()) return FormatNumber(v.get<double>(), digits);
  return ValueText(v);
}

std::string SpaceText(const ParamInfo& p) {
  std::string s;
  if (p.categorical) {
    std::string values;
    for (const auto& c : p.choices) values += (values.empty() ? "" : ", ") + c;
    s = "categorical: " + Cut(values, 80);
  } else {
    s = p.integer ? "integer" : "continuous";
    if (p.low && p.high) {
      s += (p.inferred ? ", values seen " : " ") + FormatNumber(*p.low, 4) + " \xE2\x80\x93 " +
           FormatNumber(*p.high, 4);
    }
    if (p.step > 0) s += ", step " + FormatNumber(p.step, 4);
    if (p.scale == Scale::kLog) s += p.inferred ? ", shown on a log axis" : ", log scale";
    if (p.scale == Scale::kReverseLog) s += ", reverse log scale";
  }
  if (p.inferred) s = "inferred from the trials: " + s;
  return s;
}

// ---- Sections -------------------------------------------------------------------------------

// The job's own trials by state, and apart from them the warm-start trials (an earlier job's,
// shown for context), as `tune show` counts them.
struct Counts {
  size_t complete = 0, pruned = 0, failed = 0, running = 0, other = 0, warm = 0;
  size_t own() const { return complete + pruned + failed + running + other; }
};

Counts Count(const Doc& d) {
  Counts c;
  for (const auto& t : d.trials) {
    if (t.warm_start) {
      ++c.warm;
    } else if (t.state == "complete") {
      ++c.complete;
    } else if (t.state == "pruned") {
      ++c.pruned;
    } else if (t.state == "failed") {
      ++c.failed;
    } else if (t.state == "running") {
      ++c.running;
    } else {
      ++c.other;
    }
  }
  return c;
}

std::string CountsText(const Counts& c) {
  std::string s = std::to_string(c.complete) + " complete, " + std::to_string(c.pruned) +
                  " pruned, " + std::to_string(c.failed) + " failed";
  if (c.running > 0) s += ", " + std::to_string(c.running) + " running";
  if (c.other > 0) s += ", " + std::to_string(c.other) + " other";
  return s;
}

void SummarySection(const Doc& d, const Counts& c, HtmlPage& page) {
  page.BeginSection("Summary", "summary");
  std::vector<Card> cards;
  const std::string goal = d.maximize ? "maximize" : "minimize";
  cards.push_back({"Best " + d.metric, d.best_value ? FormatNumber(*d.best_value, 6) : kDash,
                   d.best_value ? goal : "no complete trial"});
  // Trial numbers count the warm-start trials first: "#18 of 3 trials" would puzzle.
  std::string best_note;
  if (d.best_number) {
    best_note = "of " + std::to_string(c.own()) + (c.own() == 1 ? " trial" : " trials");
    if (c.warm > 0) {
      best_note += " (numbered after " + std::to_string(c.warm) + " warm-start " +
                   (c.warm == 1 ? "trial)" : "trials)");
    }
  }
  cards.push_back(
      {"Best trial", d.best_number ? "#" + std::to_string(*d.best_number) : kDash, best_note});
  cards.push_back({"Trials", std::to_string(c.own()), CountsText(c)});
  double busy = 0;
  size_t timed = 0;
  for (const auto& t : d.trials) {
    if (t.seconds > 0) {
      busy += t.seconds;
      ++timed;
    }
  }
  cards.push_back(
      {"Time", d.seconds ? Duration(*d.seconds) : kDash,
       timed > 0 ? "mean " + Duration(busy / static_cast<double>(timed)) + " per trial" : ""});
  page.AddCards(cards);
  if (d.trials.empty()) page.AddNote("The job has no trials.");
  if (!d.space_problem.empty()) {
    page.AddNote("The job's search space could not be read (" + d.space_problem +
                 "); parameters are inferred from the trials.");
  }
}

void ConvergenceSection(const Doc& d, const YRange& y, HtmlPage& page) {
  page.BeginSection("Convergence", "convergence");
  std::vector<double> ox, oy, wx, wy;
  for (const auto& t : d.trials) {
    if (!t.Complete()) continue;
    (t.warm_start ? wx : ox).push_back(t.number);
    (t.warm_start ? wy : oy).push_back(*t.value);
  }
  if (ox.empty() && wx.empty()) {
    page.AddNote("No trial completed: there is nothing to plot.");
    return;
  }
  LineChart ch;
  ch.title = d.metric + " by trial";
  ch.x_label = "trial number";
  ch.y_label = d.metric + (d.maximize ? " (higher is better)" : " (lower is better)");
  ch.y_range = y.range;
  ch.width = 760;
  ch.height = 400;
  AddPoints(ch, "warm start", wx, wy, kGrey);
  AddPoints(ch, "complete trial", ox, oy, kBlue);
  if (!ox.empty()) {
    // The best so far as a step line, held to the last trial.
    Series best;
    best.name = d.maximize ? "best so far (max)" : "best so far (min)";
    best.color = kRed;
    double current = oy[0];
    best.x.push_back(ox[0]);
    best.y.push_back(current);
    for (size_t i = 1; i < ox.size(); ++i) {
      if (Better(oy[i], current, d.maximize)) {
        best.x.push_back(ox[i]);
        best.y.push_back(current);
        current = oy[i];
        best.x.push_back(ox[i]);
        best.y.push_back(current);
      }
    }
    double last = d.trials.empty() ? ox.back() : d.trials.back().number;
    if (last > best.x.back()) {
      best.x.push_back(last);
      best.y.push_back(current);
    }
    ch.series.push_back(std::move(best));
  }
  if (d.best_number && d.best_value) {
    ch.vlines.push_back({static_cast<double>(*d.best_number),
                         "best: trial " + std::to_string(*d.best_number), "#555"});
  }
  page.AddChart(RenderSvg(ch),
                "Each dot is a complete trial; the red step line is the best value so far.");
  std::vector<std::string> notes;
  Counts c = Count(d);
  if (c.pruned + c.failed > 0) {
    notes.push_back("Pruned and failed trials are not plotted.");
  }
  if (!wx.empty()) {
    notes.push_back(
        "Warm-start trials (grey, copied from an earlier job) do not count towards "
        "the best so far.");
  }
  if (std::string clip = ClipNote(y, d); !clip.empty()) notes.push_back(clip);
  std::string text;
  for (const auto& n : notes) text += (text.empty() ? "" : " ") + n;
  if (!text.empty()) page.AddNote(text);
}

void BestSection(const Doc& d, HtmlPage& page) {
  page.BeginSection("Best parameters", "best");
  if (!d.best_value) {
    page.AddNote("No trial completed: there are no best parameters.");
    return;
  }
  page.AddParagraph("Trial " + (d.best_number ? std::to_string(*d.best_number) : kDash) +
                    " reached " + d.metric + " = " + FormatNumber(*d.best_value, 8) + ".");
  Table t;
  t.header = {"parameter", "value", "search space", "active when"};
  t.numeric_columns = {1};
  std::set<std::string> listed;
  for (const auto& p : d.params) {
    listed.insert(p.name);
    auto it = d.best_params.find(p.name);
    std::string value = it == d.best_params.end() ? "(inactive)" : ParamValueCell(*it, 8);
    t.rows.push_back({p.name, value, SpaceText(p), p.condition.empty() ? "always" : p.condition});
  }
  for (const auto& [name, v] : d.best_params.items()) {
    if (!listed.count(name)) t.rows.push_back({name, ParamValueCell(v, 8), "", ""});
  }
  if (t.rows.empty()) {
    page.AddNote("The best trial has no parameters.");
  } else {
    page.AddTable(t);
  }
}

void ImportanceSection(const Doc& d, const ImportanceResult& imp, HtmlPage& page) {
  page.BeginSection("Parameter importance", "importance");
  if (imp.items.empty()) {
    page.AddNote("Parameter importance is not shown: " + imp.missing);
    return;
  }
  BarChart ch;
  ch.title = "Importance (share of explained variance)";
  ch.value_label = "importance (sums to 1)";
  ch.width = 760;
  ch.max_bars = 30;
  for (const auto& i : imp.items) ch.bars.emplace_back(i.name, i.normalized);
  page.AddChart(RenderSvg(ch));
  Table t;
  t.header = {"parameter", "importance", "variance explained", "uncorrected", "bins"};
  t.numeric_columns = {1, 2, 3, 4};
  for (const auto& i : imp.items) {
    t.rows.push_back({i.name, FormatNumber(i.normalized, 3), FormatNumber(i.share, 3),
                      FormatNumber(i.raw, 3), std::to_string(i.bins)});
  }
  page.AddTable(t);
  page.AddNote(
      "Importance: the share of the variance of " + d.metric +
      " explained by each parameter alone (its main effect, what fANOVA's first-order "
      "importance estimates), normalised to sum to 1. Over the " +
      std::to_string(imp.trials) +
      " complete trials, each numeric parameter's values are put into up to 10 quantile bins "
      "(each categorical value is its own bin; trials where a conditional parameter is inactive "
      "form one more), and the between-bin variance of the objective is divided by its total "
      "variance. The objective enters as its rank among the trials, so that a few diverged "
      "trials cannot dominate. 'Variance explained' is that share corrected for chance "
      "(epsilon squared), as a parameter without effect would otherwise explain about "
      "(bins - 1) / (trials - 1) of it; 'uncorrected' is the share before the correction. "
      "Interactions between parameters are not counted; with few trials the figures are "
      "rough.");
}

void ParamsSection(const Doc& d, const ImportanceResult& imp, const YRange& y, HtmlPage& page) {
  page.BeginSection("Parameters against the objective", "parameters");
  if (d.params.empty()) {
    page.AddNote("The job has no parameters.");
    return;
  }
  bool any_complete = std::any_of(d.trials.begin(), d.trials.end(),
                                  [](const TrialInfo& t) { return t.Complete(); });
  if (!any_complete) {
    page.AddNote("No trial completed: there is nothing to plot.");
    return;
  }
  // The most important parameters first.
  std::vector<const ParamInfo*> order;
  for (const auto& i : imp.items) {
    for (const auto& p : d.params) {
      if (p.name == i.name) order.push_back(&p);
    }
  }
  for (const auto& p : d.params) {
    if (std::find(order.begin(), order.end(), &p) == order.end()) order.push_back(&p);
  }
  std::vector<std::string> charts;
  std::vector<std::string> notes;
  bool any_log = false, any_warm = false, any_numeric = false, any_categorical = false;
  for (const ParamInfo* p : order) {
    if (p->categorical) {
      // The chart has no category tick labels: the mean objective per value as bars.
      std::map<std::string, std::pair<double, size_t>> stats;
      for (const auto& t : d.trials) {
        if (!t.Complete()) continue;
        auto it = t.params.find(p->name);
        if (it == t.params.end()) continue;
        auto& s = stats[ValueText(*it)];
        s.first += *t.value;
        ++s.second;
      }
      std::vector<std::string> order_values = p->choices;
      for (const auto& [v, s] : stats) {
        if (std::find(order_values.begin(), order_values.end(), v) == order_values.end()) {
          order_values.push_back(v);
        }
      }
      std::string best_value;
      if (auto it = d.best_params.find(p->name); it != d.best_params.end()) {
        best_value = ValueText(*it);
      }
      BarChart ch;
      ch.title = p->name + ": mean " + d.metric + " per value";
      ch.value_label = "mean " + d.metric + " over complete trials";
      ch.sort = false;
      ch.max_bars = 40;
      ch.color = kBlue;
      std::vector<std::string> untried;
      for (const auto& v : order_values) {
        auto it = stats.find(v);
        if (it == stats.end()) {
          untried.push_back(v);
          continue;
        }
        std::string label = v + " (n=" + std::to_string(it->second.second) +
                            (v == best_value ? ", best" : "") + ")";
        ch.bars.emplace_back(label, it->second.first / static_cast<double>(it->second.second));
      }
      if (ch.bars.empty()) continue;
      // Means close together (roc_auc 0.921, 0.949, 0.952) look alike on bars from 0: the axis
      // then starts a little below the lowest mean (its ticks say where).
      double lo = INFINITY, hi = -INFINITY;
      for (const auto& [label, mean] : ch.bars) {
        lo = std::min(lo, mean);
        hi = std::max(hi, mean);
      }
      if (lo > 0 && hi > lo && hi - lo < 0.5 * hi) ch.baseline = lo - 0.25 * (hi - lo);
      charts.push_back(RenderSvg(ch));
      any_categorical = true;
      if (!untried.empty()) {
        std::string list;
        for (const auto& v : untried) list += (list.empty() ? "" : ", ") + v;
        notes.push_back(p->name + ": no complete trial with " + Cut(list, 120) + ".");
      }
      continue;
    }
    std::vector<double> ox, oy, wx, wy;
    for (const auto& t : d.trials) {
      if (!t.Complete()) continue;
      auto it = t.params.find(p->name);
      if (it == t.params.end()) continue;
      auto v = Number(*it);
      if (!v) continue;
      auto x = AxisValue(*p, *v);
      if (!x) continue;
      (t.warm_start ? wx : ox).push_back(*x);
      (t.warm_start ? wy : oy).push_back(*t.value);
    }
    if (ox.empty() && wx.empty()) {
      notes.push_back(p->name + ": no complete trial has a value.");
      continue;
    }
    any_warm = any_warm || !wx.empty();
    any_numeric = true;
    any_log = any_log || p->scale != Scale::kLinear;
    LineChart ch;
    ch.title = p->name + (p->scale == Scale::kLog          ? " (log scale)"
                          : p->scale == Scale::kReverseLog ? " (reverse log scale)"
                                                           : "");
    ch.x_label = AxisLabel(*p);
    ch.y_label = d.metric;
    ch.y_range = y.range;
    ch.width = 560;
    ch.height = 380;
    AddPoints(ch, "warm start", wx, wy, kGrey);
    AddPoints(ch, "trial", ox, oy, kBlue);
    if (d.best_value) {
      auto it = d.best_params.find(p->name);
      if (it != d.best_params.end()) {
        if (auto v = Number(*it)) {
          if (auto x = AxisValue(*p, *v)) {
            AddPoints(ch,
                      "best" + (d.best_number ? " (trial " + std::to_string(*d.best_number) + ")"
                                              : std::string()),
                      {*x}, {*d.best_value}, kRed);
            ch.vlines.push_back({*x, "", kRed});
          }
        }
      }
    }
    charts.push_back(RenderSvg(ch));
  }
  if (!charts.empty()) page.AddCharts(charts);
  std::string text;
  if (any_numeric) {
    text += "Numeric parameters: one dot per complete trial, the best in red.";
  }
  if (any_categorical) {
    text += std::string(text.empty() ? "" : " ") + "Categorical parameters: the mean of " +
            d.metric + " over the complete trials with each value (n of them).";
  }
  if (any_log) {
    text +=
        " Log-scale parameters are plotted as log10 of the value (reverse log: -log10(1 - "
        "value)), as the axis titles say.";
  }
  if (any_warm) text += " Grey dots are warm-start trials.";
  if (!imp.items.empty() && charts.size() > 1) text += " Charts are in order of importance.";
  if (std::string clip = ClipNote(y, d); !clip.empty()) text += " " + clip;
  bool inferred_log = std::any_of(d.params.begin(), d.params.end(), [](const ParamInfo& p) {
    return p.inferred && p.scale == Scale::kLog;
  });
  if (inferred_log) {
    text +=
        " Without the job's search space, parameters whose values are positive and span three "
        "decades or more are shown on a log axis.";
  }
  if (!text.empty()) page.AddNote(text);
  for (const auto& n : notes) page.AddNote(n);
}

void IntermediateSection(const Doc& d, HtmlPage& page) {
  std::vector<const TrialInfo*> complete, pruned;
  size_t with_curves = 0;
  for (const auto& t : d.trials) {
    if (t.intermediate.empty()) continue;
    ++with_curves;
    if (t.state == "complete") complete.push_back(&t);
    if (t.state == "pruned") pruned.push_back(&t);
  }
  if (with_curves == 0) return;
  page.BeginSection("Intermediate values", "intermediate");
  // Best first by their (final or last reported) value; trials without one last.
  auto by_value = [&](const TrialInfo* a, const TrialInfo* b) {
    if (a->value.has_value() != b->value.has_value()) return a->value.has_value();
    if (!a->value) return a->number < b->number;
    if (*a->value != *b->value) return Better(*a->value, *b->value, d.maximize);
    return a->number < b->number;
  };
  std::stable_sort(complete.begin(), complete.end(), by_value);
  std::stable_sort(pruned.begin(), pruned.end(), by_value);
  // Up to kMaxCurves: the best complete trials, leaving room for a third of pruned ones.
  size_t n_pruned = std::min(pruned.size(), kMaxCurves / 3);
  size_t n_complete = std::min(complete.size(), kMaxCurves - n_pruned);
  n_pruned = std::min(pruned.size(), kMaxCurves - n_complete);
  if (n_complete + n_pruned == 0) {
    page.AddNote("Only failed or running trials reported intermediate values.");
    return;
  }
  LineChart ch;
  ch.title = "Intermediate values";
  ch.x_label = "step";
  ch.y_label = d.metric;
  ch.width = 760;
  ch.height = 420;
  auto curve = [](const TrialInfo& t, const std::string& name, const std::string& color,
                  bool dashed) {
    Series s;
    s.name = name;
    s.color = color;
    s.dashed = dashed;
    for (const auto& [step, value] : t.intermediate) {
      s.x.push_back(step);
      s.y.push_back(value);
    }
    return s;
  };
  // Complete trials first, pruned ones over them (they are fewer and would be hidden), the
  // best on top.
  const TrialInfo* best = nullptr;
  bool named = false;
  for (size_t i = 0; i < n_complete; ++i) {
    const TrialInfo& t = *complete[i];
    if (d.best_number && t.number == *d.best_number) {
      best = &t;
      continue;
    }
    ch.series.push_back(curve(t, named ? "" : "complete", kBlue, false));
    named = true;
  }
  std::vector<double> end_x, end_y;
  for (size_t i = 0; i < n_pruned; ++i) {
    const TrialInfo& t = *pruned[i];
    ch.series.push_back(curve(t, i == 0 ? "pruned" : "", kOrange, true));
    end_x.push_back(t.intermediate.back().first);
    end_y.push_back(t.intermediate.back().second);
  }
  AddPoints(ch, "pruned here", end_x, end_y, kOrange);
  if (best) {
    ch.series.push_back(
        curve(*best, "best (trial " + std::to_string(best->number) + ")", kRed, false));
  }
  page.AddChart(RenderSvg(ch));
  std::string note = "Each line is one trial's reported values by step";
  if (n_complete + n_pruned < with_curves) {
    note += " (the best " + std::to_string(n_complete) + " complete and " +
            std::to_string(n_pruned) + " pruned trials of " + std::to_string(with_curves) +
            " with intermediate values)";
  }
  note += ". Pruned trials are dashed and end with a dot where the pruner stopped them.";
  page.AddNote(note);
}

void TrialsSection(const Doc& d, HtmlPage& page) {
  page.BeginSection("Trials", "trials");
  if (d.trials.empty()) {
    page.AddNote("No trials.");
    return;
  }
  bool any_run = std::any_of(d.trials.begin(), d.trials.end(),
                             [](const TrialInfo& t) { return t.run_id.has_value(); });
  bool any_error = std::any_of(d.trials.begin(), d.trials.end(),
                               [](const TrialInfo& t) { return !t.error.empty(); });
  const bool columns = d.params.size() <= kMaxParamColumns;
  Table t;
  t.header = {"trial", "state", d.metric, "seconds"};
  t.numeric_columns = {0, 2, 3};
  if (any_run) {
    t.numeric_columns.push_back(t.header.size());
    t.header.push_back("run");
  }
  if (columns) {
    for (const auto& p : d.params) t.header.push_back(p.name);
  } else {
    t.header.push_back("parameters");
  }
  if (any_error) t.header.push_back("error");
  for (const auto& tr : d.trials) {
    std::string state = tr.state;
    if (tr.warm_start) state += " (warm start)";
    if (d.best_number && tr.number == *d.best_number && tr.Complete()) state += " \xE2\x98\x85";
    std::vector<std::string> row = {std::to_string(tr.number), state,
                                    tr.value ? FormatNumber(*tr.value, 6) : kDash,
                                    tr.state == "running" ? kDash : FormatNumber(tr.seconds, 3)};
    if (any_run) row.push_back(tr.run_id ? std::to_string(*tr.run_id) : kDash);
    if (columns) {
      for (const auto& p : d.params) {
        auto it = tr.params.find(p.name);
        row.push_back(it == tr.params.end() ? kDash : Cut(ParamValueCell(*it, 4), 40));
      }
    } else {
      std::string text;
      for (const auto& [name, v] : tr.params.items()) {
        text += (text.empty() ? "" : ", ") + name + "=" + Cut(ParamValueCell(v, 4), 40);
      }
      row.push_back(text);
    }
    if (any_error) row.push_back(Cut(FirstLine(tr.error), 120));
    t.rows.push_back(std::move(row));
  }
  page.AddTable(t);
  std::string note = d.best_number ? "\xE2\x98\x85 marks the best trial." : "";
  if (columns && std::any_of(d.params.begin(), d.params.end(),
                             [](const ParamInfo& p) { return !p.condition.empty(); })) {
    note += " A dash is a conditional parameter that was inactive.";
  }
  if (any_error) note += " Errors are shortened to their first line.";
  if (!note.empty() && note[0] == ' ') note.erase(0, 1);
  if (!note.empty()) page.AddNote(note);
}

}  // namespace

std::vector<std::pair<std::string, double>> ParameterImportance(const nlohmann::json& result) {
  ImportanceResult imp = ComputeImportance(ParseDoc(result));
  std::vector<std::pair<std::string, double>> out;
  for (const auto& i : imp.items) out.emplace_back(i.name, i.normalized);
  return out;
}

std::string TuneReportHtml(const nlohmann::json& result) {
  const Doc d = ParseDoc(result);
  const Counts c = Count(d);
  HtmlPage page(d.name.empty() ? "Tuning job" : "Tuning job: " + d.name);
  if (!d.name.empty()) page.AddFact("job", d.name);
  if (!d.strategy.empty()) page.AddFact("strategy", d.strategy);
  page.AddFact("objective", d.metric + " (" + (d.maximize ? "maximize" : "minimize") + ")");
  page.AddFact("trials", std::to_string(c.own()) + " (" + CountsText(c) + ")");
  if (c.warm > 0) {
    page.AddFact("warm start",
                 std::to_string(c.warm) + " earlier trial" + (c.warm == 1 ? "" : "s"));
  }
  if (!d.stop_reason.empty()) page.AddFact("stopped by", d.stop_reason);
  if (d.seconds) page.AddFact("time", Duration(*d.seconds));
  if (!d.started.empty()) page.AddFact("started", d.started);

  std::vector<double> values;
  for (const auto& t : d.trials) {
    if (t.Complete()) values.push_back(*t.value);
  }
  const YRange y = ObjectiveRange(values, d.maximize);
  const ImportanceResult imp = ComputeImportance(d);

  SummarySection(d, c, page);
  ConvergenceSection(d, y, page);
  BestSection(d, page);
  ImportanceSection(d, imp, page);
  ParamsSection(d, imp, y, page);
  IntermediateSection(d, page);
  TrialsSection(d, page);

  std::string html = page.Render();
  // Inline SVG in HTML needs no namespace declaration; leaving it out keeps the page free of
  // any URL at all (as the profile report does).
  const std::string ns = " xmlns=\"http://www.w3.org/2000/svg\"";
  for (size_t pos = html.find(ns); pos != std::string::npos; pos = html.find(ns, pos)) {
    html.erase(pos, ns.size());
  }
  return html;
}

}  // namespace mloop::tune
