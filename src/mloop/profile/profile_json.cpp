// The profile as versioned JSON (docs/formats.md, "Profile (format_version 1)").
//
// Numbers that JSON cannot hold are written as null (NaN: undefined) and "inf" / "-inf";
// optional figures that do not apply to a column are left out, so that absent and undefined
// stay distinct after a round trip.
#include <cmath>

#include "mloop/core/error.h"
#include "mloop/profile/profile.h"

namespace mloop {

namespace {

using Json = nlohmann::json;

constexpr const char* kFormat = "mloop.profile";
constexpr SemanticType kSemanticTypes[] = {SemanticType::kNumeric,  SemanticType::kCategorical,
                                           SemanticType::kBoolean,  SemanticType::kDatetime,
                                           SemanticType::kText,     SemanticType::kIdLike,
                                           SemanticType::kConstant, SemanticType::kEmpty};

Json Num(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double NumFrom(const Json& j) {
  if (j.is_null()) return std::nan("");
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    throw Corruption("expected a number, got \"" + s + "\"");
  }
  if (!j.is_number()) throw Corruption("expected a number, got " + j.dump());
  return j.get<double>();
}

// `j`, which must be an array (iterating a JSON scalar would visit the scalar itself).
const Json& Array(const Json& j, const char* what) {
  if (!j.is_array()) throw Corruption(std::string(what) + " must be an array");
  return j;
}

Json NumMatrix(const std::vector<std::vector<double>>& m) {
  Json out = Json::array();
  for (const auto& row : m) {
    Json r = Json::array();
    for (double v : row) r.push_back(Num(v));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<double>> NumMatrixFrom(const Json& j, size_t size, const char* what) {
  std::vector<std::vector<double>> m;
  for (const Json& row : Array(j, what)) {
    std::vector<double>& r = m.emplace_back();
    for (const Json& v : Array(row, what)) r.push_back(NumFrom(v));
    if (r.size() != size) throw Corruption(std::string(what) + " is not square");
  }
  if (m.size() != size) throw Corruption(std::string(what) + " does not match its column list");
  return m;
}

Json ValueCountsJson(const std::vector<ValueCount>& values) {
  Json out = Json::array();
  for (const ValueCount& v : values) out.push_back({{"value", v.value}, {"count", v.count}});
  return out;
}

std::vector<ValueCount> ValueCountsFrom(const Json& j) {
  std::vector<ValueCount> out;
  for (const Json& v : Array(j, "a value count list")) {
    out.push_back({v.at("value").get<std::string>(), v.at("count").get<int64_t>()});
  }
  return out;
}

Json HistogramJson(const Histogram& h) {
  Json edges = Json::array();
  for (double e : h.edges) edges.push_back(Num(e));
  return {{"edges", edges}, {"counts", h.counts}};
}

Histogram HistogramFrom(const Json& j) {
  Histogram h;
  for (const Json& e : Array(j.at("edges"), "histogram edges")) h.edges.push_back(NumFrom(e));
  h.counts = j.at("counts").get<std::vector<int64_t>>();
  if (h.edges.size() != h.counts.size() + 1) {
    throw Corruption("a histogram needs one edge more than it has counts");
  }
  return h;
}

bool IsNumericType(DataType t) {
  return t == DataType::kFloat64 || t == DataType::kInt64 || t == DataType::kBool;
}

Json ColumnJson(const ColumnProfile& c) {
  Json j = {{"name", c.name},
            {"type", DataTypeName(c.type)},
            {"semantic", SemanticTypeName(c.semantic)},
            {"count", c.count},
            {"missing", c.missing},
            {"missing_percent", c.missing_percent},
            {"distinct", c.distinct},
            {"top_values", ValueCountsJson(c.top_values)}};
  auto put = [&j](const char* key, const std::optional<double>& v) {
    if (v) j[key] = Num(*v);
  };
  put("min", c.min);
  put("max", c.max);
  put("mean", c.mean);
  put("std", c.std);
  put("skewness", c.skewness);
  put("kurtosis", c.kurtosis);
  put("sum", c.sum);
  if (!c.quantiles.empty()) {
    Json q = Json::object();
    for (const auto& [name, v] : c.quantiles) q[name] = Num(v);
    j["quantiles"] = std::move(q);
  }
  if (c.histogram) j["histogram"] = HistogramJson(*c.histogram);
  if (IsNumericType(c.type)) {
    j["zeros"] = c.zeros;
    j["negatives"] = c.negatives;
    j["outliers"] = c.outliers;
    j["infinite"] = c.infinite;
  }
  put("length_min", c.length_min);
  put("length_max", c.length_max);
  put("length_mean", c.length_mean);
  if (c.first_time) j["first_time"] = *c.first_time;
  if (c.last_time) j["last_time"] = *c.last_time;
  put("target_association", c.target_association);
  return j;
}

SemanticType SemanticFrom(const std::string& name) {
  for (SemanticType t : kSemanticTypes) {
    if (SemanticTypeName(t) == name) return t;
  }
  throw Corruption("unknown semantic type '" + name + "'");
}

ColumnProfile ColumnFrom(const Json& j) {
  ColumnProfile c;
  c.name = j.at("name").get<std::string>();
  const std::string type = j.at("type").get<std::string>();
  auto parsed = ParseDataType(type);
  if (!parsed) throw Corruption("unknown column type '" + type + "'");
  c.type = *parsed;
  c.semantic = SemanticFrom(j.at("semantic").get<std::string>());
  c.count = j.at("count").get<int64_t>();
  c.missing = j.at("missing").get<int64_t>();
  c.missing_percent = NumFrom(j.at("missing_percent"));
  c.distinct = j.at("distinct").get<int64_t>();
  c.top_values = ValueCountsFrom(j.at("top_values"));
  auto get = [&j](const char* key, std::optional<double>& v) {
    if (j.contains(key)) v = NumFrom(j.at(key));
  };
  get("min", c.min);
  get("max", c.max);
  get("mean", c.mean);
  get("std", c.std);
  get("skewness", c.skewness);
  get("kurtosis", c.kurtosis);
  get("sum", c.sum);
  if (j.contains("quantiles")) {
    for (const auto& [name, v] : j.at("quantiles").items()) c.quantiles[name] = NumFrom(v);
  }
  if (j.contains("histogram")) c.histogram = HistogramFrom(j.at("histogram"));
  c.zeros = j.value("zeros", int64_t{0});
  c.negatives = j.value("negatives", int64_t{0});
  c.outliers = j.value("outliers", int64_t{0});
  c.infinite = j.value("infinite", int64_t{0});
  get("length_min", c.length_min);
  get("length_max", c.length_max);
  get("length_mean", c.length_mean);
  if (j.contains("first_time")) c.first_time = j.at("first_time").get<std::string>();
  if (j.contains("last_time")) c.last_time = j.at("last_time").get<std::string>();
  get("target_association", c.target_association);
  return c;
}

Json TargetJson(const TargetProfile& t) {
  Json ranking = Json::array();
  for (const auto& [column, v] : t.ranking)
    ranking.push_back({{"column", column}, {"value", Num(v)}});
  Json j = {{"column", t.column},
            {"task", t.task},
            {"class_counts", ValueCountsJson(t.class_counts)},
            {"association_kind", t.association_kind},
            {"ranking", ranking}};
  if (t.distribution) j["distribution"] = HistogramJson(*t.distribution);
  return j;
}

TargetProfile TargetFrom(const Json& j) {
  TargetProfile t;
  t.column = j.at("column").get<std::string>();
  t.task = j.at("task").get<std::string>();
  t.class_counts = ValueCountsFrom(j.at("class_counts"));
  t.association_kind = j.at("association_kind").get<std::string>();
  for (const Json& r : Array(j.at("ranking"), "ranking")) {
    t.ranking.emplace_back(r.at("column").get<std::string>(), NumFrom(r.at("value")));
  }
  if (j.contains("distribution")) t.distribution = HistogramFrom(j.at("distribution"));
  return t;
}

Json CorrelationsJson(const Correlations& c) {
  return {{"numeric", c.numeric},
          {"pearson", NumMatrix(c.pearson)},
          {"spearman", NumMatrix(c.spearman)},
          {"categorical", c.categorical},
          {"cramers_v", NumMatrix(c.cramers_v)},
          {"numeric_left_out", c.numeric_left_out},
          {"categorical_left_out", c.categorical_left_out}};
}

Correlations CorrelationsFrom(const Json& j) {
  Correlations c;
  c.numeric = j.at("numeric").get<std::vector<std::string>>();
  c.pearson = NumMatrixFrom(j.at("pearson"), c.numeric.size(), "pearson");
  c.spearman = NumMatrixFrom(j.at("spearman"), c.numeric.size(), "spearman");
  c.categorical = j.at("categorical").get<std::vector<std::string>>();
  c.cramers_v = NumMatrixFrom(j.at("cramers_v"), c.categorical.size(), "cramers_v");
  c.numeric_left_out = j.value("numeric_left_out", int64_t{0});  // absent before 2026-11-28
  c.categorical_left_out = j.value("categorical_left_out", int64_t{0});
  return c;
}

}  // namespace

Json ProfileToJson(const Profile& p) {
  Json columns = Json::array();
  for (const ColumnProfile& c : p.column_profiles) columns.push_back(ColumnJson(c));
  Json alerts = Json::array();
  for (const Alert& a : p.alerts) {
    alerts.push_back({{"kind", a.kind},
                      {"column", a.column},
                      {"message", a.message},
                      {"evidence", a.evidence.is_null() ? Json::object() : a.evidence}});
  }
  Json j = {{"format", kFormat},
            {"format_version", kProfileFormatVersion},
            {"rows", p.rows},
            {"columns", p.columns},
            {"duplicate_rows", p.duplicate_rows},
            {"memory_bytes", p.memory_bytes},
            {"seconds", p.seconds},
            {"column_profiles", columns},
            {"correlations", CorrelationsJson(p.correlations)},
            {"alerts", alerts}};
  if (p.target) j["target"] = TargetJson(*p.target);
  if (p.bins > 0) j["options"] = {{"bins", p.bins}, {"top_k", p.top_k}};
  return j;
}

Profile ProfileFromJson(const Json& j) {
  try {
    if (!j.is_object() || j.value("format", "") != kFormat) {
      throw Corruption("not an mloop profile (\"format\" is not \"mloop.profile\")");
    }
    const int version = j.at("format_version").get<int>();
    if (version > kProfileFormatVersion) {
      throw FailedPrecondition("the profile has format version " + std::to_string(version) +
                                   "; this mloop reads up to " +
                                   std::to_string(kProfileFormatVersion),
                               "upgrade mloop");
    }
    if (version < 1) throw Corruption("invalid profile format version " + std::to_string(version));
    Profile p;
    p.format_version = version;
    p.rows = j.at("rows").get<int64_t>();
    p.columns = j.at("columns").get<int64_t>();
    p.duplicate_rows = j.at("duplicate_rows").get<int64_t>();
    p.memory_bytes = j.at("memory_bytes").get<int64_t>();
    p.seconds = NumFrom(j.at("seconds"));
    for (const Json& c : Array(j.at("column_profiles"), "column_profiles"))
      p.column_profiles.push_back(ColumnFrom(c));
    p.correlations = CorrelationsFrom(j.at("correlations"));
    if (j.contains("target")) p.target = TargetFrom(j.at("target"));
    if (j.contains("options")) {
      p.bins = j.at("options").at("bins").get<int>();
      p.top_k = j.at("options").at("top_k").get<int>();
    }
    for (const Json& a : Array(j.at("alerts"), "alerts")) {
      p.alerts.push_back({a.at("kind").get<std::string>(), a.at("column").get<std::string>(),
                          a.at("message").get<std::string>(), a.at("evidence")});
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(std::string("malformed profile JSON: ") + e.what());
  }
}

}  // namespace mloop
