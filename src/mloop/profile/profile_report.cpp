#include "mloop/profile/profile_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/core/types.h"
#include "mloop/report/html.h"
#include "mloop/report/svg.h"

namespace mloop {

namespace {

using report::BarChart;
using report::Card;
using report::FormatGrouped;
using report::FormatNumber;
using report::Heatmap;
using report::HtmlPage;
using report::Table;

const char* const kDash = "\xE2\x80\x93";  // en dash: an undefined figure
constexpr int kChartWidth = 760;
// Heat maps of at most this many columns go two per row (their values still fit in the cells).
constexpr size_t kSideBySideColumns = 12;

std::string Num(std::optional<double> v, int digits = 4) {
  if (!v || std::isnan(*v)) return kDash;
  return FormatNumber(*v, digits);
}

std::string Int(int64_t v) {
  return FormatGrouped(static_cast<double>(v), 0);
}

// A percentage (0..100) with one decimal; "<0.1%" for a small non-zero share.
std::string Pct(double percent) {
  if (!std::isfinite(percent)) return kDash;
  if (percent > 0 && percent < 0.05) return "<0.1%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", percent);
  return buf;
}

std::string Share(int64_t part, int64_t whole) {
  return whole > 0 ? Pct(100.0 * static_cast<double>(part) / static_cast<double>(whole)) : kDash;
}

// The semantic type as the report shows it ("id-like").
std::string SemanticLabel(SemanticType t) {
  std::string s(SemanticTypeName(t));
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

// A value from the data as a chart or table label.
std::string ValueLabel(const std::string& value) {
  return value.empty() ? "(empty string)" : value;
}

// The evidence of an alert on one line: "key: value, key: value".
std::string EvidenceText(const nlohmann::json& evidence) {
  if (evidence.is_null()) return "";
  if (!evidence.is_object()) return evidence.dump();
  std::string out;
  for (auto it = evidence.begin(); it != evidence.end(); ++it) {
    if (!out.empty()) out += ", ";
    out += it.key() + ": ";
    const auto& v = it.value();
    if (v.is_number_float()) {
      out += FormatNumber(v.get<double>(), 4);
    } else if (v.is_string()) {
      out += Printable(v.get<std::string>(), 120);  // a constant column's 5,000-character value
    } else {
      out += v.dump();
    }
  }
  return out;
}

// Whether `alert` concerns `column` (its own, or one of a pair "a,b").
bool AlertNames(const Alert& alert, const std::string& column) {
  if (alert.column == column) return true;
  size_t comma = alert.column.find(',');
  if (comma == std::string::npos) return false;
  return alert.column.substr(0, comma) == column || alert.column.substr(comma + 1) == column;
}

std::string AssociationLabel(const std::string& kind) {
  if (kind == "roc_auc") return "ROC AUC as a score, max(AUC, 1 - AUC)";
  if (kind == "mutual_information") return "mutual information (nats)";
  if (kind == "pearson") return "|Pearson r|";
  return kind;
}

int64_t MissingCells(const Profile& p) {
  int64_t n = 0;
  for (const auto& c : p.column_profiles) n += c.missing;
  return n;
}

// Key figures laid out in `per_row` (name, value) pairs per table row, filled column by column.
Table FiguresTable(const std::vector<std::pair<std::string, std::string>>& figures,
                   size_t per_row) {
  per_row = std::max<size_t>(1, std::min(per_row, figures.size()));
  Table t;
  for (size_t k = 0; k < per_row; ++k) {
    t.header.push_back("figure");
    t.header.push_back("value");
    t.numeric_columns.push_back(2 * k + 1);
  }
  size_t rows = (figures.size() + per_row - 1) / per_row;
  for (size_t i = 0; i < rows; ++i) {
    std::vector<std::string> row(2 * per_row);
    for (size_t k = 0; k < per_row; ++k) {
      size_t at = k * rows + i;
      if (at >= figures.size()) continue;
      row[2 * k] = figures[at].first;
      row[2 * k + 1] = figures[at].second;
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Two decimals, for correlations ("0.90", "-0.41"); a dash when undefined.
std::string Fixed2(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return kDash;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *v);
  return std::string(buf) == "-0.00" ? "0.00" : buf;
}

// The whole numbers in bin [lo, hi) (the last bin: [lo, hi]) as a label: "3", "3-5", or "" for
// none (an integer column's values sit in a few of the bins).
std::string IntegersIn(double lo, double hi, bool last) {
  const double first = std::ceil(lo);
  const double end = last ? std::floor(hi) : std::ceil(hi) - 1;
  if (end < first) return "";
  if (end == first) return FormatNumber(first, 0);
  return FormatNumber(first, 0) + "\xE2\x80\x93" + FormatNumber(end, 0);
}

// Bin labels of a histogram: the bin centres (numbers), the whole numbers in the bin (an integer
// column), or the bin starts (timestamps, micros).
std::vector<std::pair<std::string, double>> HistogramBars(const Histogram& h, bool timestamps,
                                                          bool integers = false) {
  std::vector<std::pair<std::string, double>> bars;
  double span = h.edges.size() >= 2 ? h.edges.back() - h.edges.front() : 0.0;
  // Enough digits to tell neighbouring bins apart (3 for most data; more far from zero).
  int digits = 3;
  if (span > 0 && std::isfinite(span) && !h.counts.empty()) {
    const double magnitude = std::max(std::fabs(h.edges.front()), std::fabs(h.edges.back()));
    const double width = span / static_cast<double>(h.counts.size());
    digits = std::clamp(1 + static_cast<int>(std::ceil(std::log10(magnitude / width))), 3, 16);
  }
  for (size_t i = 0; i < h.counts.size() && i + 1 < h.edges.size(); ++i) {
    std::string label;
    if (timestamps) {
      std::string t = FormatTimestamp(static_cast<int64_t>(h.edges[i]));
      // Dates only when the range covers more than a few days.
      label = span > 3.0 * 86400e6 ? t.substr(0, 10) : t.substr(0, std::min<size_t>(16, t.size()));
    } else if (integers) {
      label = IntegersIn(h.edges[i], h.edges[i + 1], i + 2 == h.edges.size());
    } else {
      label = FormatNumber((h.edges[i] + h.edges[i + 1]) / 2, digits);
    }
    bars.emplace_back(std::move(label), static_cast<double>(h.counts[i]));
  }
  return bars;
}

std::string HistogramSvg(const Histogram& h, const std::string& title, const std::string& x_label,
                         bool timestamps, bool integers) {
  BarChart ch;
  ch.title = title;
  ch.vertical = true;
  ch.value_label = "rows";
  ch.category_label = x_label;
  ch.bars = HistogramBars(h, timestamps, integers);
  ch.width = kChartWidth;
  ch.height = 300;
  return RenderSvg(ch);
}

std::string TopValuesSvg(const ColumnProfile& c) {
  BarChart ch;
  ch.title = "Most frequent values";
  ch.value_label = "rows";
  ch.sort = false;
  ch.width = kChartWidth;
  int64_t shown = 0;
  for (const auto& v : c.top_values) {
    ch.bars.emplace_back(ValueLabel(v.value), static_cast<double>(v.count));
    shown += v.count;
  }
  int64_t others = c.distinct - static_cast<int64_t>(c.top_values.size());
  if (others > 0 && c.count > shown) {
    ch.bars.emplace_back("(" + Int(others) + " other values)",
                         static_cast<double>(c.count - shown));
  }
  return RenderSvg(ch);
}

// ---- Sections -------------------------------------------------------------------------------

void Overview(const Profile& p, HtmlPage& page) {
  page.BeginSection("Overview", "overview");
  const int64_t missing = MissingCells(p);
  const int64_t cells = p.rows * p.columns;
  std::set<std::string> kinds;
  for (const auto& a : p.alerts) kinds.insert(a.kind);
  page.AddCards({
      {"Rows", Int(p.rows), ""},
      {"Columns", Int(p.columns), ""},
      {"Duplicate rows", Int(p.duplicate_rows), Share(p.duplicate_rows, p.rows) + " of rows"},
      {"Missing cells", Int(missing), Share(missing, cells) + " of cells"},
      {"Memory", HumanBytes(p.memory_bytes), "in memory, as loaded"},
      {"Alerts", Int(static_cast<int64_t>(p.alerts.size())),
       kinds.empty() ? "none"
                     : std::to_string(kinds.size()) + (kinds.size() == 1 ? " kind" : " kinds")},
  });

  // Columns per semantic type, with the storage types they have.
  std::map<std::string, std::vector<std::string>> by_semantic;
  std::map<std::string, std::set<std::string>> storage;
  for (const auto& c : p.column_profiles) {
    by_semantic[SemanticLabel(c.semantic)].push_back(c.name);
    storage[SemanticLabel(c.semantic)].insert(std::string(DataTypeName(c.type)));
  }
  auto names = [](const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size() && i < 6; ++i) out += (i ? ", " : "") + v[i];
    if (v.size() > 6) out += ", \xE2\x80\xA6";
    return out;
  };
  Table types;
  types.header = {"type", "columns", "stored as", "names"};
  types.numeric_columns = {1};
  for (const auto& [t, v] : by_semantic) {
    std::string stored;
    for (const auto& s : storage[t]) stored += (stored.empty() ? "" : ", ") + s;
    types.rows.push_back({t, Int(static_cast<int64_t>(v.size())), stored, names(v)});
  }
  page.AddSubheading("Column types");
  page.AddTable(types);

  if (missing > 0) {
    BarChart ch;
    ch.title = "Missing values by column";
    ch.value_label = "% of rows missing";
    ch.width = kChartWidth;
    ch.max_bars = 30;
    for (const auto& c : p.column_profiles) {
      if (c.missing > 0) ch.bars.emplace_back(c.name, c.missing_percent);
    }
    page.AddChart(RenderSvg(ch), ch.bars.size() > 30
                                     ? "The 30 columns with the most missing values."
                                     : "Columns without missing values are left out.");
  }
}

// One line per column, in table order.
void ColumnsTable(const Profile& p, HtmlPage& page) {
  page.BeginSection("Columns", "columns");
  page.AddNote(
      "One line per column here; each column's figures and chart follow below. As pandas "
      "computes them: std is the sample standard deviation (ddof=1); skewness and kurtosis are "
      "bias-corrected, and kurtosis is excess kurtosis (0 for a normal distribution; "
      "scipy.stats.kurtosis(x, bias=False)); quantiles interpolate linearly; outliers lie over "
      "1.5 IQR beyond the quartiles.");
  Table t;
  t.header = {"column", "type", "missing", "distinct",  "mean",
              "std",    "min",  "max",     "top value", "alerts"};
  t.numeric_columns = {2, 3, 4, 5, 6, 7};
  for (const auto& c : p.column_profiles) {
    std::string top;
    if (!c.top_values.empty() && c.semantic != SemanticType::kIdLike &&
        c.semantic != SemanticType::kNumeric && c.semantic != SemanticType::kDatetime) {
      top = CutUtf8(ValueLabel(c.top_values[0].value), 28);
      top += " (" + Share(c.top_values[0].count, c.count) + ")";
    }
    const int digits = ValueDigits(c);
    std::string min = Num(c.min, digits), max = Num(c.max, digits);
    if (c.first_time) min = c.first_time->substr(0, 10);  // the date; the time is in the section
    if (c.last_time) max = c.last_time->substr(0, 10);
    std::vector<std::string> alert_kinds;
    for (const auto& a : p.alerts) {
      if (AlertNames(a, c.name) &&
          std::find(alert_kinds.begin(), alert_kinds.end(), a.kind) == alert_kinds.end()) {
        alert_kinds.push_back(a.kind);
      }
    }
    std::string alerts;
    for (const auto& k : alert_kinds) alerts += (alerts.empty() ? "" : ", ") + k;
    bool numeric = c.semantic != SemanticType::kDatetime;
    t.rows.push_back(
        {c.name, SemanticLabel(c.semantic) + " (" + std::string(DataTypeName(c.type)) + ")",
         Pct(c.missing_percent), Int(c.distinct), numeric ? Num(c.mean, digits) : kDash,
         numeric ? Num(c.std) : kDash, min, max, top, alerts});
  }
  page.AddTable(t);
}

void AlertsSection(const Profile& p, HtmlPage& page) {
  page.BeginSection("Alerts", "alerts");
  if (p.alerts.empty()) {
    page.AddNote("No alerts: nothing crossed the thresholds.");
    return;
  }
  std::map<std::string, int64_t> by_kind;
  for (const auto& a : p.alerts) ++by_kind[a.kind];
  std::vector<Card> cards;
  for (const auto& [kind, n] : by_kind) cards.push_back({kind, Int(n), ""});
  page.AddCards(cards);
  Table t;
  t.header = {"kind", "column", "message", "evidence"};
  for (const auto& a : p.alerts) {
    t.rows.push_back(
        {a.kind, a.column.empty() ? "(dataset)" : a.column, a.message, EvidenceText(a.evidence)});
  }
  page.AddTable(t);
}

void TargetSection(const Profile& p, HtmlPage& page) {
  const TargetProfile& tp = *p.target;
  page.BeginSection("Target: " + tp.column, "target");
  std::string task = tp.task.empty() ? "unknown task" : tp.task;
  page.AddParagraph("Target column '" + tp.column + "', task " + task + ".");
  std::vector<std::string> charts;
  if (!tp.class_counts.empty()) {
    int64_t total = 0;
    for (const auto& c : tp.class_counts) total += c.count;
    const ValueCount& major = tp.class_counts.front();
    const ValueCount& minor = tp.class_counts.back();
    std::vector<Card> cards = {
        {"Classes", Int(static_cast<int64_t>(tp.class_counts.size())), ""},
        {"Majority class", ValueLabel(major.value), Share(major.count, total) + " of rows"}};
    if (tp.class_counts.size() >= 2) {
      cards.push_back(
          {"Minority class", ValueLabel(minor.value), Share(minor.count, total) + " of rows"});
      if (major.count > 0) {
        cards.push_back(
            {"Minority / majority",
             FormatNumber(static_cast<double>(minor.count) / static_cast<double>(major.count), 3),
             ""});
      }
    }
    page.AddCards(cards);
    BarChart ch;
    ch.title = tp.class_counts.size() > 30 ? "Class balance (30 largest)" : "Class balance";
    ch.value_label = "rows";
    ch.sort = false;
    ch.max_bars = 30;
    ch.width = 560;
    for (const auto& c : tp.class_counts) {
      ch.bars.emplace_back(ValueLabel(c.value), static_cast<double>(c.count));
    }
    charts.push_back(RenderSvg(ch));
  } else if (tp.distribution) {
    BarChart ch;
    ch.title = "Target distribution";
    ch.vertical = true;
    ch.value_label = "rows";
    ch.category_label = tp.column;
    ch.bars = HistogramBars(*tp.distribution, false);
    ch.width = 560;
    ch.height = 360;
    charts.push_back(RenderSvg(ch));
  }
  if (!tp.ranking.empty()) {
    BarChart ch;
    ch.title = tp.ranking.size() > 30 ? "Features by association (30 strongest)"
                                      : "Features by association";
    ch.value_label = AssociationLabel(tp.association_kind);
    ch.bars = tp.ranking;
    ch.sort = false;
    ch.max_bars = 30;
    // max(AUC, 1 - AUC) is at least 0.5, which is no association: bars start there.
    if (tp.association_kind == "roc_auc") ch.baseline = 0.5;
    ch.width = 560;
    charts.push_back(RenderSvg(ch));
  }
  if (charts.size() == 2) {
    page.AddCharts(charts);
  } else if (charts.size() == 1) {
    page.AddChart(charts[0]);
  }
  if (tp.ranking.empty()) {
    page.AddNote("No feature could be compared with the target.");
  } else if (tp.association_kind == "roc_auc") {
    page.AddNote(
        "Association: the ROC AUC of each feature used alone as a score, max(AUC, 1 - "
        "AUC); 0.5 is none, 1 separates the classes by itself (check for leakage).");
  }
  if (tp.class_counts.size() > 2) {
    int64_t total = 0;
    for (const auto& c : tp.class_counts) total += c.count;
    Table t;
    t.header = {"class", "rows", "share"};
    t.numeric_columns = {1, 2};
    for (const auto& c : tp.class_counts) {
      t.rows.push_back({ValueLabel(c.value), Int(c.count), Share(c.count, total)});
    }
    page.AddTable(t);
  }
}

// The columns a heat map of `names` shows: the first `max_columns`, the last of them given up
// for `keep` (the target) when it would be left out.
std::vector<size_t> Shown(const std::vector<std::string>& names, size_t max_columns,
                          const std::string& keep) {
  std::vector<size_t> out;
  for (size_t i = 0; i < names.size() && i < max_columns; ++i) out.push_back(i);
  const auto at = std::find(names.begin(), names.end(), keep);
  const size_t k = static_cast<size_t>(at - names.begin());
  if (!keep.empty() && at != names.end() && k >= out.size() && !out.empty()) out.back() = k;
  return out;
}

Heatmap CorrelationMap(const std::string& title, const std::vector<std::string>& names,
                       const std::vector<std::vector<double>>& values,
                       const std::vector<size_t>& shown, bool diverging, bool side_by_side) {
  Heatmap h;
  h.title = title;
  h.row_axis = "";
  h.col_axis = "";
  for (size_t i : shown) {
    if (i >= names.size() || i >= values.size()) continue;
    h.row_labels.push_back(names[i]);
    std::vector<double> row;
    for (size_t j : shown) row.push_back(j < values[i].size() ? values[i][j] : std::nan(""));
    h.values.push_back(std::move(row));
  }
  h.col_labels = h.row_labels;
  h.row_percent = false;
  h.diverging = diverging;
  h.scale_max = 1.0;
  h.decimals = 2;
  h.rotate_col_labels = true;
  // Cells of at least ~24 units; the SVG scales down to the page.
  const size_t k = h.row_labels.size();
  h.width = side_by_side ? 560 : std::max(kChartWidth, static_cast<int>(220 + 24 * k));
  return h;
}

void CorrelationsSection(const Profile& p, const ProfileReportOptions& o, HtmlPage& page) {
  const Correlations& c = p.correlations;
  bool numeric = c.numeric.size() >= 2 && !c.pearson.empty();
  bool categorical = c.categorical.size() >= 2 && !c.cramers_v.empty();
  if (!numeric && !categorical) return;
  page.BeginSection("Correlations", "correlations");
  const std::string target = p.target ? p.target->column : "";
  if (numeric) {
    const std::vector<size_t> shown = Shown(c.numeric, o.max_heatmap_columns, target);
    const size_t k = shown.size();
    bool side = k <= kSideBySideColumns && !c.spearman.empty();
    std::vector<std::string> maps;
    maps.push_back(
        RenderSvg(CorrelationMap("Pearson correlation", c.numeric, c.pearson, shown, true, side)));
    if (!c.spearman.empty()) {
      maps.push_back(RenderSvg(
          CorrelationMap("Spearman rank correlation", c.numeric, c.spearman, shown, true, side)));
    }
    if (side) {
      page.AddCharts(maps);
    } else {
      for (const auto& m : maps) page.AddChart(m);
    }
    if (k < c.numeric.size()) {
      const bool with_target = !shown.empty() && shown.back() + 1 > k;
      page.AddNote("The heat maps show the first " + std::to_string(with_target ? k - 1 : k) +
                   " of " + std::to_string(c.numeric.size()) + " numeric columns" +
                   (with_target ? " and the target, " + target : std::string()) +
                   "; the table below covers all of them.");
    }
    page.AddNote(
        "Blue: negative, white: none, red: positive. Over the rows where both columns "
        "are present.");
    // The strongest pairs by |Pearson|.
    struct Pair {
      size_t i, j;
      double r;
    };
    std::vector<Pair> pairs;
    for (size_t i = 0; i < c.numeric.size() && i < c.pearson.size(); ++i) {
      for (size_t j = i + 1; j < c.pearson[i].size() && j < c.numeric.size(); ++j) {
        if (std::isfinite(c.pearson[i][j])) pairs.push_back({i, j, c.pearson[i][j]});
      }
    }
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const Pair& a, const Pair& b) { return std::fabs(a.r) > std::fabs(b.r); });
    if (pairs.size() > 10) pairs.resize(10);
    if (!pairs.empty()) {
      page.AddSubheading("Strongest pairs");
      Table t;
      t.header = {"column", "column", "Pearson", "Spearman"};
      t.numeric_columns = {2, 3};
      for (const Pair& q : pairs) {
        std::optional<double> rho;
        if (q.i < c.spearman.size() && q.j < c.spearman[q.i].size()) rho = c.spearman[q.i][q.j];
        t.rows.push_back({c.numeric[q.i], c.numeric[q.j], Fixed2(q.r), Fixed2(rho)});
      }
      page.AddTable(t);
    }
  }
  if (categorical) {
    const std::vector<size_t> shown = Shown(c.categorical, o.max_heatmap_columns, target);
    const size_t k = shown.size();
    page.AddSubheading("Categorical columns");
    // The heat map beside the strongest pairs.
    BarChart pairs;
    pairs.title = "Strongest associations";
    pairs.value_label = "Cram\xC3\xA9r's V";
    pairs.max_bars = 15;
    pairs.width = 560;
    for (size_t i = 0; i < c.categorical.size() && i < c.cramers_v.size(); ++i) {
      for (size_t j = i + 1; j < c.categorical.size() && j < c.cramers_v[i].size(); ++j) {
        if (std::isfinite(c.cramers_v[i][j])) {
          pairs.bars.emplace_back(c.categorical[i] + " \xC3\x97 " + c.categorical[j],
                                  c.cramers_v[i][j]);
        }
      }
    }
    std::vector<std::string> charts = {RenderSvg(CorrelationMap(
        "Cram\xC3\xA9r's V", c.categorical, c.cramers_v, shown, false, k <= kSideBySideColumns))};
    if (!pairs.bars.empty()) charts.push_back(RenderSvg(pairs));
    if (charts.size() == 2 && k <= kSideBySideColumns) {
      page.AddCharts(charts);
    } else {
      for (const auto& ch : charts) page.AddChart(ch);
    }
    page.AddNote(
        "Cram\xC3\xA9r's V: 0 independent, 1 one column determines the other (no bias "
        "correction). Columns with more than the configured number of categories are "
        "left out.");
  }
}

void ColumnSection(const Profile& p, const ColumnProfile& c, size_t index, HtmlPage& page) {
  // A section without a heading: the table of contents lists the main sections only.
  page.BeginSection("", "column-" + std::to_string(index + 1));
  page.AddSubheading(c.name);
  page.AddParagraph(SemanticLabel(c.semantic) + " column, stored as " +
                    std::string(DataTypeName(c.type)) + ".");
  for (const auto& a : p.alerts) {
    if (AlertNames(a, c.name)) page.AddParagraph("\xE2\x9A\xA0 " + a.kind + ": " + a.message);
  }
  std::vector<std::pair<std::string, std::string>> f;
  f.emplace_back("present", Int(c.count));
  f.emplace_back("missing", Int(c.missing) + " (" + Pct(c.missing_percent) + ")");
  f.emplace_back("distinct",
                 c.count > 0 ? Int(c.distinct) + " (" + Share(c.distinct, c.count) + ")" : "0");
  auto q = [&](const char* key) -> std::optional<double> {
    auto it = c.quantiles.find(key);
    if (it == c.quantiles.end()) return std::nullopt;
    return it->second;
  };
  const bool datetime = c.semantic == SemanticType::kDatetime || c.type == DataType::kTimestamp;
  if (datetime) {
    f.emplace_back("first", c.first_time ? *c.first_time : kDash);
    f.emplace_back("last", c.last_time ? *c.last_time : kDash);
    if (c.min && c.max && std::isfinite(*c.min) && std::isfinite(*c.max)) {
      f.emplace_back("span", FormatNumber((*c.max - *c.min) / 86400e6, 4) + " days");
    }
  } else if (c.semantic != SemanticType::kEmpty && (c.mean || c.min || !c.quantiles.empty())) {
    f.emplace_back("mean", Num(c.mean, ValueDigits(c)));
    f.emplace_back("std", Num(c.std));
    f.emplace_back("min", Num(c.min, ValueDigits(c)));
    for (const char* key : {"p5", "p25", "p50", "p75", "p95"}) {
      if (auto v = q(key)) {
        f.emplace_back(std::string(key) == "p50" ? "median" : key, Num(v, ValueDigits(c)));
      }
    }
    f.emplace_back("max", Num(c.max, ValueDigits(c)));
    f.emplace_back("sum", Num(c.sum));
    f.emplace_back("skewness", Num(c.skewness, 3));
    f.emplace_back("kurtosis", Num(c.kurtosis, 3));
    f.emplace_back("zeros", Int(c.zeros));
    f.emplace_back("negatives", Int(c.negatives));
    f.emplace_back("outliers (IQR)", Int(c.outliers));
    if (c.infinite > 0) f.emplace_back("infinite", Int(c.infinite));
  }
  if (c.length_min || c.length_mean || c.length_max) {
    f.emplace_back("length min", Num(c.length_min));
    f.emplace_back("length mean", Num(c.length_mean, 3));
    f.emplace_back("length max", Num(c.length_max));
  }
  if (c.target_association) f.emplace_back("target association", Num(c.target_association, 3));
  page.AddTable(FiguresTable(f, f.size() > 8 ? 3 : 2));

  switch (c.semantic) {
    case SemanticType::kEmpty:
      page.AddNote("Every value is missing.");
      return;
    case SemanticType::kConstant:
      page.AddNote(c.top_values.empty()
                       ? "At most one distinct value."
                       : "One distinct value: '" + Printable(c.top_values[0].value, 300) + "'.");
      return;
    case SemanticType::kIdLike:
      page.AddNote("Every present value is distinct: an identifier; no chart.");
      return;
    default:
      break;
  }
  if (c.histogram && !c.histogram->counts.empty() &&
      (c.semantic == SemanticType::kNumeric || datetime)) {
    page.AddChart(HistogramSvg(
        *c.histogram,
        "Histogram (" + std::to_string(c.histogram->counts.size()) + " equal-width bins)", c.name,
        datetime, c.type == DataType::kInt64));
  } else if (c.semantic == SemanticType::kText && !c.top_values.empty()) {
    // Long, mostly distinct values read better as a table than as bars.
    Table t;
    t.header = {"most frequent values", "rows"};
    t.numeric_columns = {1};
    for (size_t i = 0; i < c.top_values.size() && i < 10; ++i) {
      t.rows.push_back(
          {CutUtf8(ValueLabel(c.top_values[i].value), 120), Int(c.top_values[i].count)});
    }
    page.AddTable(t);
  } else if (!c.top_values.empty()) {
    page.AddChart(TopValuesSvg(c));
  }
}

}  // namespace

int ValueDigits(const ColumnProfile& c) {
  constexpr int kDigits = 4;
  if (!c.min || !c.max || !std::isfinite(*c.min) || !std::isfinite(*c.max) || *c.max <= *c.min) {
    return kDigits;
  }
  const double magnitude = std::max(std::fabs(*c.min), std::fabs(*c.max));
  const double spread = *c.max - *c.min;
  if (!std::isfinite(spread) || magnitude <= spread) return kDigits;
  // The first digit where min and max differ, and two more; 16 at most (a 17th shows only the
  // double's rounding).
  return std::clamp(3 + static_cast<int>(std::ceil(std::log10(magnitude / spread))), kDigits, 16);
}

std::string RenderProfileReport(const Profile& p, const ProfileReportOptions& o) {
  std::string title = o.title;
  if (!o.dataset.empty()) {
    title += ": " + o.dataset + (o.version > 0 ? "@" + std::to_string(o.version) : "");
  }
  HtmlPage page(title);
  if (!o.dataset.empty()) {
    page.AddFact("dataset", o.dataset);
    if (o.version > 0) page.AddFact("version", std::to_string(o.version));
  }
  if (!o.source.empty()) page.AddFact("source", o.source);
  page.AddFact("rows", Int(p.rows));
  page.AddFact("columns", Int(p.columns));
  if (p.target) page.AddFact("target", p.target->column);
  for (const auto& [k, v] : o.facts) page.AddFact(k, v);
  if (p.seconds > 0) page.AddFact("computed in", FormatNumber(p.seconds, 3) + " s");

  Overview(p, page);
  AlertsSection(p, page);
  if (p.target) TargetSection(p, page);
  CorrelationsSection(p, o, page);
  ColumnsTable(p, page);
  size_t shown = std::min(p.column_profiles.size(), o.max_column_sections);
  for (size_t i = 0; i < shown; ++i) ColumnSection(p, p.column_profiles[i], i, page);
  if (shown < p.column_profiles.size()) {
    page.BeginSection("More columns", "more-columns");
    page.AddNote(std::to_string(p.column_profiles.size() - shown) +
                 " more columns are listed in the overview only.");
  }
  std::string html = page.Render();
  // Inline SVG in HTML needs no namespace declaration; leaving it out keeps the page free of
  // any URL at all.
  const std::string ns = " xmlns=\"http://www.w3.org/2000/svg\"";
  for (size_t pos = html.find(ns); pos != std::string::npos; pos = html.find(ns, pos)) {
    html.erase(pos, ns.size());
  }
  return html;
}

}  // namespace mloop
