#include "mloop/serve/handler.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "mloop/core/clock.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/io/json_error.h"
#include "mloop/io/jsonl_writer.h"
#include "mloop/io/value_parse.h"
#include "mloop/version.h"

namespace mloop {

namespace dom = simdjson::dom;

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text;
  for (int64_t d : shape) text += (text.empty() ? "" : ", ") + std::to_string(d);
  return "[" + text + "]";
}

// True when a tensor's data array holds arrays (nested data rather than flat values).
bool NestedData(dom::element data) {
  dom::array a;
  if (data.get_array().get(a)) return false;
  for (dom::element x : a) {
    if (x.type() == dom::element_type::ARRAY) return true;
  }
  return false;
}

// True when `e`, at nesting `depth`, has exactly the dimensions shape[depth..].
bool NestedAsShape(dom::element e, const std::vector<int64_t>& shape, size_t depth) {
  dom::array a;
  if (e.get_array().get(a)) return depth == shape.size();  // a value: only at the bottom
  if (depth >= shape.size() || static_cast<int64_t>(a.size()) != shape[depth]) return false;
  for (dom::element x : a) {
    if (!NestedAsShape(x, shape, depth + 1)) return false;
  }
  return true;
}

void Fail(HttpResponse* res, int status, std::string_view message, int64_t record = 0,
          std::string_view field = {}) {
  res->status = status;
  res->content_type = "application/json";
  res->body = ErrorJson(message, record, field);
}

// A prediction that threw: 400 for values the model or its recipe refuses (DataError: an
// infinite value, a category a one_hot step did not see), else 424, as SageMaker answers a
// model's failure.
void PredictionFailed(const std::exception& e, const Predictor& predictor, HttpResponse* res) {
  const auto* error = dynamic_cast<const Error*>(&e);
  if (error && error->code() == ErrorCode::kDataError) {
    // The rows are the request's records in order: "row N, feature 'f': ..." (or "column
    // 'c'") names the record as every other 400 does, and the field when it is one of the
    // model's inputs (a feature may be one a recipe derived).
    const auto [row, rest] = SplitRowMessage(e.what());
    if (row <= 0) return Fail(res, 400, e.what());
    std::string field;
    std::string_view detail = rest;  // the message after the field's name, when it is one
    for (std::string_view prefix : {"column '", "feature '"}) {
      const size_t end = rest.find("': ", prefix.size());
      if (rest.substr(0, prefix.size()) != prefix || end == std::string_view::npos) continue;
      const std::string_view name = rest.substr(prefix.size(), end - prefix.size());
      const auto& inputs = predictor.inputs();
      if (std::any_of(inputs.begin(), inputs.end(),
                      [&](const Field& f) { return f.name == name; })) {
        field = name;
        detail = rest.substr(end + 3);
      }
    }
    const std::string where = "record " + std::to_string(row) +
                              (field.empty() ? ": " : ", field '" + field + "': ") +
                              std::string(detail);
    return Fail(res, 400, where, row, field);
  } else {
    Fail(res, 424, std::string("the model failed: ") + e.what());
  }
}

// 405 for `path`, with the Allow header RFC 9110 asks for.
void MethodNotAllowed(HttpResponse* res, std::string_view path, std::string_view allowed) {
  Fail(res, 405, std::string(path) + " takes " + std::string(allowed));
  res->headers.emplace_back("Allow", std::string(allowed));
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string NowIso() {
  return FormatTimestamp(SystemClock().NowMicros());
}

std::string NewId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  const uint64_t a = rng(), b = rng();
  int bit = 0;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    const uint64_t word = bit < 64 ? a : b;
    id[i] = kHex[(word >> (bit % 64)) & 15];
    bit += 4;
  }
  id[14] = '4';  // version 4 (random)
  id[19] = kHex[8 | (b & 3)];
  return id;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The response format for an Accept header (RFC 9110 12.5.1): each format mloop writes takes
// the quality (`q`, default 1) of the most specific range that matches it (its own type, then
// text/* or application/*, then */*); q=0 refuses it. The highest quality wins; among equals, a
// type listed by name before one matched by a wildcard, the first listed, and among wildcard
// matches the request's own format. No header: the request's format. nullopt when nothing is
// acceptable.
std::optional<RecordFormat> AcceptFormat(std::string_view accept, RecordFormat request) {
  accept = TrimSpace(accept);
  if (accept.empty()) return request;
  struct Range {
    std::string_view type;
    double q;
  };
  // Every request parses its Accept: no allocation (a header lists a handful of ranges; those
  // past the 16th are ignored).
  std::array<Range, 16> ranges;
  size_t count = 0;
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view item = TrimSpace(accept.substr(0, comma));
    double q = 1;
    for (size_t semi = item.find(';'); semi != std::string_view::npos;) {
      std::string_view param =
          TrimSpace(item.substr(semi + 1, item.find(';', semi + 1) - semi - 1));
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        if (!ParseFloat64(param.substr(2), &q) || q < 0 || q > 1) q = 0;
      }
      semi = item.find(';', semi + 1);
    }
    if (count < ranges.size()) ranges[count++] = {TrimSpace(item.substr(0, item.find(';'))), q};
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  std::optional<RecordFormat> best;
  double best_q = 0;
  int best_level = 0;  // 3: named, 2: text/* or application/*, 1: */*
  size_t best_at = 0;
  for (RecordFormat f : {RecordFormat::kCsv, RecordFormat::kJson, RecordFormat::kJsonLines}) {
    const std::string_view family = f == RecordFormat::kCsv ? "text/*" : "application/*";
    double q = 0;
    int level = 0;
    size_t at = 0;
    for (size_t i = 0; i < count; ++i) {
      const Range& r = ranges[i];
      const int l = RecordFormatFromContentType(r.type) == f ? 3
                    : r.type == family                       ? 2
                    : r.type == "*/*"                        ? 1
                                                             : 0;
      if (l > level) level = l, q = r.q, at = i;
    }
    if (level == 0 || q <= 0) continue;
    bool better;
    if (!best || q != best_q) {
      better = !best || q > best_q;
    } else if (level == 3 || best_level == 3) {
      better = level == 3 && (best_level != 3 || at < best_at);
    } else {
      better = f == request;
    }
    if (better) best = f, best_q = q, best_level = level, best_at = at;
  }
  return best;
}

std::string V2Type(DataType type) {
  switch (type) {
    case DataType::kFloat64:
      return "FP64";
    case DataType::kInt64:
      return "INT64";
    case DataType::kBool:
      return "BOOL";
    case DataType::kString:
    case DataType::kTimestamp:
      return "BYTES";
  }
  return "BYTES";
}

nlohmann::json V2Tensors(const std::vector<Field>& fields) {
  nlohmann::json out = nlohmann::json::array();
  for (const Field& f : fields) {
    out.push_back({{"name", f.name}, {"datatype", V2Type(f.type)}, {"shape", {-1}}});
  }
  return out;
}

// The score a shadow comparison looks at per row: the positive probability (binary), the
// predicted value (regression), else nothing.
const double* ScoreColumn(const Table& predictions) {
  const int i = predictions.schema().IndexOf("probability");
  if (i >= 0) return predictions.column(i).f64();
  const int p = predictions.schema().IndexOf("prediction");
  if (p >= 0 && predictions.column(p).type() == DataType::kFloat64) {
    return predictions.column(p).f64();
  }
  return nullptr;
}

void CountPredictions(const Table& pred, const LoadedModel& loaded, VariantStats& stats) {
  const int64_t n = pred.num_rows();
  stats.records.fetch_add(n, std::memory_order_relaxed);
  const Target& target = loaded.predictor->target();
  if (target.task == Task::kRegression) {
    const double* v = pred.column(0).f64();
    for (int64_t i = 0; i < n; ++i) stats.ObserveValue(v[i]);
    return;
  }
  if (target.task == Task::kClustering) {
    const int64_t* cluster = pred.column(0).i64();
    for (int64_t i = 0; i < n; ++i) {
      if (cluster[i] >= 0 && cluster[i] < VariantStats::kMaxClasses) {
        stats.class_counts[cluster[i]].fetch_add(1, std::memory_order_relaxed);
      }
    }
    return;
  }
  if (target.task != Task::kBinary && target.task != Task::kMulticlass) return;
  const Column& label = pred.column(0);
  // The prediction column's codes index its own dictionary; map them to class indices.
  const Dictionary& dict = label.dictionary();
  std::vector<int> class_of(dict.size(), -1);
  for (size_t d = 0; d < dict.size(); ++d) {
    for (size_t c = 0; c < target.classes.size(); ++c) {
      if (target.classes[c] == dict[d]) class_of[d] = static_cast<int>(c);
    }
  }
  const int32_t* codes = label.codes();
  for (int64_t i = 0; i < n; ++i) {
    const int c = class_of[codes[i]];
    if (c >= 0 && c < VariantStats::kMaxClasses) {
      stats.class_counts[c].fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (target.task == Task::kBinary) {
    const double* p = pred.column(1).f64();
    for (int64_t i = 0; i < n; ++i) stats.probability.Observe(p[i]);
  }
}

// The request's inference id: the client's X-Amzn-SageMaker-Inference-Id, else a new one.
std::string InferenceIdOf(const HttpRequest& req) {
  return req.inference_id.empty() ? NewId() : std::string(req.inference_id);
}

// One capture line per record. The answer and its shadow share `inference_id`.
std::string CaptureLines(const std::string& model, const std::string& variant,
                         const LoadedModel& loaded, const Table& input, const Table& pred,
                         const std::string& inference_id, const std::string& custom_attributes) {
  std::string out;
  const std::string time = NowIso();
  for (int64_t r = 0; r < input.num_rows(); ++r) {
    out += "{\"capture_version\":" + std::to_string(kCaptureFormatVersion) + ",\"event_id\":\"" +
           NewId() + "\",\"inference_id\":";
    AppendJsonString(out, inference_id);
    out += ",\"record\":" + std::to_string(r + 1) + ",\"time\":\"" + time + "\",\"model\":";
    AppendJsonString(out, model);
    out += ",\"variant\":";
    AppendJsonString(out, variant);
    out += ",\"model_version\":";
    AppendJsonString(out, loaded.description);
    if (!custom_attributes.empty()) {
      out += ",\"custom_attributes\":";
      AppendJsonString(out, custom_attributes);
    }
    out += ",\"input\":";
    WriteRowObject(input, r, &out);
    out += ",\"output\":";
    WritePredictionObject(pred, r, loaded.write_options, &out);
    out += "}\n";
  }
  return out;
}

}  // namespace

std::string ErrorJson(std::string_view message, int64_t record, std::string_view field) {
  std::string out = "{\"error\":";
  AppendJsonString(out, message);
  if (record > 0) out += ",\"record\":" + std::to_string(record);
  if (!field.empty()) {
    out += ",\"field\":";
    AppendJsonString(out, field);
  }
  out += "}";
  return out;
}

Handler::Handler(ModelHost& host, ServerMetrics& metrics, HandlerOptions options)
    : host_(host), metrics_(metrics), options_(options) {}

void Handler::Handle(const HttpRequest& req, HttpResponse* res) const {
  VariantStats* stats = nullptr;  // set once the request reaches a variant
  std::string_view path = req.target.substr(0, req.target.find('?'));
  const bool post = req.method == "POST";
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool health = path == "/ping" || StartsWith(path, "/v2/health/");
  if (options_.auth && !health && !(options_.keys && options_.keys->Allows(req.authorization))) {
    Fail(res, 401,
         req.authorization.empty() ? "an API key is required: Authorization: Bearer <key>"
                                   : "the API key is not valid");
    res->headers.emplace_back("WWW-Authenticate", "Bearer");
  } else if (path == "/invocations") {
    if (post) {
      Invocations(req, res, &stats);
    } else {
      MethodNotAllowed(res, path, "POST");
    }
  } else if (path == "/ping") {
    if (get) {
      res->status = draining_.load() ? 503 : 200;
      res->content_type = "application/json";
      res->body = draining_.load() ? "{\"status\":\"draining\"}" : "{\"status\":\"ok\"}";
    } else {
      MethodNotAllowed(res, path, "GET, HEAD");
    }
  } else if (path == "/v2" || StartsWith(path, "/v2/")) {
    V2(req, path, res, &stats);
  } else if (path == "/metrics") {
    if (get) {
      res->status = 200;
      res->content_type = "text/plain; version=0.0.4";
      res->body = metrics_.Render();
    } else {
      MethodNotAllowed(res, path, "GET, HEAD");
    }
  } else if (path == "/ground-truth") {
    if (post) {
      GroundTruth(req, res);
    } else {
      MethodNotAllowed(res, path, "POST");
    }
  } else if (StartsWith(path, "/admin/")) {
    Admin(req, path, res);
  } else {
    Fail(res, 404,
         "no route " + std::string(path) +
             " (see docs/http-api.md: /ping, /invocations, /v2/..., /metrics, /admin/...)");
  }
  if (stats) {
    stats->requests.Add(res->status);
    stats->latency.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received).count());
  } else {
    metrics_.unrouted.Add(res->status);
  }
}

void Handler::CountTransportAnswer(int status) const {
  metrics_.unrouted.Add(status);
}

void Handler::Invocations(const HttpRequest& req, HttpResponse* res, VariantStats** stats) const {
  // The body's format and the answer's first: a client's format error is no variant's error.
  const std::string_view content_type = req.content_type.empty() ? "text/csv" : req.content_type;
  const auto in = RecordFormatFromContentType(content_type);
  if (!in) {
    return Fail(res, 415,
                "unsupported Content-Type '" + std::string(content_type) +
                    "' (text/csv, application/json, application/jsonlines)");
  }
  const auto out = AcceptFormat(req.accept, *in);
  if (!out) {
    return Fail(res, 406,
                "cannot answer in '" + std::string(req.accept) +
                    "' (text/csv, application/json, application/jsonlines)");
  }
  const ServedModel* model = nullptr;
  if (!req.target_model.empty()) {
    model = host_.Find(req.target_model);
    if (!model) {
      std::vector<std::string> names;
      for (const auto& m : host_.models()) names.push_back(m->name());
      return Fail(
          res, 404,
          "no model '" + std::string(req.target_model) + "' is served (" + Join(names, ", ") + ")");
    }
  } else if (host_.models().size() == 1) {
    model = host_.models()[0].get();
  } else {
    std::vector<std::string> names;
    for (const auto& m : host_.models()) names.push_back(m->name());
    return Fail(res, 400,
                "this server serves several models: name one with the "
                "X-Amzn-SageMaker-Target-Model header (" +
                    Join(names, ", ") + ")");
  }
  Variant* variant = nullptr;
  if (!req.target_variant.empty()) {
    variant = model->Find(req.target_variant);
    if (!variant) {
      std::vector<std::string> names;
      for (const auto& v : model->variants()) names.push_back(v->name());
      return Fail(res, 400,
                  "model '" + model->name() + "' has no variant '" +
                      std::string(req.target_variant) + "' (" + Join(names, ", ") + ")");
    }
  } else {
    variant = model->Pick();
  }
  *stats = &variant->stats();
  // Named on every answer from here on, errors included: a client sees which variant refused it.
  res->headers.emplace_back("X-Amzn-Invoked-Production-Variant", variant->name());
  const std::shared_ptr<const LoadedModel> loaded = variant->model();
  const Predictor& predictor = *loaded->predictor;
  const Extras extras = Draw(*model);
  auto parse = [&](RecordBatch& batch) {
    try {
      batch.ParseBody(req.body, *in);
    } catch (const RecordError& e) {
      Fail(res, 400, e.what(), e.problem().record, e.problem().field);
      return false;
    }
    if (batch.size() == 0) {
      Fail(res, 400, "the request has no records");
      return false;
    }
    return true;
  };
  Table pred;
  if (predictor.encodes_records() && !extras.capture && !extras.shadow) {
    // The fast path: records encoded straight into feature rows, no input table.
    RecordBatch batch(&predictor.encoding(), predictor.missing_tokens());
    if (!parse(batch)) return;
    try {
      pred = predictor.PredictEncoded(batch.FinishEncoded());
    } catch (const std::exception& e) {
      return PredictionFailed(e, predictor, res);
    }
    CountPredictions(pred, *loaded, variant->stats());
  } else {
    RecordBatch batch(predictor.inputs(), predictor.missing_tokens());
    if (!parse(batch)) return;
    if (!Predict(*model, *variant, *loaded, batch.Finish(), req, extras, &pred, res)) return;
  }
  res->status = 200;
  res->content_type = std::string(ContentTypeOf(*out));
  WritePredictions(pred, *out, loaded->write_options, &res->body);
  res->headers.emplace_back("X-Mloop-Model-Version", loaded->description);
  if (!req.custom_attributes.empty()) {
    res->headers.emplace_back("X-Amzn-SageMaker-Custom-Attributes",
                              std::string(req.custom_attributes));
  }
}

Handler::Extras Handler::Draw(const ServedModel& model) const {
  Extras e;
  e.capture = options_.capture && options_.capture->Sample();
  if (model.shadow() && options_.shadow_queue) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    e.shadow = std::uniform_real_distribution<double>(0, 1)(rng) < model.shadow_share();
  }
  return e;
}

bool Handler::Predict(const ServedModel& model, Variant& variant, const LoadedModel& loaded,
                      const Table& input, const HttpRequest& req, Extras extras, Table* pred,
                      HttpResponse* res) const {
  try {
    *pred = loaded.predictor->Predict(input);
  } catch (const std::exception& e) {
    PredictionFailed(e, *loaded.predictor, res);
    return false;
  }
  CountPredictions(*pred, loaded, variant.stats());
  const std::string inference_id = extras.capture ? InferenceIdOf(req) : std::string();
  if (extras.capture) {
    // The id the capture files it under, which POST /ground-truth takes: the client's own
    // (X-Amzn-SageMaker-Inference-Id) or the one made here, which it could not know otherwise.
    res->headers.emplace_back("X-Mloop-Inference-Id", inference_id);
    options_.capture->Write(model.name(), variant.name(),
                            CaptureLines(model.name(), variant.name(), loaded, input, *pred,
                                         inference_id, std::string(req.custom_attributes)),
                            input.num_rows());
  }
  if (extras.shadow) Shadow(model, input, *pred, req, inference_id, extras.capture);
  return true;
}

void Handler::Shadow(const ServedModel& model, const Table& input, const Table& answered,
                     const HttpRequest& req, const std::string& inference_id, bool capture) const {
  Variant* shadow = model.shadow();
  VariantStats& stats = shadow->stats();
  // The tables share their immutable columns; the task owns copies of what it needs.
  auto task = [this, &model, shadow, &stats, input, answered, capture, inference_id,
               attributes = std::string(req.custom_attributes)] {
    const auto loaded = shadow->model();
    Table pred;
    const auto start = std::chrono::steady_clock::now();
    try {
      pred = loaded->predictor->Predict(input);
    } catch (const std::exception&) {
      stats.shadow_failures.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // The shadow's latency: its prediction alone (the answer's parsing is shared, its queue
    // wait is not a client's).
    stats.latency.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    const int64_t n = pred.num_rows();
    stats.shadow_requests.fetch_add(1, std::memory_order_relaxed);
    stats.shadow_records.fetch_add(n, std::memory_order_relaxed);
    CountPredictions(pred, *loaded, stats);
    const double* a = ScoreColumn(answered);
    const double* b = ScoreColumn(pred);
    double diff = 0;
    uint64_t disagree = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (a && b) diff += std::fabs(a[i] - b[i]);
      if (answered.column(0).type() == DataType::kString &&
          pred.column(0).type() == DataType::kString &&
          answered.column(0).StringAt(i) != pred.column(0).StringAt(i)) {
        ++disagree;
      }
    }
    stats.shadow_abs_diff_sum.fetch_add(diff, std::memory_order_relaxed);
    stats.shadow_disagreements.fetch_add(disagree, std::memory_order_relaxed);
    if (capture) {  // the shadow's answer is captured with the request's inference id
      options_.capture->Write(model.name(), shadow->name(),
                              CaptureLines(model.name(), shadow->name(), *loaded, input, pred,
                                           inference_id, attributes),
                              n);
    }
  };
  if (!options_.shadow_queue->Post(std::move(task))) {
    stats.shadow_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

void Handler::V2(const HttpRequest& req, std::string_view path, HttpResponse* res,
                 VariantStats** stats) const {
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  auto json = [&](int status, const nlohmann::json& j) {
    res->status = status;
    res->content_type = "application/json";
    res->body = j.dump();
  };
  if (path == "/v2/health/live") {
    if (!get) return MethodNotAllowed(res, path, "GET, HEAD");
    return json(200, {{"live", true}});
  }
  if (path == "/v2/health/ready") {
    if (!get) return MethodNotAllowed(res, path, "GET, HEAD");
    return json(draining_.load() ? 503 : 200, {{"ready", !draining_.load()}});
  }
  if (path == "/v2" || path == "/v2/") {
    if (!get) return MethodNotAllowed(res, path, "GET, HEAD");
    return json(
        200, {{"name", "mloop"}, {"version", kVersion}, {"extensions", nlohmann::json::array()}});
  }
  constexpr std::string_view kModels = "/v2/models/";
  if (!StartsWith(path, kModels)) return Fail(res, 404, "no route " + std::string(path));
  std::string_view rest = path.substr(kModels.size());
  const std::string_view name = rest.substr(0, rest.find('/'));
  rest.remove_prefix(name.size());
  const ServedModel* model = host_.Find(name);
  if (!model) return Fail(res, 404, "no model '" + std::string(name) + "' is served");
  Variant* variant = nullptr;
  if (StartsWith(rest, "/versions/")) {
    rest.remove_prefix(10);
    const std::string_view version = rest.substr(0, rest.find('/'));
    rest.remove_prefix(version.size());
    for (const auto& v : model->variants()) {  // the first variant serving that version
      if (!variant && v->model()->version == version) variant = v.get();
    }
    // ... else the variant of that name (two variants may serve one version: A/B of a recipe
    // change on the same model, or while an alias move is rolled out).
    for (const auto& v : model->variants()) {
      if (!variant && v->name() == version) variant = v.get();
    }
    if (!variant) {
      return Fail(res, 404,
                  "model '" + model->name() + "' has no version or variant '" +
                      std::string(version) + "' in service");
    }
  }
  if (rest.empty() || rest == "/ready") {
    if (!get) return MethodNotAllowed(res, path, "GET, HEAD");
    if (rest == "/ready") {
      return json(draining_.load() ? 503 : 200,
                  {{"name", model->name()}, {"ready", !draining_.load()}});
    }
    const Variant& v = variant ? *variant : *model->variants()[0];
    const auto loaded = v.model();
    nlohmann::json versions = nlohmann::json::array();
    for (const auto& each : model->variants()) {  // each version once, in variant order
      const std::string& version = each->model()->version;
      if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
        versions.push_back(version);
      }
    }
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& o : OutputSchema(loaded->predictor->target())) {
      DataType type = DataType::kFloat64;
      if (o.at("type") == "string") type = DataType::kString;
      if (o.at("type") == "int64") type = DataType::kInt64;
      // A label is written in the target's type (what OutputSchema names, for new bundles).
      const Task task = loaded->predictor->target().task;
      if (o.at("name") == "prediction" && (task == Task::kBinary || task == Task::kMulticlass)) {
        type = loaded->write_options.label_type;
      }
      outputs.push_back({{"name", o.at("name")}, {"datatype", V2Type(type)}, {"shape", {-1}}});
    }
    return json(200, {{"name", model->name()},
                      {"versions", versions},
                      {"platform", "mloop"},
                      {"inputs", V2Tensors(loaded->predictor->inputs())},
                      {"outputs", outputs}});
  }
  if (rest == "/infer") {
    if (!post) return MethodNotAllowed(res, path, "POST");
    if (!variant) variant = model->Pick();
    *stats = &variant->stats();
    return V2Infer(req, *model, *variant, res);
  }
  return Fail(res, 404, "no route " + std::string(path));
}

void Handler::V2Infer(const HttpRequest& req, const ServedModel& model, Variant& variant,
                      HttpResponse* res) const {
  const std::shared_ptr<const LoadedModel> loaded = variant.model();
  const std::vector<Field>& inputs = loaded->predictor->inputs();
  // As /invocations names them: which variant answered (errors included), and its version.
  res->headers.emplace_back("X-Amzn-Invoked-Production-Variant", variant.name());
  // The V2 body is JSON: a CSV or JSON Lines body (a request meant for /invocations) is told so,
  // not parsed as malformed JSON. Other types pass (curl -d sends form-urlencoded).
  if (const auto format = RecordFormatFromContentType(req.content_type);
      format && *format != RecordFormat::kJson) {
    return Fail(res, 415,
                "unsupported Content-Type '" + std::string(req.content_type) +
                    "': V2 inference takes a JSON body (application/json); CSV and JSON Lines go "
                    "to POST /invocations");
  }
  thread_local dom::parser parser;
  dom::element doc;
  // A UTF-8 byte order mark is skipped, as /invocations and transform skip it.
  std::string_view body = req.body;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  if (auto err = parser.parse(body.data(), body.size()).get(doc)) {
    return Fail(res, 400, "malformed JSON: " + JsonErrorText(err, body));
  }
  dom::array tensors;
  if (doc["inputs"].get(tensors)) return Fail(res, 400, "the request needs an 'inputs' array");
  std::string_view request_id;
  if (dom::element id; !doc["id"].get(id) && id.get(request_id)) {
    return Fail(res, 400, "'id' must be a string");
  }

  // Each tensor flattened: its cells as text (numbers in their JSON spelling).
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<std::string> cells;
    std::vector<char> missing;
    std::vector<char> quoted;  // the cell was a JSON string
  };
  std::vector<Tensor> ts;
  std::string problem;
  std::function<void(dom::element, Tensor&)> flatten = [&](dom::element e, Tensor& t) {
    switch (e.type()) {
      case dom::element_type::ARRAY: {
        dom::array a;
        if (!e.get_array().get(a)) {
          for (dom::element x : a) flatten(x, t);
        }
        return;
      }
      case dom::element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s)) s = {};
        t.cells.emplace_back(s);
        t.missing.push_back(0);
        t.quoted.push_back(1);
        return;
      }
      case dom::element_type::NULL_VALUE:
        t.cells.emplace_back();
        t.missing.push_back(1);
        t.quoted.push_back(0);
        return;
      case dom::element_type::OBJECT:
        problem = "tensor '" + t.name + "': data must hold values, not objects";
        return;
      default:
        t.cells.push_back(simdjson::minify(e));
        t.missing.push_back(0);
        t.quoted.push_back(0);
    }
  };
  for (dom::element te : tensors) {
    Tensor t;
    std::string_view name;
    if (te["name"].get(name)) return Fail(res, 400, "every input tensor needs a 'name'");
    t.name = std::string(name);
    dom::array shape;
    if (te["shape"].get(shape)) return Fail(res, 400, "tensor '" + t.name + "' needs a 'shape'");
    for (dom::element d : shape) {
      int64_t v = 0;
      if (d.get_int64().get(v) || v < 0) {
        return Fail(res, 400, "tensor '" + t.name + "': shape must be non-negative integers");
      }
      t.shape.push_back(v);
    }
    dom::element data;
    if (te["data"].get(data)) return Fail(res, 400, "tensor '" + t.name + "' needs 'data'");
    // Data is flat (row-major) or nested exactly as the shape says: a ragged row would
    // otherwise be refilled from the next one and predicted on.
    if (NestedData(data) && !NestedAsShape(data, t.shape, 0)) {
      return Fail(res, 400,
                  "tensor '" + t.name + "': nested data must follow the shape " +
                      ShapeText(t.shape) + " exactly (or send the values flat, row after row)");
    }
    flatten(data, t);
    if (!problem.empty()) return Fail(res, 400, problem);
    // The product of the shape, stopped once it passes the data's size (no overflow).
    const int64_t cells = static_cast<int64_t>(t.cells.size());
    int64_t count = 1;
    bool more = false;
    const bool empty = std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end();
    for (int64_t d : t.shape) {
      if (empty) {
        count = 0;
        break;
      }
      if (count > cells / d) more = true;
      count = more ? count : count * d;
    }
    if (more || count != cells) {
      return Fail(res, 400,
                  "tensor '" + t.name + "': shape " + ShapeText(t.shape) + " does not hold the " +
                      std::to_string(cells) + " values of its data");
    }
    ts.push_back(std::move(t));
  }
  if (ts.empty()) return Fail(res, 400, "'inputs' is empty");

  // Requested outputs, checked before anything is predicted: all, or those named in "outputs".
  std::vector<std::string> outputs;
  for (const auto& o : OutputSchema(loaded->predictor->target())) {
    outputs.push_back(o.at("name").get<std::string>());
  }
  std::vector<std::string> wanted;
  dom::array requested;
  if (dom::element o; !doc["outputs"].get(o) && o.get(requested)) {
    return Fail(res, 400, "'outputs' must be an array of {\"name\": ...}");
  }
  if (!doc["outputs"].get(requested)) {
    for (dom::element w : requested) {
      std::string_view name;
      if (w["name"].get(name)) return Fail(res, 400, "every requested output needs a 'name'");
      if (std::find(outputs.begin(), outputs.end(), name) == outputs.end()) {
        return Fail(res, 400,
                    "no output '" + std::string(name) + "' (" + Join(outputs, ", ") + ")");
      }
      if (std::find(wanted.begin(), wanted.end(), name) != wanted.end()) {
        return Fail(res, 400, "output '" + std::string(name) + "' is requested twice");
      }
      wanted.emplace_back(name);
    }
  }
  if (wanted.empty()) wanted = outputs;

  // A JSON string is a value only for a string (BYTES) or timestamp input, as in /invocations.
  auto mistyped = [&](const Tensor& t, size_t cell, size_t j, int64_t row) {
    const DataType type = inputs[j].type;
    if (!t.quoted[cell] || type == DataType::kString || type == DataType::kTimestamp) return false;
    Fail(res, 400,
         "record " + std::to_string(row) + ", field '" + inputs[j].name + "': expected " +
             (type == DataType::kBool ? "true or false" : "a number") + ", got the string \"" +
             t.cells[cell].substr(0, 40) + "\"",
         row, inputs[j].name);
    return true;
  };
  RecordBatch batch(inputs, loaded->predictor->missing_tokens());
  std::vector<std::string_view> values(inputs.size());
  const size_t k = inputs.size();
  // Cells follow the JSON rules of /invocations: a JSON string is text ("" and "NA" included,
  // for a string input), and an int64 input takes a number with an integral value (70.0, 7e1).
  std::vector<char> quoted(k, 0);
  std::vector<std::string> whole(k);
  auto cell = [&](const Tensor& t, size_t c, size_t j) -> std::string_view {
    quoted[j] = t.quoted[c];
    const std::string& text = t.cells[c];
    if (inputs[j].type == DataType::kInt64 && !t.quoted[c] &&
        text.find_first_of(".eE") != std::string::npos) {
      double d = 0;
      int64_t i = 0;
      if (ParseFloat64(text, &d) && WholeDoubleToInt64(d, &i)) {
        whole[j] = std::to_string(i);
        return whole[j];
      }
    }
    return text;
  };
  // Tensors named after inputs are columns; one tensor named otherwise holds whole rows.
  bool by_name = ts.size() > 1;
  for (const Field& f : inputs) by_name = by_name || f.name == ts[0].name;
  if (!by_name) {
    // One tensor of shape [rows, k] (or [k] for one row), rows in the model's input order.
    const Tensor& t = ts[0];
    const bool fits = (t.shape.size() == 2 && t.shape[1] == static_cast<int64_t>(k)) ||
                      (t.shape.size() == 1 && t.shape[0] == static_cast<int64_t>(k)) ||
                      (k == 1 && t.shape.size() == 1);
    if (!fits) {
      // Most likely a tensor per input with a typo in its name: named, with the nearest input.
      std::vector<std::string> names;
      for (const Field& f : inputs) names.push_back(f.name);
      const std::string near = NearestName(t.name, names);
      return Fail(res, 400,
                  "one input tensor must have shape [rows, " + std::to_string(k) +
                      "] (the model's inputs in order), or send one tensor per input" +
                      (near.empty() ? std::string()
                                    : "; no input is named '" + Printable(t.name, 60) +
                                          "' (did you mean '" + near + "'?)"));
    }
    const int64_t rows = static_cast<int64_t>(t.cells.size() / k);
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t j = 0; j < k; ++j) {
        if (mistyped(t, r * k + j, j, r + 1)) return;
        values[j] = cell(t, r * k + j, j);
      }
      if (auto p = batch.AppendValues(values, r + 1, &quoted)) {
        return Fail(res, 400, p->ToString(), p->record, p->field);
      }
    }
  }
  if (by_name) {
    std::vector<const Tensor*> of(k, nullptr);
    for (const Tensor& t : ts) {
      size_t j = 0;
      while (j < k && inputs[j].name != t.name) ++j;
      if (j == k) {
        std::vector<std::string> names;
        for (const Field& f : inputs) names.push_back(f.name);
        return Fail(
            res, 400,
            "tensor '" + t.name + "' is not an input of the model" + DidYouMean(t.name, names), 0,
            t.name);
      }
      if (of[j]) return Fail(res, 400, "tensor '" + t.name + "' is given twice", 0, t.name);
      // One value per row: [rows] or [rows, 1] (a [2, 2] tensor is not 4 rows of one input).
      if (!(t.shape.size() == 1 || (t.shape.size() == 2 && t.shape[1] == 1))) {
        return Fail(res, 400,
                    "tensor '" + t.name + "' has shape " + ShapeText(t.shape) +
                        "; an input's tensor has shape [rows] or [rows, 1]",
                    0, t.name);
      }
      of[j] = &t;
    }
    int64_t rows = -1;
    for (size_t j = 0; j < k; ++j) {
      if (!of[j])
        return Fail(res, 400, "input '" + inputs[j].name + "' is missing", 0, inputs[j].name);
      const int64_t n = static_cast<int64_t>(of[j]->cells.size());
      if (rows >= 0 && n != rows) {
        return Fail(res, 400,
                    "tensor '" + of[j]->name + "' has " + std::to_string(n) + " rows, the others " +
                        std::to_string(rows),
                    0, of[j]->name);
      }
      rows = n;
    }
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t j = 0; j < k; ++j) {
        if (mistyped(*of[j], r, j, r + 1)) return;
        values[j] = cell(*of[j], r, j);
      }
      if (auto p = batch.AppendValues(values, r + 1, &quoted)) {
        return Fail(res, 400, p->ToString(), p->record, p->field);
      }
    }
  }
  if (batch.size() == 0) return Fail(res, 400, "the request has no rows");
  const Table input = batch.Finish();
  Table pred;
  if (!Predict(model, variant, *loaded, input, req, Draw(model), &pred, res)) return;

  std::vector<int> columns;
  for (const std::string& name : wanted) columns.push_back(pred.schema().IndexOf(name));
  std::string& out = res->body;
  out = "{\"model_name\":";
  AppendJsonString(out, model.name());
  out += ",\"model_version\":";
  AppendJsonString(out, loaded->version);
  if (!request_id.empty()) {
    out += ",\"id\":";
    AppendJsonString(out, request_id);
  }
  out += ",\"outputs\":[";
  const int64_t n = pred.num_rows();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field& f = pred.schema().field(columns[i]);
    const Column& c = pred.column(columns[i]);
    DataType type = f.type;
    const bool label = f.name == "prediction" && type == DataType::kString &&
                       loaded->write_options.label_type != DataType::kString;
    if (label) type = loaded->write_options.label_type;
    if (i) out += ',';
    out += "{\"name\":";
    AppendJsonString(out, f.name);
    out +=
        ",\"datatype\":\"" + V2Type(type) + "\",\"shape\":[" + std::to_string(n) + "],\"data\":[";
    for (int64_t r = 0; r < n; ++r) {
      if (r) out += ',';
      WritePredictionCell(c, r, label, &out);
    }
    out += "]}";
  }
  out += "]}";
  res->headers.emplace_back("X-Mloop-Model-Version", loaded->description);
  res->status = 200;
  res->content_type = "application/json";
}

void Handler::GroundTruth(const HttpRequest& req, HttpResponse* res) const {
  if (!options_.capture) {
    return Fail(res, 409, "data capture is off: start the server with --capture-percent");
  }
  // JSON Lines, or one JSON array, of {"inference_id": "...", "record": 1, "label": ...}.
  thread_local dom::parser parser;
  std::string lines;
  const std::string time = NowIso();
  int64_t count = 0;
  // An error names the entry by its position ("entry": N; "record" is an entry's own key).
  auto refuse = [&](const std::string& message, int64_t entry) {
    res->status = 400;
    res->content_type = "application/json";
    std::string body = ErrorJson(message);
    body.pop_back();  // the closing brace
    body += ",\"entry\":" + std::to_string(entry) + "}";
    res->body = std::move(body);
  };
  auto take = [&](dom::element e) -> bool {
    std::string_view id;
    dom::element label;
    if (e.type() != dom::element_type::OBJECT || e["inference_id"].get(id) || id.empty() ||
        e["label"].get(label)) {
      refuse("each entry needs \"inference_id\" (a string) and \"label\"", count + 1);
      return false;
    }
    if (label.is_null()) {
      refuse("\"label\" is null: send the value observed for the record", count + 1);
      return false;
    }
    int seen[3] = {0, 0, 0};  // inference_id, record, label
    for (auto field : dom::object(e)) {
      const int k = field.key == "inference_id" ? 0
                    : field.key == "record"     ? 1
                    : field.key == "label"      ? 2
                                                : -1;
      if (k < 0) {
        refuse("unknown key \"" + std::string(field.key) +
                   "\": an entry has \"inference_id\", \"label\" and optionally \"record\"",
               count + 1);
        return false;
      }
      if (++seen[k] > 1) {  // which one would be meant? (the first would be kept silently)
        refuse("\"" + std::string(field.key) + "\" is given twice", count + 1);
        return false;
      }
    }
    int64_t record = 1;
    dom::element r;
    if (!e["record"].get(r)) {
      double d = 0;
      const bool whole =
          !r.get_int64().get(record) || (!r.get_double().get(d) && WholeDoubleToInt64(d, &record));
      if (!whole || record < 1) {
        refuse("\"record\" must be an integer >= 1 (the record's position in its request)",
               count + 1);
        return false;
      }
    }
    lines += "{\"ground_truth_version\":1,\"inference_id\":";
    AppendJsonString(lines, id);
    lines += ",\"record\":" + std::to_string(record) + ",\"label\":" + simdjson::minify(label) +
             ",\"time\":\"" + time + "\"}\n";
    ++count;
    return true;
  };
  std::string_view body = req.body;
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '[') {
    dom::element doc;
    dom::array entries;
    if (parser.parse(body.data(), body.size()).get(doc) || doc.get_array().get(entries)) {
      return Fail(res, 400, "malformed JSON");
    }
    for (dom::element e : entries) {
      if (!take(e)) return;
    }
  } else {
    size_t pos = 0;
    while (pos < body.size()) {
      size_t end = body.find('\n', pos);
      if (end == std::string_view::npos) end = body.size();
      const std::string_view line = body.substr(pos, end - pos);
      pos = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      dom::element e;
      if (parser.parse(line.data(), line.size()).get(e)) {
        return refuse("malformed JSON", count + 1);
      }
      if (!take(e)) return;
    }
  }
  if (count == 0) return Fail(res, 400, "no ground truth in the request");
  options_.capture->Write("_ground_truth", "labels", std::move(lines), count,
                          /*ground_truth=*/true);
  res->status = 200;
  res->content_type = "application/json";
  res->body = "{\"accepted\":" + std::to_string(count) + "}";
}

void Handler::Admin(const HttpRequest& req, std::string_view path, HttpResponse* res) const {
  if (path == "/admin/reload") {
    if (req.method != "POST") return MethodNotAllowed(res, path, "POST");
    nlohmann::json changes = host_.Refresh(/*repeat_failures=*/true);
    if (options_.keys) {
      if (auto change = options_.keys->Refresh()) changes.push_back(*change);
    }
    // The server's log says what it serves whichever way a change came.
    if (options_.log) {
      for (const auto& change : changes) options_.log("reload: " + change.get<std::string>());
    }
    res->status = 200;
    res->content_type = "application/json";
    res->body = nlohmann::json{{"changes", changes}}.dump();
    return;
  }
  if (path == "/admin/models") {
    if (req.method != "GET" && req.method != "HEAD") {
      return MethodNotAllowed(res, path, "GET, HEAD");
    }
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : host_.models()) {
      nlohmann::json variants = nlohmann::json::array();
      auto describe = [](const Variant& v) {
        const auto loaded = v.model();
        return nlohmann::json{{"name", v.name()},
                              {"ref", v.ref()},
                              {"serving", loaded->description},
                              {"version", loaded->version},
                              {"hash", loaded->hash}};
      };
      for (const auto& v : m->variants()) {
        nlohmann::json j = describe(*v);
        j["weight"] = v->weight();
        variants.push_back(j);
      }
      nlohmann::json entry = {{"name", m->name()}, {"variants", variants}};
      if (m->shadow()) {
        nlohmann::json s = describe(*m->shadow());
        s["share"] = m->shadow_share();
        entry["shadow"] = s;
      }
      models.push_back(entry);
    }
    res->status = 200;
    res->content_type = "application/json";
    res->body = nlohmann::json{{"models", models}}.dump();
    return;
  }
  Fail(res, 404, "no route " + std::string(path) + " (/admin/models, /admin/reload)");
}

}  // namespace mloop
