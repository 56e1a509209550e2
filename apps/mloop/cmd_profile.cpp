// mloop profile | data diff
//
// `profile` computes the profile of a dataset version (a data file is imported first, as
// `mloop train FILE` does, so that the profile is stored with a version), stores it with the
// version, prints a summary or the profile JSON, and writes the HTML report.
// `data diff` compares two dataset versions column by column; columns are ranked by the
// population stability index (PSI) of the second against the first (docs/cli.md#mloop-data-diff).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/data/datasets.h"
#include "mloop/io/atomic_file.h"
#include "mloop/profile/profile.h"
#include "mloop/profile/profile_report.h"
#include "mloop/profile/profile_store.h"
#include "mloop/report/svg.h"

namespace mloop::cli {

namespace {

using report::FormatNumber;

const char* const kDash = "-";

std::string Num(std::optional<double> v, int digits = 4) {
  if (!v || std::isnan(*v)) return kDash;
  return FormatNumber(*v, digits);
}

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

// A name or value for one line of a terminal table.
std::string Cell(const std::string& text, size_t max = 24) {
  // The middle goes: columns named alike (feature_number_01, feature_number_02) stay apart.
  return CutMiddleUtf8(Printable(text, 1024), max);
}

std::string Ref(const DatasetVersion& v) {
  return v.name + "@" + std::to_string(v.version);
}

// --- profile ----------------------------------------------------------------------------------

constexpr size_t kMaxAlertLines = 15;  // in the summary; --json and --html have every alert

struct ProfileArgs {
  std::string dataset, target, html;
  bool json = false;
  int bins = 20, top = 20;
};

// The dataset version DATASET names, with its table. A data file is imported first (as a dataset
// named after the file, default import options), as `mloop train FILE` does.
DatasetVersion ResolveInput(Workspace& ws, const std::string& arg, Table* table) {
  if (IsDataFileArg(ws, arg)) {
    ImportResult r = ImportDataFile(ws, arg, /*announce=*/true);
    *table = std::move(r.table);
    return r.version;
  }
  DatasetVersion v = ResolveDataset(ws, DatasetRefArg(arg));
  *table = LoadDataset(ws, v);
  return v;
}

void PrintSummary(const Profile& p, const DatasetVersion& v, const StoredProfile& stored) {
  int64_t missing = 0;
  for (const auto& c : p.column_profiles) missing += c.missing;
  std::cout << "Profile of " << Ref(v) << ": " << HumanCount(p.rows) << " rows x " << p.columns
            << " columns (" << HumanSeconds(p.seconds) << ")\n"
            << "  duplicate rows: " << HumanCount(p.duplicate_rows) << " ("
            << Share(p.duplicate_rows, p.rows) << ")   missing cells: " << HumanCount(missing)
            << " (" << Share(missing, p.rows * p.columns)
            << ")   memory: " << HumanBytes(p.memory_bytes) << "\n";
  if (p.target) {
    const TargetProfile& t = *p.target;
    std::cout << "  target: " << t.column << " (" << t.task << ")";
    if (!t.class_counts.empty()) {
      int64_t total = 0;
      for (const auto& c : t.class_counts) total += c.count;
      std::cout << ":";
      for (size_t i = 0; i < t.class_counts.size() && i < 5; ++i) {
        std::cout << (i ? ", " : " ") << Cell(t.class_counts[i].value, 20) << " "
                  << Share(t.class_counts[i].count, total);
      }
      if (t.class_counts.size() > 5) std::cout << ", ...";
    }
    std::cout << "\n";
  }
  std::cout << "  stored: profile sha256:" << stored.record.profile_hash.substr(0, 12) << " with "
            << Ref(v) << "\n";

  if (p.alerts.empty()) {
    std::cout << "\nNo alerts.\n";
  } else {
    std::cout << "\nAlerts (" << p.alerts.size() << "):\n";
    std::vector<std::vector<std::string>> rows;
    std::map<std::string, int64_t> rest;  // kind -> alerts not listed
    for (const auto& a : p.alerts) {
      if (rows.size() == kMaxAlertLines) {
        ++rest[a.kind];
        continue;
      }
      rows.push_back(
          {a.kind, a.column.empty() ? "(dataset)" : Cell(a.column, 32), Printable(a.message, 200)});
    }
    PrintTable({"KIND", "COLUMN", "MESSAGE"}, rows, "  ");
    if (!rest.empty()) {
      int64_t n = 0;
      std::string kinds;
      for (const auto& [kind, k] : rest) {
        n += k;
        kinds += (kinds.empty() ? "" : ", ") + std::to_string(k) + " " + kind;
      }
      std::cout << "  ... and " << n << " more (" << kinds << "): see --json or --html\n";
    }
  }

  std::cout << "\nColumns:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : p.column_profiles) {
    std::string top;
    if (!c.top_values.empty() && c.semantic != SemanticType::kIdLike &&
        c.semantic != SemanticType::kNumeric && c.semantic != SemanticType::kDatetime) {
      top = Cell(c.top_values[0].value.empty() ? "(empty)" : c.top_values[0].value, 20) + " " +
            Share(c.top_values[0].count, c.count);
    }
    const int digits = ValueDigits(c);  // 1e9 + 0.001 .. 0.002 does not read as 1e+09 throughout
    std::string min = Num(c.min, digits), max = Num(c.max, digits);
    if (c.first_time) min = c.first_time->substr(0, 10);
    if (c.last_time) max = c.last_time->substr(0, 10);
    const bool dt = c.semantic == SemanticType::kDatetime;
    rows.push_back({Cell(c.name), std::string(SemanticTypeName(c.semantic)), Pct(c.missing_percent),
                    HumanCount(c.distinct), dt ? kDash : Num(c.mean, digits),
                    dt ? kDash : Num(c.std), min, max, top});
  }
  PrintTable({"COLUMN", "TYPE", "MISSING", "DISTINCT", "MEAN", "STD", "MIN", "MAX", "TOP VALUE"},
             rows, "  ");

  if (p.target && !p.target->ranking.empty()) {
    std::cout << "\nStrongest features (" << p.target->association_kind << "):";
    const auto& r = p.target->ranking;
    for (size_t i = 0; i < r.size() && i < 5; ++i) {
      std::cout << (i ? ", " : " ") << Cell(r[i].first, 24) << " " << FormatNumber(r[i].second, 3);
    }
    std::cout << "\n";
  }
}

void RunProfile(const GlobalOptions& global, const ProfileArgs& a) {
  if (!a.html.empty()) {
    CheckOutputPath(a.html, "--html");
    RefuseOverwritingInput(a.html, a.dataset, "--html");  // DATASET may be a file (or -)
  }
  auto ws = OpenWorkspace(global);
  Table table;
  DatasetVersion v = ResolveInput(*ws, a.dataset, &table);
  ProfileOptions options;
  // Without --target, the target declared at import (if any).
  options.target = a.target.empty() ? table.schema().DeclaredTarget() : a.target;
  options.bins = a.bins;
  options.top_k = a.top;
  options.threads = ws->config().threads;
  if (!a.target.empty() && table.schema().IndexOf(a.target) < 0) {
    const auto names = table.schema().names();
    throw NotFound(
        "no column '" + a.target + "' in " + Ref(v) + " for --target" + DidYouMean(a.target, names),
        "columns: " + Join(names, ", "));
  }
  StoredProfile stored = ProfileDataset(*ws, v, table, options);
  const Profile& p = stored.profile;
  if (!a.html.empty()) {
    ProfileReportOptions ro;
    ro.dataset = v.name;
    ro.version = v.version;
    ro.source = v.source_uri;
    std::string html = RenderProfileReport(p, ro);
    WriteFileAtomically(a.html, [&](std::ostream& out) { out << html; });
  }
  if (a.json) {
    PrintJson(ProfileToJson(p));
    return;
  }
  PrintSummary(p, v, stored);
  if (!a.html.empty()) std::cout << "\nReport: " << a.html << "\n";
}

// --- data diff --------------------------------------------------------------------------------

constexpr double kPsiFloor = 1e-4;  // a bucket's share is at least this (no log of zero)
constexpr double kPsiModerate = 0.1;
constexpr double kPsiMajor = 0.25;
const char* const kQuantiles[] = {"p5", "p25", "p50", "p75", "p95"};

struct Side {
  DatasetVersion version;
  Table table;
  Profile profile;
  bool computed = false;  // the profile was computed now (none was stored)
};

Side LoadSide(Workspace& ws, const std::string& arg) {
  Side s;
  s.version = StoredDatasetArg(ws, arg);
  s.table = LoadDataset(ws, s.version);
  // A stored profile is the baseline only when made with the default bins and top values: PSI
  // over 1 bin or 1 top value would call any change "stable".
  const ProfileOptions defaults;
  auto stored = LoadStoredProfile(ws, s.version.name, s.version.version, "");
  if (stored && stored->profile.bins == defaults.bins && stored->profile.top_k == defaults.top_k) {
    s.profile = std::move(stored->profile);
  } else {
    ProfileOptions options;
    options.threads = ws.config().threads;
    s.profile = ProfileDataset(ws, s.version, s.table, options).profile;
    s.computed = true;
  }
  return s;
}

bool IsNumberType(DataType t) {
  return t == DataType::kFloat64 || t == DataType::kInt64 || t == DataType::kTimestamp;
}

double NumberAt(const Column& c, int64_t i) {
  switch (c.type()) {
    case DataType::kFloat64:
      return c.f64()[i];
    case DataType::kInt64:
    case DataType::kTimestamp:
      return static_cast<double>(c.i64()[i]);
    default:
      return std::nan("");
  }
}

// Buckets of the baseline (A) a column's values fall in. Numbers and timestamps: between A's
// quantiles (its 5%, 10%, ..., 95% points, equal ones merged), so that each bucket holds about
// a twentieth of A wherever its mass is (equal-width bins over a heavy-tailed range put almost
// every row in the first bin, and hid a tripled median). Other values: A's most frequent, then
// one bucket for A's other values and one for values A never held (a column whose values were
// all replaced by new ones, beyond A's top values, once scored as stable). Always a last
// bucket for missing values.
struct Buckets {
  bool numeric = false;
  // A constant baseline (one value): below it, at it, above it.
  std::optional<double> constant;
  std::vector<double> cuts;  // a value v is in bucket upper_bound(cuts, v)
  std::unordered_map<std::string, size_t> values;
  std::unordered_set<std::string> in_a;  // every value of A (non-numeric buckets)
  size_t Count() const {
    return (constant ? 3 : numeric ? cuts.size() + 1 : values.size() + 2) + 1;
  }
};

constexpr int kPsiQuantileBuckets = 20;

Buckets MakeBuckets(const ColumnProfile& a, const Column& col_a, DataType b_type) {
  Buckets b;
  if (IsNumberType(col_a.type()) && IsNumberType(b_type)) {
    std::vector<double> v;
    v.reserve(static_cast<size_t>(col_a.size()));
    for (int64_t i = 0; i < col_a.size(); ++i) {
      const double x = col_a.IsValid(i) ? NumberAt(col_a, i) : std::nan("");
      if (!std::isnan(x)) v.push_back(x);
    }
    if (!v.empty()) {
      b.numeric = true;
      std::sort(v.begin(), v.end());
      if (v.front() == v.back()) {
        b.constant = v.front();
        return b;
      }
      for (int k = 1; k < kPsiQuantileBuckets; ++k) {
        const double cut = v[v.size() * static_cast<size_t>(k) / kPsiQuantileBuckets];
        if (b.cuts.empty() || cut > b.cuts.back()) b.cuts.push_back(cut);
      }
      return b;
    }
  }
  for (const auto& v : a.top_values) b.values.emplace(v.value, b.values.size());
  if (col_a.type() == DataType::kString) {
    for (const auto& s : col_a.dictionary()) b.in_a.insert(std::string(s));
  } else {
    for (int64_t i = 0; i < col_a.size(); ++i) {
      if (col_a.IsValid(i)) b.in_a.insert(CellToString(col_a, i));
    }
  }
  return b;
}

// The share of `column`'s rows in each bucket.
std::vector<double> Shares(const Column& column, const Buckets& b) {
  std::vector<double> counts(b.Count(), 0.0);
  const size_t missing = counts.size() - 1;
  const int64_t n = column.size();
  if (b.numeric) {
    for (int64_t i = 0; i < n; ++i) {
      double v = column.IsValid(i) ? NumberAt(column, i) : std::nan("");
      if (std::isnan(v)) {
        counts[missing] += 1;
        continue;
      }
      if (b.constant) {
        counts[v < *b.constant ? 0 : v == *b.constant ? 1 : 2] += 1;
        continue;
      }
      counts[static_cast<size_t>(std::upper_bound(b.cuts.begin(), b.cuts.end(), v) -
                                 b.cuts.begin())] += 1;
    }
  } else {
    const size_t other = counts.size() - 3, unseen = counts.size() - 2;
    auto bucket = [&](const std::string& s) {
      auto it = b.values.find(s);
      return it != b.values.end() ? it->second : b.in_a.count(s) ? other : unseen;
    };
    std::vector<size_t> by_code;  // string columns: the bucket of each dictionary entry
    if (column.type() == DataType::kString) {
      for (const auto& s : column.dictionary()) by_code.push_back(bucket(std::string(s)));
    }
    for (int64_t i = 0; i < n; ++i) {
      if (!column.IsValid(i)) {
        counts[missing] += 1;
      } else if (column.type() == DataType::kString) {
        counts[by_code[static_cast<size_t>(column.codes()[i])]] += 1;
      } else {
        counts[bucket(CellToString(column, i))] += 1;
      }
    }
  }
  for (double& c : counts) c = n > 0 ? c / static_cast<double>(n) : 0.0;
  return counts;
}

double Psi(const std::vector<double>& a, const std::vector<double>& b) {
  double psi = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    double p = std::max(a[i], kPsiFloor), q = std::max(b[i], kPsiFloor);
    psi += (q - p) * std::log(q / p);
  }
  return psi;
}

std::string PsiText(double psi) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", psi);
  return buf;
}

std::string Level(double psi) {
  return psi >= kPsiMajor ? "major" : psi >= kPsiModerate ? "moderate" : "stable";
}

struct ColumnDiff {
  std::string name;
  const ColumnProfile* a = nullptr;  // null: added
  const ColumnProfile* b = nullptr;  // null: removed
  std::optional<double> psi;
  std::optional<double> smd;   // standardised mean difference (B - A) / pooled std
  std::string status;          // added, removed, type_changed, compared, id
  std::string role_a, role_b;  // the column's role in each version ("" where it is absent)
  // Values other than numbers: B's share of values A never held, and the most frequent of
  // them among B's top values (a new category is often the whole change).
  double new_share = 0;
  std::vector<ValueCount> new_values;
  // Order: changed types and removed columns first (in A's order), added ones after them, then
  // the others by PSI, largest first; id columns last.
  double Rank() const {
    if (status == "id") return -1;
    if (status != "compared") return std::numeric_limits<double>::infinity();
    return psi.value_or(0.0);
  }
};

std::string RoleOf(const Side& s, const std::string& column) {
  const Schema& schema = s.table.schema();
  return std::string(RoleName(schema.field(schema.IndexOf(column)).role));
}

std::vector<ColumnDiff> DiffColumns(const Side& a, const Side& b) {
  std::vector<ColumnDiff> out;
  for (const auto& ca : a.profile.column_profiles) {
    ColumnDiff d;
    d.name = ca.name;
    d.a = &ca;
    d.b = b.profile.Find(ca.name);
    d.role_a = RoleOf(a, ca.name);
    if (!d.b) {
      d.status = "removed";
      out.push_back(d);
      continue;
    }
    d.status = ca.type == d.b->type ? "compared" : "type_changed";
    d.role_b = RoleOf(b, ca.name);
    // An id column (role id in either version) names rows: new rows bring new ids, which is no
    // drift. Not scored, so it never tops the ranking as a "major" change.
    if (d.status == "compared" && (d.role_a == "id" || d.role_b == "id")) {
      d.status = "id";
      out.push_back(d);
      continue;
    }
    const Column& col_a = a.table.column(ca.name);
    const Column& col_b = b.table.column(ca.name);
    // Every column in both versions gets a score, a changed type too: a column that held no
    // value (float64 by inference) and now holds integers changed completely.
    Buckets buckets = MakeBuckets(ca, col_a, col_b.type());
    const std::vector<double> shares_b = Shares(col_b, buckets);
    d.psi = Psi(Shares(col_a, buckets), shares_b);
    if (!buckets.numeric) {
      d.new_share = shares_b[shares_b.size() - 2];  // the bucket of values A never held
      for (const ValueCount& v : d.b->top_values) {
        if (d.new_values.size() < 3 && !buckets.in_a.count(v.value)) d.new_values.push_back(v);
      }
    }
    if (ca.mean && d.b->mean && ca.std && d.b->std && std::isfinite(*ca.mean) &&
        std::isfinite(*d.b->mean)) {
      double pooled = std::sqrt((*ca.std * *ca.std + *d.b->std * *d.b->std) / 2);
      if (pooled > 0 && std::isfinite(pooled)) d.smd = (*d.b->mean - *ca.mean) / pooled;
    }
    out.push_back(d);
  }
  for (const auto& cb : b.profile.column_profiles) {
    if (a.profile.Find(cb.name)) continue;
    ColumnDiff d;
    d.name = cb.name;
    d.b = &cb;
    d.status = "added";
    d.role_b = RoleOf(b, cb.name);
    out.push_back(d);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ColumnDiff& x, const ColumnDiff& y) { return x.Rank() > y.Rank(); });
  return out;
}

nlohmann::json Optional(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

nlohmann::json SideJson(const ColumnProfile* c) {
  if (!c) return nullptr;
  nlohmann::json q = nlohmann::json::object();
  for (const char* k : kQuantiles) {
    auto it = c->quantiles.find(k);
    if (it != c->quantiles.end()) q[k] = Optional(it->second);
  }
  nlohmann::json top = nlohmann::json::array();
  for (size_t i = 0; i < c->top_values.size() && i < 5; ++i) {
    top.push_back({{"value", c->top_values[i].value}, {"count", c->top_values[i].count}});
  }
  return {{"type", DataTypeName(c->type)},
          {"semantic", SemanticTypeName(c->semantic)},
          {"missing_percent", c->missing_percent},
          {"infinite", c->infinite},
          {"mean", Optional(c->mean)},
          {"std", Optional(c->std)},
          {"distinct", c->distinct},
          {"quantiles", q},
          {"top_values", top}};
}

nlohmann::json DatasetJson(const Side& s) {
  return {{"ref", Ref(s.version)},
          {"rows", s.profile.rows},
          {"columns", s.profile.columns},
          {"duplicate_rows", s.profile.duplicate_rows},
          {"alerts", s.profile.alerts.size()}};
}

// "a -> b", or "a" alone when both sides read the same.
std::string Pair(const std::string& a, const std::string& b) {
  return a == b ? a : a + " -> " + b;
}

// The three most frequent values with their shares of all rows (as the PSI counts them), and
// the share of missing values when there are some.
std::string TopValues(const ColumnProfile& c) {
  const int64_t rows = c.count + c.missing;
  std::string out;
  for (size_t i = 0; i < c.top_values.size() && i < 3; ++i) {
    const auto& v = c.top_values[i];
    out += (i ? ", " : "") + Cell(v.value.empty() ? "(empty)" : v.value, 20) + " " +
           Share(v.count, rows);
  }
  if (c.missing > 0)
    out += (out.empty() ? "" : ", ") + std::string("missing ") + Share(c.missing, rows);
  return out.empty() ? kDash : out;
}

void RunDiff(const GlobalOptions& global, const std::string& a_ref, const std::string& b_ref,
             bool json) {
  DatasetRefArg(a_ref);  // a malformed reference is a usage error before anything is opened
  DatasetRefArg(b_ref);
  auto ws = OpenWorkspace(global);
  Side a = LoadSide(*ws, a_ref);
  Side b = LoadSide(*ws, b_ref);
  std::vector<ColumnDiff> diffs = DiffColumns(a, b);

  if (json) {
    nlohmann::json cols = nlohmann::json::array();
    for (const auto& d : diffs) {
      nlohmann::json j = {
          {"name", d.name},         {"status", d.status},
          {"psi", Optional(d.psi)}, {"level", d.psi ? nlohmann::json(Level(*d.psi)) : nullptr},
          {"smd", Optional(d.smd)}, {"a", SideJson(d.a)},
          {"b", SideJson(d.b)}};
      if (!d.role_a.empty()) j["a"]["role"] = d.role_a;
      if (!d.role_b.empty()) j["b"]["role"] = d.role_b;
      if (d.new_share > 0) {
        j["b"]["new_values_percent"] = 100 * d.new_share;
        nlohmann::json top = nlohmann::json::array();
        for (const auto& v : d.new_values) top.push_back({{"value", v.value}, {"count", v.count}});
        j["b"]["new_values"] = top;
      }
      cols.push_back(std::move(j));
    }
    PrintJson({{"a", DatasetJson(a)},
               {"b", DatasetJson(b)},
               {"score", "psi"},
               {"thresholds", {{"moderate", kPsiModerate}, {"major", kPsiMajor}}},
               {"columns", cols}});
    return;
  }

  for (const Side* s : {&a, &b}) {
    if (s->computed) std::cerr << "profiled " << Ref(s->version) << " (stored with it)\n";
  }
  std::cout << "A: " << Ref(a.version) << "  " << HumanCount(a.profile.rows) << " rows x "
            << a.profile.columns << " columns\n"
            << "B: " << Ref(b.version) << "  " << HumanCount(b.profile.rows) << " rows x "
            << b.profile.columns << " columns\n";
  std::vector<std::string> added, removed, moderate, major;
  for (const auto& d : diffs) {
    if (d.status == "added") added.push_back(d.name);
    if (d.status == "removed") removed.push_back(d.name);
    if (d.psi && *d.psi >= kPsiMajor) {
      major.push_back(d.name);
    } else if (d.psi && *d.psi >= kPsiModerate) {
      moderate.push_back(d.name);
    }
  }
  std::cout << "Rows: " << Pair(HumanCount(a.profile.rows), HumanCount(b.profile.rows));
  if (a.profile.rows > 0 && a.profile.rows != b.profile.rows) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%+.1f%%)",
                  100.0 * static_cast<double>(b.profile.rows - a.profile.rows) /
                      static_cast<double>(a.profile.rows));
    std::cout << buf;
  }
  std::cout << "; duplicate rows: "
            << Pair(HumanCount(a.profile.duplicate_rows), HumanCount(b.profile.duplicate_rows))
            << "\n";
  if (!added.empty()) std::cout << "Columns added: " << Join(added, ", ") << "\n";
  if (!removed.empty()) std::cout << "Columns removed: " << Join(removed, ", ") << "\n";
  // Roles are part of a version's content (a target set on one import only makes a new version
  // whose values may all be equal): say so, or the diff would show nothing.
  std::vector<std::string> roles;
  for (const auto& d : diffs) {
    if (!d.role_a.empty() && !d.role_b.empty() && d.role_a != d.role_b) {
      roles.push_back(d.name + " (" + d.role_a + " -> " + d.role_b + ")");
    }
  }
  if (!roles.empty()) std::cout << "Roles changed: " << Join(roles, ", ") << "\n";
  std::cout << "Changed: " << major.size() << " major, " << moderate.size()
            << " moderate (PSI >= " << FormatNumber(kPsiMajor)
            << ", >= " << FormatNumber(kPsiModerate) << ")\n\n";

  std::vector<std::vector<std::string>> rows;
  for (const auto& d : diffs) {
    std::string change = d.status == "compared"       ? Level(d.psi.value_or(0))
                         : d.status == "type_changed" ? "type changed"
                         : d.status == "id"           ? "id, not scored"
                                                      : d.status;
    auto field = [&](auto get) {
      std::string x = d.a ? get(*d.a) : kDash, y = d.b ? get(*d.b) : kDash;
      return Pair(x, y);
    };
    rows.push_back({Cell(d.name), change, d.psi ? PsiText(*d.psi) : kDash,
                    field([](const ColumnProfile& c) { return std::string(DataTypeName(c.type)); }),
                    field([](const ColumnProfile& c) { return Pct(c.missing_percent); }),
                    field([](const ColumnProfile& c) { return Num(c.mean); }),
                    field([](const ColumnProfile& c) { return Num(c.std); }),
                    field([](const ColumnProfile& c) { return HumanCount(c.distinct); })});
  }
  PrintTable({"COLUMN", "CHANGE", "PSI", "TYPE", "MISSING", "MEAN", "STD", "DISTINCT"}, rows);

  // Details of the columns that changed most: quantiles and most frequent values.
  size_t shown = 0;
  for (const auto& d : diffs) {
    if (!d.a || !d.b || !d.psi || *d.psi < kPsiModerate || shown == 10) continue;
    if (shown++ == 0) std::cout << "\nLargest changes:\n";
    std::cout << "  " << Cell(d.name, 40) << " (PSI " << PsiText(*d.psi) << ", " << Level(*d.psi)
              << (d.smd ? ", mean shift " + FormatNumber(*d.smd, 3) + " std" : "") << ")\n";
    // Quantiles for numbers (when both sides have them), the most frequent values for the rest
    // and for numbers of a few distinct values (a constant, codes), the range of times, the
    // count of infinite values when it changed, and values A never held.
    const bool times = d.a->type == DataType::kTimestamp && d.b->type == DataType::kTimestamp;
    auto number = [](DataType t) { return t == DataType::kInt64 || t == DataType::kFloat64; };
    const bool numeric = number(d.a->type) && number(d.b->type);
    constexpr int64_t kFewValues = 20;
    const bool few = d.a->distinct <= kFewValues && d.b->distinct <= kFewValues;
    std::string q;
    for (const char* k : kQuantiles) {
      if (!numeric) break;
      auto x = d.a->quantiles.find(k), y = d.b->quantiles.find(k);
      if (x == d.a->quantiles.end() || y == d.b->quantiles.end()) continue;
      q += std::string(q.empty() ? "" : ", ") + k + " " + Pair(Num(x->second), Num(y->second));
    }
    if (!q.empty()) std::cout << "    quantiles: " << q << "\n";
    if (times) {
      std::cout << "    range A: " << d.a->first_time.value_or(kDash) << " to "
                << d.a->last_time.value_or(kDash) << "\n"
                << "    range B: " << d.b->first_time.value_or(kDash) << " to "
                << d.b->last_time.value_or(kDash) << "\n";
    }
    if (d.a->infinite != d.b->infinite) {
      std::cout << "    infinite values: "
                << Pair(HumanCount(d.a->infinite), HumanCount(d.b->infinite)) << "\n";
    }
    if ((q.empty() || few) && !times && (!d.a->top_values.empty() || !d.b->top_values.empty())) {
      std::cout << "    top values A: " << TopValues(*d.a) << "\n"
                << "    top values B: " << TopValues(*d.b) << "\n";
    }
    if (d.new_share > 0) {
      const int64_t rows = d.b->count + d.b->missing;
      std::string named;
      for (const auto& v : d.new_values) {
        named += (named.empty() ? ": " : ", ") + Cell(v.value.empty() ? "(empty)" : v.value, 20) +
                 " " + Share(v.count, rows);
      }
      std::cout << "    values A never held: " << Pct(100 * d.new_share) << " of B" << named
                << "\n";
    }
  }
}

}  // namespace

void RegisterProfile(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<ProfileArgs>();
  auto* profile = app.add_subcommand(
      "profile",
      "Profile a dataset (distributions, correlations, target, alerts); stored with the "
      "version");
  profile
      ->add_option("DATASET", a->dataset,
                   "NAME (latest) or NAME@VERSION, or a data file (imported first)")
      ->required();
  profile->add_option("--target", a->target,
                      "Target column: class balance and each feature's association with it");
  profile->add_option("--html", a->html, "Write the HTML report here");
  profile->add_flag("--json", a->json, "Print the profile as JSON");
  profile->add_option("--bins", a->bins, "Histogram bins (default 20)")->check(CLI::Range(1, 1000));
  profile->add_option("--top", a->top, "Most frequent values kept per column (default 20)")
      ->check(CLI::Range(1, 1000));
  profile->callback([&global, a] { RunProfile(global, *a); });

  // `data diff` joins the `data` group (registered before this).
  CLI::App* data = app.get_subcommand("data");
  auto diff_a = std::make_shared<std::string>();
  auto diff_b = std::make_shared<std::string>();
  auto diff_json = std::make_shared<bool>(false);
  auto* diff = data->add_subcommand(
      "diff", "Compare two dataset versions column by column, largest changes (PSI) first");
  diff->add_option("A", *diff_a, "Baseline: NAME (latest) or NAME@VERSION")->required();
  diff->add_option("B", *diff_b, "Compared with A: NAME (latest) or NAME@VERSION")->required();
  diff->add_flag("--json", *diff_json, "Print as JSON");
  diff->callback(
      [&global, diff_a, diff_b, diff_json] { RunDiff(global, *diff_a, *diff_b, *diff_json); });
}

}  // namespace mloop::cli
