// The server's routes without a socket: SageMaker invocations, KServe V2, variants and shadow,
// hot swap, metrics, capture and API keys, on small models trained in the test.
#include "mloop/serve/handler.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "mloop/model/trainer.h"
#include "test_util.h"

namespace mloop {
namespace {

const MissingTokens kTokens;  // the default (pandas') missing-value tokens

using testing::TempDir;

// 300 rows: x1, x2 (numbers), color (string); y binary (classes = 2) or 3 classes.
Table MakeData(int classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  ColumnBuilder a(DataType::kFloat64), b(DataType::kFloat64), c(DataType::kString),
      y(DataType::kInt64);
  for (int i = 0; i < 300; ++i) {
    const double x1 = n01(rng), x2 = n01(rng);
    a.AppendDouble(x1);
    b.AppendDouble(x2);
    c.AppendString(i % 2 ? "red" : "blue");
    const double s = x1 - 0.5 * x2 + (i % 2 ? 0.5 : 0) + 0.3 * n01(rng);
    y.AppendInt(classes == 2 ? (s > 0 ? 1 : 0) : (s < -0.5 ? 0 : s < 0.5 ? 1 : 2));
  }
  return Table(Schema({{"x1", DataType::kFloat64},
                       {"x2", DataType::kFloat64},
                       {"color", DataType::kString},
                       {"y", DataType::kInt64}}),
               {a.Finish(), b.Finish(), c.Finish(), y.Finish()});
}

std::shared_ptr<const Predictor> TrainModel(int classes, uint64_t seed, int rounds) {
  TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", std::to_string(rounds)}, {"max_depth", "3"}};
  req.threads = 1;
  req.seed = seed;
  return std::make_shared<const Predictor>(Train(MakeData(classes, seed), req).bundle);
}

// Capture of every request into DIR/capture.
CaptureConfig FullCapture(const std::filesystem::path& dir) {
  CaptureConfig cc;
  cc.percent = 100;
  cc.dir = (dir / "capture").string();
  return cc;
}

// The JSON lines of the capture files under `root` whose path holds `under` ("" for all).
std::vector<nlohmann::json> CapturedLines(const std::filesystem::path& root,
                                          const std::string& under = "") {
  std::vector<nlohmann::json> lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().string().find(under) == std::string::npos) continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

// Models by hash and references to hashes, as the registry would resolve them.
struct FakeRegistry {
  std::map<std::string, std::shared_ptr<const Predictor>> models;
  std::map<std::string, std::string> refs;      // ref -> hash
  std::set<std::string> rejected;               // hashes
  std::map<std::string, std::string> named;     // ref -> description, else "m/HASH"
  std::map<std::string, std::string> versions;  // ref -> version, else the hash
  std::mutex mu;

  ModelSource Source() {
    ModelSource s;
    s.resolve = [this](const std::string& ref) {
      std::lock_guard lock(mu);
      auto it = refs.find(ref);
      if (it == refs.end()) throw NotFound("no model " + ref);
      auto name = named.find(ref);
      auto version = versions.find(ref);
      return ModelSource::Resolved{
          it->second, name != named.end() ? name->second : "m/" + it->second,
          version != versions.end() ? version->second : it->second,
          rejected.count(it->second) ? "m/" + it->second + " is Rejected in the registry" : ""};
    };
    s.load = [this](const std::string& hash) {
      std::lock_guard lock(mu);
      return models.at(hash);
    };
    return s;
  }
};

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg.models["1"] = TrainModel(2, 1, 5);
    reg.models["2"] = TrainModel(2, 2, 8);
    reg.models["3"] = TrainModel(3, 3, 5);
    reg.refs = {{"churn@production", "1"}, {"churn@staging", "2"}, {"iris@production", "3"}};
  }

  // Model "4": trained on x1 alone (the other models take x1, x2, color).
  void AddNarrowModel() {
    const Table full = MakeData(2, 4);
    TrainRequest req;
    req.target = "y";
    req.params = {{"num_boost_round", "3"}};
    req.threads = 1;
    Table narrow(Schema({{"x1", DataType::kFloat64}, {"y", DataType::kInt64}}),
                 {full.column("x1"), full.column("y")});
    reg.models["4"] = std::make_shared<const Predictor>(Train(narrow, req).bundle);
  }
  void Start(EndpointConfig config, HandlerOptions options = {}) {
    host = std::make_unique<ModelHost>(config, reg.Source(), &metrics);
    handler = std::make_unique<Handler>(*host, metrics, options);
  }

  HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::map<std::string, std::string> headers = {}) {
    // The request's views point into these strings, kept until the next call.
    held = std::move(headers);
    held_body = std::move(body);
    held_method = std::move(method);
    held_target = std::move(target);
    HttpRequest req;
    req.method = held_method;
    req.target = held_target;
    req.body = held_body;
    req.content_type = held["Content-Type"];
    req.accept = held["Accept"];
    req.authorization = held["Authorization"];
    req.target_model = held["X-Amzn-SageMaker-Target-Model"];
    req.target_variant = held["X-Amzn-SageMaker-Target-Variant"];
    req.custom_attributes = held["X-Amzn-SageMaker-Custom-Attributes"];
    req.inference_id = held["X-Amzn-SageMaker-Inference-Id"];
    HttpResponse res;
    handler->Handle(req, &res);
    return res;
  }

  static std::string Header(const HttpResponse& res, const std::string& name) {
    for (const auto& [k, v] : res.headers) {
      if (k == name) return v;
    }
    return "";
  }

  FakeRegistry reg;
  ServerMetrics metrics;
  std::unique_ptr<ModelHost> host;
  std::unique_ptr<Handler> handler;
  std::map<std::string, std::string> held;
  std::string held_body, held_method, held_target;
};

EndpointConfig OneModel(const std::string& ref) {
  EndpointConfig c;
  c.models.push_back(ModelFromRef(ref));
  return c;
}

TEST_F(HandlerTest, CsvAndJsonInvocationsEqualThePredictor) {
  Start(OneModel("churn@production"));
  // Missing values and an unseen category too: the server's fast path (records encoded without
  // a table) must give what Predictor::Predict gives.
  const std::string csv = "0.5,-1.25,red\n-2,0.5,blue\n,0.25,green\n1.5,,\n";
  HttpResponse res = Call("POST", "/invocations", csv, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.content_type, "text/csv");
  EXPECT_EQ(Header(res, "X-Amzn-Invoked-Production-Variant"), "production");
  EXPECT_EQ(Header(res, "X-Mloop-Model-Version"), "m/1");

  RecordBatch batch(reg.models["1"]->inputs(), kTokens);
  batch.ParseBody(csv, RecordFormat::kCsv);
  Table expected = reg.models["1"]->Predict(batch.Finish());
  std::string want;
  WritePredictions(expected, RecordFormat::kCsv, {}, &want);
  EXPECT_EQ(res.body, want);

  res = Call("POST", "/invocations",
             R"([{"x1": 0.5, "x2": -1.25, "color": "red"}, {"x1": -2, "x2": 0.5, "color": "blue"},)"
             R"({"x1": null, "x2": 0.25, "color": "green"}, [1.5, null, null]])",
             {{"Content-Type", "application/json"}, {"Accept", "text/csv"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, want);

  res = Call("POST", "/invocations", csv,
             {{"Content-Type", "text/csv"},
              {"Accept", "application/json"},
              {"X-Amzn-SageMaker-Custom-Attributes", "trace=7"}});
  const auto j = nlohmann::json::parse(res.body);
  ASSERT_EQ(j["predictions"].size(), 4u);
  EXPECT_TRUE(j["predictions"][0]["prediction"].is_number_integer());  // an int64 target
  EXPECT_EQ(j["predictions"][1]["probability"].get<double>(), expected.column(1).f64()[1]);
  EXPECT_EQ(Header(res, "X-Amzn-SageMaker-Custom-Attributes"), "trace=7");
}

TEST_F(HandlerTest, BadRequestsGetClearStatuses) {
  Start(OneModel("churn@production"));
  HttpResponse res = Call("POST", "/invocations", "0.5,abc,red\n", {{"Content-Type", "text/csv"}});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(Header(res, "X-Amzn-Invoked-Production-Variant"), "production");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["record"], 1);
  EXPECT_EQ(j["field"], "x2");
  EXPECT_CONTAINS(j["error"].get<std::string>(), "expected a number");

  res = Call("POST", "/invocations", R"({"x1": 1, "x2": 2, "colour": "red"})",
             {{"Content-Type", "application/json"}});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(nlohmann::json::parse(res.body)["field"], "colour");

  EXPECT_EQ(Call("POST", "/invocations", "", {{"Content-Type", "text/csv"}}).status, 400);
  // An empty body has no records, whatever its type (JSON once said "malformed JSON").
  for (const char* type : {"text/csv", "application/json", "application/jsonlines"}) {
    const HttpResponse empty = Call("POST", "/invocations", " \n", {{"Content-Type", type}});
    EXPECT_EQ(empty.status, 400) << type;
    EXPECT_EQ(nlohmann::json::parse(empty.body)["error"], "the request has no records") << type;
  }
  EXPECT_EQ(Call("POST", "/invocations", "x", {{"Content-Type", "image/png"}}).status, 415);
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Accept", "application/x-npy"}}).status, 406);
  EXPECT_EQ(
      Call("POST", "/invocations", "1,2,red", {{"X-Amzn-SageMaker-Target-Model", "nope"}}).status,
      404);
  EXPECT_EQ(
      Call("POST", "/invocations", "1,2,red", {{"X-Amzn-SageMaker-Target-Variant", "nope"}}).status,
      400);
  EXPECT_EQ(Call("GET", "/invocations").status, 405);
  EXPECT_EQ(Call("GET", "/nowhere").status, 404);
  // Accept with quality values: the most preferred type mloop writes; q=0 refuses a type.
  HttpResponse q = Call("POST", "/invocations", "1,2,red",
                        {{"Accept", "application/jsonlines;q=0.1, application/json"}});
  EXPECT_EQ(q.content_type, "application/json");
  q = Call("POST", "/invocations", "1,2,red",
           {{"Accept", "image/png, application/jsonlines;q=0.5, */*;q=0.2"}});
  EXPECT_EQ(q.content_type, "application/jsonlines");
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Accept", "text/csv;q=0"}}).status, 406);
  // The most specific range decides: text/csv;q=0 refuses CSV even beside */*.
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Accept", "text/csv;q=0, */*"}}).content_type,
            "application/json");
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red",
                 {{"Accept", "application/json;q=0, application/*;q=0.5, text/csv;q=0.4"}})
                .content_type,
            "application/jsonlines");
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Accept", "*/*"}}).content_type, "text/csv");
  // No Content-Type: CSV, as SageMaker's containers assume.
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red").status, 200);
  // Values XGBoost refuses (infinite as float32): 400 naming the record (also as "record") and
  // the feature, no stack trace.
  for (const char* body : {"inf,2,red\n", "1,2,red\n1,-1e39,red\n"}) {
    res = Call("POST", "/invocations", body, {{"Content-Type", "text/csv"}});
    EXPECT_EQ(res.status, 400) << body << res.body;
    const auto j = nlohmann::json::parse(res.body);
    const std::string error = j["error"].get<std::string>();
    EXPECT_CONTAINS(error, body[0] == 'i'
                               ? "record 1, field 'x1': inf is infinite"
                               : "record 2, field 'x2': -1e+39 is beyond float32's range");
    EXPECT_EQ(j["record"], body[0] == 'i' ? 1 : 2);
    EXPECT_EQ(j["field"], body[0] == 'i' ? "x1" : "x2");
    EXPECT_EQ(error.find("Stack trace"), std::string::npos);
  }
}

// What a model's recipe refuses, or a value a linear model cannot take, is the client's bad
// record (400 naming record and field), as for XGBoost; never the model's failure (424).
TEST_F(HandlerTest, RecipeAndLinearRefusalsNameTheRecord) {
  const Recipe recipe = Recipe::Parse(
      "steps:\n  - one_hot: {columns: color, handle_unknown: error}\n"
      "  - derive: ratio = x1 / x2\n");
  for (const char* algorithm : {"xgboost", "logistic"}) {
    TrainRequest req;
    req.algorithm = algorithm;
    req.target = "y";
    req.recipe = &recipe;
    req.threads = 1;
    if (std::string(algorithm) == "xgboost") req.params = {{"num_boost_round", "3"}};
    reg.models[algorithm] = std::make_shared<const Predictor>(Train(MakeData(2, 5), req).bundle);
    reg.refs[std::string(algorithm) + "@production"] = algorithm;
  }
  for (const char* ref : {"xgboost@production", "logistic@production"}) {
    Start(OneModel(ref));
    HttpResponse res = Call("POST", "/invocations", "1,2,red\n1,2,green\n");
    EXPECT_EQ(res.status, 400) << ref << res.body;
    auto j = nlohmann::json::parse(res.body);
    EXPECT_EQ(j["record"], 2) << ref;
    EXPECT_EQ(j["field"], "color") << ref;
    EXPECT_EQ(j["error"],
              "record 2, field 'color': step 1 (one_hot): 'green' was not seen when the recipe "
              "was fitted")
        << ref;
    // x2 = 0: the derived ratio is infinite (a feature, not an input: no field).
    res = Call("POST", "/invocations", "1,2,red\n1,0,red\n");
    EXPECT_EQ(res.status, 400) << ref << res.body;
    j = nlohmann::json::parse(res.body);
    EXPECT_EQ(j["record"], 2) << ref;
    EXPECT_FALSE(j.contains("field")) << ref;
    EXPECT_CONTAINS(j["error"].get<std::string>(), "record 2: feature 'ratio': inf is infinite");
  }
}

// The variants and the shadow of one model must take the same records: refused at start.
TEST_F(HandlerTest, VariantsWithOtherInputsAreRefused) {
  AddNarrowModel();
  reg.refs["narrow@production"] = "4";
  EndpointConfig c = OneModel("churn@production");
  c.models[0].variants.push_back(VariantConfig{"B", "narrow@production", 1.0});
  try {
    Start(c);
    ADD_FAILURE() << "started";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()),
                    "variant 'B' (narrow@production) takes other inputs than variant");
    EXPECT_CONTAINS(std::string(e.what()),
                    "x1:float64 against x1:float64, x2:float64, color:string");
  }
  c = OneModel("churn@production");
  c.models[0].shadow = ShadowConfig{"s", "narrow@production", 1.0};
  EXPECT_THROW(Start(c), Error);
}

// ... and answer alike: a binary and a 3-class model on the same inputs are not variants of one
// endpoint (half the answers would have other fields), an alias moving from one to the other
// keeps the served version; a shadow's answers are only compared, so it may differ.
TEST_F(HandlerTest, VariantsAndSwapsThatAnswerOtherwiseAreRefused) {
  EndpointConfig c = OneModel("churn@production");
  c.models[0].variants.push_back(VariantConfig{"B", "iris@production", 1.0});
  try {
    Start(c);
    ADD_FAILURE() << "started";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()),
                    "variant 'B' (iris@production) answers otherwise than variant");
    EXPECT_CONTAINS(std::string(e.what()), "multiclass predictions against binary");
  }
  c = OneModel("churn@production");
  c.models[0].shadow = ShadowConfig{"s", "iris@production", 1.0};
  Start(c);
  {
    std::lock_guard lock(reg.mu);
    reg.refs["churn@production"] = "3";
  }
  auto changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_CONTAINS(changes[0], "churn/production: kept m/1");
  EXPECT_CONTAINS(changes[0], "answers otherwise than the endpoint (multiclass predictions");
  EXPECT_EQ(Header(Call("POST", "/invocations", "1,2,red"), "X-Mloop-Model-Version"), "m/1");
}

// ... and when an alias moves to a version with other inputs, the served one is kept: the
// version would read every request's values as the wrong features.
TEST_F(HandlerTest, HotSwapToOtherInputsKeepsTheServedVersion) {
  AddNarrowModel();
  Start(OneModel("churn@production"));
  {
    std::lock_guard lock(reg.mu);
    reg.refs["churn@production"] = "4";
  }
  auto changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_CONTAINS(changes[0], "churn/production: kept m/1");
  EXPECT_CONTAINS(changes[0], "takes other inputs (x1:float64)");
  EXPECT_CONTAINS(metrics.Render(),
                  "mloop_model_load_failures_total{model=\"churn\",variant=\"production\"} 1");
  HttpResponse res = Call("POST", "/invocations", "1,2,red");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(Header(res, "X-Mloop-Model-Version"), "m/1");
}

// V2 cells follow the JSON rules of /invocations: an int64 input takes 70.0 and 7e1 (not 70.5),
// and a JSON string is text for a string input ("" and "NA" are not missing).
TEST_F(HandlerTest, V2CellsFollowTheJsonRulesOfInvocations) {
  {
    const Table full = MakeData(2, 4);
    ColumnBuilder n(DataType::kInt64);
    for (int64_t i = 0; i < full.num_rows(); ++i) n.AppendInt(i % 50);
    Table counts(Schema({{"n", DataType::kInt64}, {"y", DataType::kInt64}}),
                 {n.Finish(), full.column("y")});
    TrainRequest req;
    req.target = "y";
    req.params = {{"num_boost_round", "3"}};
    req.threads = 1;
    reg.models["5"] = std::make_shared<const Predictor>(Train(counts, req).bundle);
    reg.refs["count@production"] = "5";
  }
  TempDir dir;
  CaptureWriter capture(FullCapture(dir.path()), &metrics);
  HandlerOptions o;
  o.capture = &capture;
  EndpointConfig c = OneModel("count@production");
  c.models.push_back(ModelFromRef("churn@production"));
  Start(c, o);
  HttpResponse res = Call(
      "POST", "/v2/models/count/infer",
      R"({"inputs": [{"name": "n", "shape": [3], "datatype": "INT64", "data": [70.0, 7e1, 3]}]})");
  EXPECT_EQ(res.status, 200) << res.body;
  res = Call("POST", "/v2/models/count/infer",
             R"({"inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [70.5]}]})");
  EXPECT_EQ(res.status, 400) << res.body;
  // One tensor that fits no layout, named nearly like an input: that input is suggested.
  res = Call("POST", "/v2/models/churn/infer",
             R"({"inputs": [{"name": "colr", "shape": [2], "datatype": "BYTES",
                 "data": ["red", "blue"]}]})");
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_CONTAINS(res.body, "no input is named 'colr' (did you mean 'color'?)");
  // A UTF-8 byte order mark is skipped, as /invocations skips it.
  res = Call("POST", "/v2/models/count/infer",
             "\xEF\xBB\xBF{\"inputs\": [{\"name\": \"n\", \"shape\": [1], \"datatype\": \"INT64\", "
             "\"data\": [7]}]}");
  EXPECT_EQ(res.status, 200) << res.body;
  res = Call("POST", "/v2/models/churn/infer",
             R"({"inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "BYTES",
                 "data": [[0.5, -1.25, "NA"], [-2, 0.5, ""]]}]})");
  ASSERT_EQ(res.status, 200) << res.body;
  capture.Flush();
  const auto lines = CapturedLines(dir / "capture", "/churn/");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["input"]["color"], "NA");
  EXPECT_EQ(lines[1]["input"]["color"], "");
}

// A version rejected while served, or an alias moved to a rejected version, is served all the
// same (a rollback may need it) but never silently: the refresh says so once.
TEST_F(HandlerTest, RefreshWarnsOnceAboutARejectedVersion) {
  Start(OneModel("churn@production"));
  {
    std::lock_guard lock(reg.mu);
    reg.rejected = {"1", "2"};
  }
  auto changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0],
            "churn/production: warning: m/1 is Rejected in the registry; it is served all the "
            "same");
  EXPECT_TRUE(host->Refresh().empty());
  {
    std::lock_guard lock(reg.mu);
    reg.refs["churn@production"] = "2";
  }
  changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], "churn/production: m/1 -> m/2 (warning: m/2 is Rejected in the registry)");
  EXPECT_TRUE(host->Refresh().empty());
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red").status, 200);
}

// An alias moved to another version of the same bundle (a run registered twice) loads nothing,
// but the version in headers and metrics follows it.
TEST_F(HandlerTest, AliasMovedToTheSameBundleReportsTheNewVersion) {
  Start(OneModel("churn@production"));
  {
    std::lock_guard lock(reg.mu);
    reg.named["churn@production"] = "churn/7";  // still hash 1
  }
  auto changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], "churn/production: m/1 -> churn/7 (the same model)");
  EXPECT_EQ(Header(Call("POST", "/invocations", "1,2,red"), "X-Mloop-Model-Version"), "churn/7");
  EXPECT_CONTAINS(metrics.Render(),
                  "mloop_model_info{model=\"churn\",variant=\"production\",version=\"churn/7\"");
  EXPECT_TRUE(host->Refresh().empty());
}

// Two references to one bundle (a run registered twice: churn/2 and churn/4) load it once but
// each reports its own version, in headers, /metrics and KServe V2's version routes.
TEST_F(HandlerTest, VariantsOfOneBundleKeepTheirOwnVersions) {
  reg.refs["churn/2"] = "1";
  reg.refs["churn/4"] = "1";
  reg.named = {{"churn/2", "churn/2"}, {"churn/4", "churn/4"}};
  reg.versions = {{"churn/2", "2"}, {"churn/4", "4"}};
  EndpointConfig c;
  ModelEndpointConfig m;
  m.name = "churn";
  m.variants = {{"A", "churn/2", 0.5}, {"B", "churn/4", 0.5}};
  c.models.push_back(m);
  Start(c);
  for (const char* variant : {"A", "B"}) {
    HttpResponse res =
        Call("POST", "/invocations", "1,2,red", {{"X-Amzn-SageMaker-Target-Variant", variant}});
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(Header(res, "X-Mloop-Model-Version"),
              std::string(variant) == "A" ? "churn/2" : "churn/4");
  }
  EXPECT_EQ(host->Find("churn")->variants()[0]->model()->predictor,
            host->Find("churn")->variants()[1]->model()->predictor);
  EXPECT_CONTAINS(metrics.Render(),
                  "mloop_model_info{model=\"churn\",variant=\"B\",version=\"churn/4\"");
  EXPECT_EQ(Call("GET", "/v2/models/churn/versions/4/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/churn/versions/2/ready").status, 200);
  // Both references moved to one new bundle in one refresh: it loads once, and each variant
  // still reports its own version.
  {
    std::lock_guard lock(reg.mu);
    reg.refs["churn/2"] = "2";
    reg.refs["churn/4"] = "2";
    reg.named = {{"churn/2", "churn/5"}, {"churn/4", "churn/6"}};
    reg.versions = {{"churn/2", "5"}, {"churn/4", "6"}};
  }
  EXPECT_EQ(host->Refresh().size(), 2u);
  for (const char* variant : {"A", "B"}) {
    EXPECT_EQ(Header(Call("POST", "/invocations", "1,2,red",
                          {{"X-Amzn-SageMaker-Target-Variant", variant}}),
                     "X-Mloop-Model-Version"),
              std::string(variant) == "A" ? "churn/5" : "churn/6");
  }
  EXPECT_EQ(host->Find("churn")->variants()[0]->model()->predictor,
            host->Find("churn")->variants()[1]->model()->predictor);
}

TEST_F(HandlerTest, MultiModelServerRoutesByHeader) {
  EndpointConfig c = OneModel("churn@production");
  c.models.push_back(ModelFromRef("iris@production"));
  Start(c);
  HttpResponse res = Call("POST", "/invocations", "1,2,red", {});
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "X-Amzn-SageMaker-Target-Model");
  res = Call("POST", "/invocations", "1,2,red",
             {{"X-Amzn-SageMaker-Target-Model", "iris"}, {"Accept", "application/json"}});
  ASSERT_EQ(res.status, 200) << res.body;
  const auto p = nlohmann::json::parse(res.body)["predictions"][0];
  EXPECT_TRUE(p.contains("probability_0") && p.contains("probability_2")) << res.body;
}

TEST_F(HandlerTest, VariantsSplitTrafficAndTheHeaderPicksOne) {
  EndpointConfig c;
  ModelEndpointConfig m;
  m.name = "churn";
  m.variants = {{"A", "churn@production", 0.5}, {"B", "churn@staging", 0.5}};
  c.models.push_back(m);
  Start(c);
  std::map<std::string, int> seen;
  for (int i = 0; i < 200; ++i) {
    HttpResponse res = Call("POST", "/invocations", "1,2,red");
    ASSERT_EQ(res.status, 200);
    ++seen[Header(res, "X-Amzn-Invoked-Production-Variant")];
  }
  EXPECT_GT(seen["A"], 50);
  EXPECT_GT(seen["B"], 50);
  for (int i = 0; i < 20; ++i) {
    HttpResponse res =
        Call("POST", "/invocations", "1,2,red", {{"X-Amzn-SageMaker-Target-Variant", "B"}});
    EXPECT_EQ(Header(res, "X-Amzn-Invoked-Production-Variant"), "B");
    EXPECT_EQ(Header(res, "X-Mloop-Model-Version"), "m/2");
  }
  const std::string text = metrics.Render();
  EXPECT_CONTAINS(text, "mloop_requests_total{model=\"churn\",variant=\"B\",code=\"200\"}");
  EXPECT_CONTAINS(text, "mloop_predictions_total{model=\"churn\",variant=\"A\",class=\"1\"}");
  EXPECT_CONTAINS(text, "mloop_request_duration_seconds_bucket{model=\"churn\",variant=\"A\",le=");
  EXPECT_CONTAINS(text, "mloop_prediction_probability_count{model=\"churn\",variant=\"A\"}");
  EXPECT_CONTAINS(text,
                  "mloop_model_info{model=\"churn\",variant=\"B\",version=\"m/2\",hash=\"2\"} 1");
}

// /metrics shows where a regression model's predictions fall among its training target's
// percentiles, and how many records each cluster of a k-means model received.
TEST_F(HandlerTest, MetricsBucketRegressionsAndCountClusters) {
  ColumnBuilder x(DataType::kFloat64), y(DataType::kFloat64);
  for (int i = 0; i < 100; ++i) {
    x.AppendDouble(i);
    y.AppendDouble(i);
  }
  const Table line(Schema({{"x1", DataType::kFloat64}, {"y", DataType::kFloat64}}),
                   {x.Finish(), y.Finish()});
  TrainRequest req;
  req.algorithm = "linear";
  req.target = "y";
  req.split.kind = SplitSpec::Kind::kNone;
  req.threads = 1;
  const TrainResult regression = Train(line, req);
  // numpy.percentile(range(100), [1, 5, 10, 20, ..., 90, 95, 99])
  const std::vector<double> expected = {0.99, 4.95, 9.9,  19.8, 29.7,  39.6, 49.5,
                                        59.4, 69.3, 79.2, 89.1, 94.05, 98.01};
  const auto buckets =
      regression.bundle.manifest.at("prediction_buckets").get<std::vector<double>>();
  ASSERT_EQ(buckets.size(), expected.size());
  for (size_t i = 0; i < buckets.size(); ++i) EXPECT_NEAR(buckets[i], expected[i], 1e-12);
  reg.models["5"] = std::make_shared<const Predictor>(regression.bundle);

  TrainRequest kreq;
  kreq.algorithm = "kmeans";
  kreq.params = {{"k", "3"}};
  kreq.threads = 1;
  const Table data = MakeData(2, 5);
  const Table xs(Schema({{"x1", DataType::kFloat64}, {"x2", DataType::kFloat64}}),
                 {data.column("x1"), data.column("x2")});
  const TrainResult clusters = Train(xs, kreq);
  EXPECT_EQ(clusters.bundle.manifest.at("clusters"), 3);
  reg.models["6"] = std::make_shared<const Predictor>(clusters.bundle);
  reg.refs["price@production"] = "5";
  reg.refs["segments@production"] = "6";

  EndpointConfig c;
  c.models.push_back(ModelFromRef("price@production"));
  c.models.push_back(ModelFromRef("segments@production"));
  Start(c);
  const std::map<std::string, std::string> price = {{"X-Amzn-SageMaker-Target-Model", "price"}};
  ASSERT_EQ(Call("POST", "/invocations", "0.5\n5\n50\n120", price).status, 200);
  const std::map<std::string, std::string> seg = {{"X-Amzn-SageMaker-Target-Model", "segments"}};
  ASSERT_EQ(Call("POST", "/invocations", "0,0\n1,1\n-1,-1\n2,0\n0,2", seg).status, 200);

  const std::string text = metrics.Render();
  const std::string labels = "model=\"price\",variant=\"production\"";
  EXPECT_CONTAINS(text, "# TYPE mloop_prediction_value histogram");
  EXPECT_CONTAINS(text, "mloop_prediction_value_bucket{" + labels + ",le=\"0.99\"} 1\n");
  EXPECT_CONTAINS(text, "mloop_prediction_value_bucket{" + labels + ",le=\"4.95\"} 1\n");
  EXPECT_CONTAINS(text, "mloop_prediction_value_bucket{" + labels + ",le=\"9.9\"} 2\n");
  EXPECT_CONTAINS(text, "mloop_prediction_value_bucket{" + labels + ",le=\"59.4\"} 3\n");
  EXPECT_CONTAINS(text, "mloop_prediction_value_bucket{" + labels + ",le=\"98.01\"} 3\n");
  EXPECT_CONTAINS(text, "mloop_prediction_value_bucket{" + labels + ",le=\"+Inf\"} 4\n");
  EXPECT_CONTAINS(text, "mloop_prediction_value_count{" + labels + "} 4\n");
  // Three cluster series, from the start, whose counts add up to the records sent.
  int64_t total = 0;
  for (int k = 0; k < 3; ++k) {
    const std::string series =
        "mloop_predictions_total{model=\"segments\",variant=\"production\","
        "class=\"" +
        std::to_string(k) + "\"} ";
    const size_t at = text.find(series);
    ASSERT_NE(at, std::string::npos) << text;
    total += std::stoll(text.substr(at + series.size()));
  }
  EXPECT_EQ(total, 5);
  EXPECT_EQ(text.find("class=\"3\""), std::string::npos);
}

// Two clustering models number their clusters independently: they cannot be variants of one
// endpoint, and a shadow's answers are not compared (no disagreement or difference series);
// a version with another number of clusters answers otherwise.
TEST_F(HandlerTest, ClusteringModelsAreNotComparedOrSplit) {
  const Table data = MakeData(2, 5);
  const Table xs(Schema({{"x1", DataType::kFloat64}, {"x2", DataType::kFloat64}}),
                 {data.column("x1"), data.column("x2")});
  for (const auto& [k, seed] : {std::pair{"3", 42}, {"4", 42}, {"5", 7}}) {
    TrainRequest kreq;
    kreq.algorithm = "kmeans";
    kreq.params = {{"k", std::string(k) == "5" ? "3" : k}};  // seg/5: 3 clusters, another seed
    kreq.seed = seed;
    kreq.threads = 1;
    reg.models[std::string("k") + k] = std::make_shared<const Predictor>(Train(xs, kreq).bundle);
    reg.refs[std::string("seg/") + k] = std::string("k") + k;
  }
  EndpointConfig c = OneModel("seg/3");
  c.models[0].variants.push_back(VariantConfig{"B", "seg/5", 1.0});
  try {
    Start(c);
    ADD_FAILURE() << "started";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()), "are two clustering models, whose cluster numbers");
  }
  c = OneModel("seg/3");
  c.models[0].variants.push_back(VariantConfig{"B", "seg/4", 1.0});
  try {
    Start(c);
    ADD_FAILURE() << "started";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()), "answers otherwise");
    EXPECT_CONTAINS(std::string(e.what()), "4 clusters against 3");
  }
  c = OneModel("seg/3");
  c.models[0].shadow = ShadowConfig{"challenger", "seg/4", 1.0};
  WorkQueue queue(64);
  HandlerOptions o;
  o.shadow_queue = &queue;
  Start(c, o);
  ASSERT_EQ(Call("POST", "/invocations", "0,0\n1,1\n-1,-1\n2,0\n0,2").status, 200);
  queue.Flush();
  const std::string text = metrics.Render();
  EXPECT_CONTAINS(text, "mloop_shadow_records_total{model=\"seg\",variant=\"challenger\"} 5");
  EXPECT_EQ(text.find("mloop_shadow_disagreements_total{"), std::string::npos) << text;
  EXPECT_EQ(text.find("mloop_shadow_abs_diff_total{"), std::string::npos) << text;
  // Variants on one model may follow their aliases only together.
  reg.refs["seg@a"] = reg.refs["seg@b"] = "k3";
  c = OneModel("seg@a");
  c.models[0].variants.push_back(VariantConfig{"b", "seg@b", 1.0});
  Start(c);
  {
    std::lock_guard lock(reg.mu);
    reg.refs["seg@b"] = "k5";  // 3 clusters too, numbered otherwise
  }
  auto changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_CONTAINS(changes[0], "seg/b: kept");
  EXPECT_CONTAINS(changes[0], "would be two clustering models");
  {
    std::lock_guard lock(reg.mu);
    reg.refs["seg@a"] = "k5";  // now both move
  }
  changes = host->Refresh();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].find("kept"), std::string::npos) << changes[0];
  EXPECT_EQ(changes[1].find("kept"), std::string::npos) << changes[1];
}

TEST_F(HandlerTest, HotSwapWhenTheAliasMoves) {
  std::vector<std::string> log;  // what the server logs: reload's changes too
  HandlerOptions options;
  options.log = [&log](const std::string& line) { log.push_back(line); };
  Start(OneModel("churn@production"), options);
  EXPECT_EQ(Header(Call("POST", "/invocations", "1,2,red"), "X-Mloop-Model-Version"), "m/1");
  EXPECT_TRUE(host->Refresh().empty());
  {
    std::lock_guard lock(reg.mu);
    reg.refs["churn@production"] = "2";
  }
  HttpResponse res = Call("POST", "/admin/reload");
  ASSERT_EQ(res.status, 200);
  EXPECT_CONTAINS(res.body, "churn/production: m/1 -> m/2");
  EXPECT_EQ(Header(Call("POST", "/invocations", "1,2,red"), "X-Mloop-Model-Version"), "m/2");
  EXPECT_CONTAINS(metrics.Render(),
                  "mloop_model_swaps_total{model=\"churn\",variant=\"production\"} 1");
  // A reference that stops resolving keeps the served version, and says so.
  {
    std::lock_guard lock(reg.mu);
    reg.refs.erase("churn@production");
  }
  auto changes = host->Refresh();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_CONTAINS(changes[0], "kept m/2");
  // The same failure at the next polls is not counted or logged again; an explicit reload
  // still says so.
  EXPECT_TRUE(host->Refresh().empty());
  HttpResponse again = Call("POST", "/admin/reload");
  EXPECT_CONTAINS(again.body, "churn/production: kept m/2");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "reload: churn/production: m/1 -> m/2");
  EXPECT_EQ(log[1].rfind("reload: churn/production: kept m/2", 0), 0u) << log[1];
  EXPECT_CONTAINS(metrics.Render(),
                  "mloop_model_load_failures_total{model=\"churn\",variant=\"production\"} 1");
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red").status, 200);
  auto models = nlohmann::json::parse(Call("GET", "/admin/models").body);
  EXPECT_EQ(models["models"][0]["variants"][0]["serving"], "m/2");
}

TEST_F(HandlerTest, ShadowAnswersAreComparedNeverReturned) {
  EndpointConfig c = OneModel("churn@production");
  c.models[0].shadow = ShadowConfig{"challenger", "churn@staging", 1.0};
  WorkQueue queue(64);
  HandlerOptions o;
  o.shadow_queue = &queue;
  Start(c, o);
  for (int i = 0; i < 10; ++i) {
    HttpResponse res = Call("POST", "/invocations", "1,2,red\n-1,0.5,blue\n");
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(Header(res, "X-Mloop-Model-Version"), "m/1");
  }
  queue.Flush();
  const std::string text = metrics.Render();
  EXPECT_CONTAINS(text, "mloop_shadow_requests_total{model=\"churn\",variant=\"challenger\"} 10");
  EXPECT_CONTAINS(text, "mloop_shadow_records_total{model=\"churn\",variant=\"challenger\"} 20");
  // The shadow's latency: its predictions' times.
  EXPECT_CONTAINS(
      text, "mloop_request_duration_seconds_count{model=\"churn\",variant=\"challenger\"} 10");
  EXPECT_CONTAINS(text, "mloop_shadow_disagreements_total{model=\"churn\",variant=\"challenger\"}");
  EXPECT_CONTAINS(text, "mloop_shadow_abs_diff_total{model=\"churn\",variant=\"challenger\"}");
  // As Prometheus' own lint (promtool check metrics) wants: every counter ends in _total, and
  // each series has its own help.
  std::set<std::string> helps;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0 && line.ends_with(" counter")) {
      const std::string name = line.substr(7, line.size() - 7 - 8);
      EXPECT_TRUE(name.ends_with("_total")) << line;
    }
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string help = line.substr(line.find(' ', 7) + 1);
      EXPECT_TRUE(helps.insert(help).second) << "repeated help: " << line;
    }
  }
}

// Without the client's X-Amzn-SageMaker-Inference-Id, the answer's and the shadow's capture
// lines still share one inference id, so that they (and ground truth) can be joined.
TEST_F(HandlerTest, ShadowCaptureSharesTheAnswersInferenceId) {
  TempDir dir;
  CaptureWriter capture(FullCapture(dir.path()), &metrics);
  EndpointConfig c = OneModel("churn@production");
  c.models[0].shadow = ShadowConfig{"challenger", "churn@staging", 1.0};
  WorkQueue queue(64);
  HandlerOptions o;
  o.capture = &capture;
  o.shadow_queue = &queue;
  Start(c, o);
  ASSERT_EQ(Call("POST", "/invocations", "1,2,red\n").status, 200);
  queue.Flush();
  capture.Flush();
  std::map<std::string, std::string> id_by_variant;
  for (const auto& j : CapturedLines(dir / "capture"))
    id_by_variant[j["variant"]] = j["inference_id"];
  ASSERT_EQ(id_by_variant.size(), 2u);
  EXPECT_FALSE(id_by_variant["production"].empty());
  EXPECT_EQ(id_by_variant["production"], id_by_variant["challenger"]);
}

// Two variants serving one version: /versions/{v} takes a variant's name too, so that V2
// clients can reach either (the version number reaches the first).
TEST_F(HandlerTest, KServeV2VersionsTakeAVariantName) {
  EndpointConfig c = OneModel("churn@production");
  c.models[0].variants.push_back(VariantConfig{"B", "churn@production", 1.0});
  Start(c);
  const std::string body = R"({"inputs": [{"name": "input-0", "shape": [1, 3],
      "datatype": "BYTES", "data": [[0.5, -1.25, "red"]]}]})";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Call("POST", "/v2/models/churn/versions/B/infer", body).status, 200);
  }
  ASSERT_EQ(Call("POST", "/v2/models/churn/versions/1/infer", body).status, 200);
  const std::string text = metrics.Render();
  EXPECT_CONTAINS(text, "mloop_requests_total{model=\"churn\",variant=\"B\",code=\"200\"} 3");
  EXPECT_CONTAINS(text,
                  "mloop_requests_total{model=\"churn\",variant=\"production\",code=\"200\"} 1");
  HttpResponse res = Call("GET", "/v2/models/churn/versions/C");
  EXPECT_EQ(res.status, 404);
  EXPECT_CONTAINS(res.body, "has no version or variant 'C' in service");
}

TEST_F(HandlerTest, KServeV2) {
  Start(OneModel("churn@production"));
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 200);
  EXPECT_EQ(nlohmann::json::parse(Call("GET", "/v2").body)["name"], "mloop");
  auto meta = nlohmann::json::parse(Call("GET", "/v2/models/churn").body);
  EXPECT_EQ(meta["versions"][0], "1");
  EXPECT_EQ(meta["inputs"][2]["name"], "color");
  EXPECT_EQ(meta["inputs"][2]["datatype"], "BYTES");
  EXPECT_EQ(meta["outputs"][0]["datatype"], "INT64");
  EXPECT_EQ(Call("GET", "/v2/models/churn/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/nope").status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/churn/versions/7").status, 404);

  const std::string by_column = R"({"id": "r1", "inputs": [
      {"name": "x1", "shape": [2], "datatype": "FP64", "data": [0.5, -2]},
      {"name": "x2", "shape": [2], "datatype": "FP64", "data": [-1.25, 0.5]},
      {"name": "color", "shape": [2], "datatype": "BYTES", "data": ["red", "blue"]}]})";
  HttpResponse res = Call("POST", "/v2/models/churn/versions/1/infer", by_column);
  ASSERT_EQ(res.status, 200) << res.body;
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["model_name"], "churn");
  EXPECT_EQ(j["model_version"], "1");
  EXPECT_EQ(j["id"], "r1");
  // The headers /invocations answers with.
  EXPECT_EQ(Header(res, "X-Amzn-Invoked-Production-Variant"), "production");
  EXPECT_EQ(Header(res, "X-Mloop-Model-Version"), "m/1");
  // A CSV body (meant for /invocations) is a 415 saying where it goes; JSON with a charset and
  // curl's default form type are read as JSON.
  res = Call("POST", "/v2/models/churn/infer", "1,2,red", {{"Content-Type", "text/csv"}});
  EXPECT_EQ(res.status, 415);
  EXPECT_CONTAINS(res.body, "CSV and JSON Lines go to POST /invocations");
  EXPECT_EQ(Call("POST", "/v2/models/churn/infer", by_column,
                 {{"Content-Type", "application/json; charset=utf-8"}})
                .status,
            200);
  EXPECT_EQ(Call("POST", "/v2/models/churn/infer", by_column,
                 {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            200);
  std::string typo = by_column;
  typo.replace(typo.find("\"color\""), 7, "\"colour\"");
  res = Call("POST", "/v2/models/churn/infer", typo);
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "tensor 'colour' is not an input of the model (did you mean 'color'?)");
  EXPECT_EQ(Header(res, "X-Amzn-Invoked-Production-Variant"), "production");
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_EQ(j["outputs"][1]["name"], "probability");
  EXPECT_EQ(j["outputs"][1]["shape"][0], 2);

  const std::string one_tensor = R"({"inputs": [{"name": "input-0", "shape": [2, 3],
      "datatype": "BYTES", "data": [[0.5, -1.25, "red"], [-2, 0.5, "blue"]]}],
      "outputs": [{"name": "probability"}]})";
  HttpResponse res2 = Call("POST", "/v2/models/churn/infer", one_tensor);
  ASSERT_EQ(res2.status, 200) << res2.body;
  auto j2 = nlohmann::json::parse(res2.body);
  ASSERT_EQ(j2["outputs"].size(), 1u);
  EXPECT_EQ(j2["outputs"][0]["data"], j["outputs"][1]["data"]);

  res = Call("POST", "/v2/models/churn/infer",
             R"({"inputs": [{"name": "x1", "shape": [1], "datatype": "FP64", "data": [1]}]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "missing");
  res = Call("POST", "/v2/models/churn/infer",
             R"({"inputs": [{"name": "x1", "shape": [3], "datatype": "FP64", "data": [1]}]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "shape [3] does not hold the 1 values of its data");
  // Shapes whose product overflows, duplicate tensors, and mistyped id or outputs: 400.
  res = Call("POST", "/v2/models/churn/infer",
             R"({"inputs": [{"name": "x1", "shape": [4294967296, 4294967296], "data": [1]}]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "shape [4294967296, 4294967296] does not hold the 1 values");
  const std::string twice = R"({"inputs": [
      {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]},
      {"name": "x2", "shape": [1], "datatype": "FP64", "data": [0.5]},
      {"name": "x2", "shape": [1], "datatype": "FP64", "data": [1.5]},
      {"name": "color", "shape": [1], "datatype": "BYTES", "data": ["red"]}]})";
  res = Call("POST", "/v2/models/churn/infer", twice);
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "tensor 'x2' is given twice");
  const std::string one = R"("inputs": [{"name": "in", "shape": [1, 3], "datatype": "BYTES",
      "data": [0.5, -1.25, "red"]}])";
  EXPECT_EQ(Call("POST", "/v2/models/churn/infer", "{\"id\": 5, " + one + "}").status, 400);
  EXPECT_EQ(
      Call("POST", "/v2/models/churn/infer", "{\"outputs\": \"probability\", " + one + "}").status,
      400);
  EXPECT_EQ(Call("POST", "/v2/models/churn/infer", "{\"id\": \"a\", " + one + "}").status, 200);
  // Nested data follows the shape exactly: a ragged or half-nested body is not refilled row
  // by row; an input's own tensor holds one value per row.
  for (const char* data :
       {R"([[0.5, -1.25, "red", 1], [-2, 0.5]])", R"([[0.5, -1.25, "red"], -2, 0.5, "blue"])",
        R"([[[0.5], [-1.25], ["red"]], [[-2], [0.5], ["blue"]]])"}) {
    res = Call("POST", "/v2/models/churn/infer",
               std::string(
                   R"({"inputs": [{"name": "in", "shape": [2, 3], "datatype": "BYTES", "data": )") +
                   data + "}]}");
    EXPECT_EQ(res.status, 400) << data;
    EXPECT_CONTAINS(res.body, "nested data must follow the shape [2, 3] exactly");
  }
  EXPECT_EQ(Call("POST", "/v2/models/churn/infer",
                 R"({"inputs": [{"name": "in", "shape": [2, 3], "datatype": "BYTES",
                     "data": [0.5, -1.25, "red", -2, 0.5, "blue"]}]})")
                .status,
            200);
  const std::string square = R"({"inputs": [
      {"name": "x1", "shape": [2, 2], "datatype": "FP64", "data": [0.5, 1, 2, 3]},
      {"name": "x2", "shape": [4], "datatype": "FP64", "data": [0.5, 1, 2, 3]},
      {"name": "color", "shape": [4, 1], "datatype": "BYTES", "data": [["a"], ["b"], ["c"], ["d"]]}]})";
  res = Call("POST", "/v2/models/churn/infer", square);
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body,
                  "tensor 'x1' has shape [2, 2]; an input's tensor has shape [rows] or [rows, 1]");
  // An output asked for twice; a shape with a 0 holds no values (not "does not hold").
  res =
      Call("POST", "/v2/models/churn/infer",
           "{\"outputs\": [{\"name\": \"prediction\"}, {\"name\": \"prediction\"}], " + one + "}");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "output 'prediction' is requested twice");
  res = Call("POST", "/v2/models/churn/infer",
             R"({"inputs": [{"name": "in", "shape": [9, 0, 4294967296], "data": []}]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body.find("does not hold"), std::string::npos) << res.body;
}

// A model with one input takes a single tensor of one value per row whatever its name (the
// [rows, k] layout with k = 1); two values per row are neither layout.
TEST_F(HandlerTest, KServeV2OneInputModelTakesAnyTensorName) {
  AddNarrowModel();
  reg.refs["narrow@production"] = "4";
  Start(OneModel("narrow@production"));
  const std::string named = R"({"inputs": [{"name": "x1", "shape": [2], "data": [0.5, -2]}]})";
  HttpResponse res = Call("POST", "/v2/models/narrow/infer", named);
  ASSERT_EQ(res.status, 200) << res.body;
  const auto want = nlohmann::json::parse(res.body)["outputs"];
  for (const char* body :
       {R"({"inputs": [{"name": "input-0", "shape": [2], "data": [0.5, -2]}]})",
        R"({"inputs": [{"name": "x", "shape": [2, 1], "data": [[0.5], [-2]]}]})"}) {
    res = Call("POST", "/v2/models/narrow/infer", body);
    ASSERT_EQ(res.status, 200) << body << res.body;
    EXPECT_EQ(nlohmann::json::parse(res.body)["outputs"], want) << body;
  }
  res = Call("POST", "/v2/models/narrow/infer",
             R"({"inputs": [{"name": "x", "shape": [1, 2], "data": [0.5, -2]}]})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "one input tensor must have shape [rows, 1]");
}

TEST_F(HandlerTest, ApiKeysAndDraining) {
  TempDir dir;
  ApiKeys file;
  const std::string key = file.Create("ci", "2026-11-27T00:00:00Z");
  EXPECT_EQ(key.size(), 4u + 43u);
  file.Save(dir / "api_keys.json");
  LiveApiKeys keys(dir / "api_keys.json");
  HandlerOptions o;
  o.auth = true;
  o.keys = &keys;
  Start(OneModel("churn@production"), o);
  EXPECT_EQ(Call("GET", "/ping").status, 200);  // health checks need no key
  HttpResponse res = Call("POST", "/invocations", "1,2,red");
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(Header(res, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Authorization", "Bearer nope"}}).status,
            401);
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Authorization", "Bearer " + key}}).status,
            200);
  EXPECT_EQ(Call("GET", "/metrics").status, 401);
  // A key revoked in the file stops working at the next reload (the server's poll, or this).
  const std::map<std::string, std::string> with_key = {{"Authorization", "Bearer " + key}};
  file.Revoke("ci");
  const std::string other = file.Create("dashboard", "2026-11-27T00:00:00Z");
  file.Save(dir / "api_keys.json");
  res = Call("POST", "/admin/reload", "", with_key);
  EXPECT_EQ(res.status, 200);
  EXPECT_CONTAINS(res.body, "API keys reloaded from");
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", with_key).status, 401);
  EXPECT_EQ(Call("POST", "/invocations", "1,2,red", {{"Authorization", "Bearer " + other}}).status,
            200);
  handler->SetDraining(true);
  EXPECT_EQ(Call("GET", "/ping").status, 503);
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 503);
}

TEST_F(HandlerTest, ApiKeysFileKeepsOnlyHashes) {
  TempDir dir;
  const auto path = dir / "api_keys.json";
  ApiKeys keys = ApiKeys::Load(path);  // no file: no keys
  EXPECT_TRUE(keys.empty());
  const std::string key = keys.Create("alice", "2026-11-27T00:00:00Z");
  EXPECT_THROW(keys.Create("alice", "x"), Error);
  for (const char* bad : {"bad name!", "../x", "", "-ci"}) {
    EXPECT_THROW(keys.Create(bad, "x"), Error) << bad;
  }
  keys.Save(path);
  const std::string text = testing::ReadFile(path);
  EXPECT_EQ(text.find(key), std::string::npos);
  ApiKeys again = ApiKeys::Load(path);
  EXPECT_TRUE(again.Allows("Bearer " + key));
  again.Revoke("alice");
  EXPECT_FALSE(again.Allows("Bearer " + key));
  EXPECT_THROW(again.Revoke("alice"), Error);
}

TEST_F(HandlerTest, LiveApiKeysFollowTheFile) {
  TempDir dir;
  const auto path = dir / "api_keys.json";
  LiveApiKeys live(path);  // no file yet: no keys
  EXPECT_EQ(live.size(), 0u);
  EXPECT_FALSE(live.Refresh().has_value());  // nothing changed
  ApiKeys keys;
  const std::string key = keys.Create("ci", "2026-11-27T00:00:00Z");
  keys.Save(path);
  auto change = live.Refresh();
  ASSERT_TRUE(change.has_value());
  EXPECT_CONTAINS(*change, ": 1 key");
  EXPECT_TRUE(live.Allows("Bearer " + key));
  EXPECT_FALSE(live.Refresh().has_value());
  // A damaged file keeps the keys read before, and says so once.
  testing::WriteFile(path, "{not json");
  change = live.Refresh();
  ASSERT_TRUE(change.has_value());
  EXPECT_CONTAINS(*change, "the keys read before stay in force");
  EXPECT_TRUE(live.Allows("Bearer " + key));
  EXPECT_FALSE(live.Refresh().has_value());
  // The file removed: no keys.
  std::filesystem::remove(path);
  change = live.Refresh();
  ASSERT_TRUE(change.has_value());
  EXPECT_CONTAINS(*change, ": 0 keys");
  EXPECT_FALSE(live.Allows("Bearer " + key));
}

TEST_F(HandlerTest, CaptureWritesOneLinePerRecord) {
  TempDir dir;
  CaptureWriter capture(FullCapture(dir.path()), &metrics);
  HandlerOptions o;
  o.capture = &capture;
  Start(OneModel("churn@production"), o);
  HttpResponse res = Call("POST", "/invocations", "1,2,red\n-1,,blue\n",
                          {{"X-Amzn-SageMaker-Inference-Id", "inf-1"}});
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(Header(res, "X-Mloop-Inference-Id"), "inf-1");
  // Without the client's id, the one made here comes back, as the capture line holds it.
  res = Call("POST", "/invocations", "1,2,red\n");
  const std::string made = Header(res, "X-Mloop-Inference-Id");
  EXPECT_EQ(made.size(), 36u) << made;
  capture.Flush();
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "capture")) {
    if (!e.is_regular_file()) continue;
    EXPECT_EQ(e.path().extension(), ".jsonl");
    EXPECT_CONTAINS(e.path().string(), "/churn/production/");
  }
  auto lines = CapturedLines(dir / "capture");
  ASSERT_EQ(lines.size(), 3u);
  std::stable_sort(
      lines.begin(), lines.end(),
      [](const nlohmann::json& a, const nlohmann::json& b) { return a["time"] < b["time"]; });
  EXPECT_EQ(lines[2]["inference_id"], made);
  EXPECT_EQ(lines[0]["capture_version"], 1);
  EXPECT_EQ(lines[0]["inference_id"], "inf-1");
  EXPECT_EQ(lines[1]["record"], 2);
  EXPECT_EQ(lines[0]["model_version"], "m/1");
  EXPECT_EQ(lines[0]["input"]["color"], "red");
  EXPECT_TRUE(lines[1]["input"]["x2"].is_null());
  EXPECT_TRUE(lines[0]["output"].contains("probability"));
  EXPECT_NE(lines[0]["event_id"], lines[1]["event_id"]);
  EXPECT_CONTAINS(metrics.Render(), "mloop_capture_records_total 3");
}

// The capture directory removed while the server runs: the next records go to a new file (the
// directories made again), none into the removed one.
TEST(CaptureWriterTest, ARemovedCaptureDirectoryIsMadeAgain) {
  TempDir dir;
  ServerMetrics metrics;
  std::vector<std::string> log;
  CaptureWriter capture(FullCapture(dir.path()), &metrics,
                        [&](const std::string& line) { log.push_back(line); });
  capture.Write("m", "a", "{\"n\":1}\n", 1);
  capture.Flush();
  std::filesystem::remove_all(dir / "capture");
  capture.Write("m", "a", "{\"n\":2}\n", 1);
  capture.Write("m", "a", "{\"n\":3}\n", 1);
  capture.Flush();
  const auto lines = CapturedLines(dir / "capture");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["n"], 2);
  EXPECT_EQ(lines[1]["n"], 3);
  EXPECT_EQ(metrics.capture_records.load(), 3u);
  EXPECT_EQ(metrics.capture_dropped.load(), 0u);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_CONTAINS(log[0], "was removed");
}

// Capture never fails a request: records it cannot write are counted as dropped (not as
// captured), the failure is logged once, and the server still stops cleanly.
TEST_F(HandlerTest, CaptureThatCannotWriteDropsAndSaysSoOnce) {
  TempDir dir;
  CaptureConfig cc = FullCapture(dir.path());
  std::vector<std::string> log;
  auto capture = std::make_unique<CaptureWriter>(
      cc, &metrics, [&](const std::string& line) { log.push_back(line); });
  HandlerOptions o;
  o.capture = capture.get();
  Start(OneModel("churn@production"), o);
  std::filesystem::remove_all(dir / "capture");
  testing::WriteFile(dir / "capture", "not a directory");
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Call("POST", "/invocations", "1,2,red\n-1,,blue\n").status, 200);
  }
  capture->Flush();
  const std::string text = metrics.Render();
  EXPECT_CONTAINS(text, "mloop_capture_records_total 0");
  EXPECT_CONTAINS(text, "mloop_capture_dropped_total 4");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_CONTAINS(log[0], "capture: cannot open");
  EXPECT_CONTAINS(log[0], "captured records are dropped");
  std::filesystem::remove(dir / "capture");  // writable again
  ASSERT_EQ(Call("POST", "/invocations", "1,2,red\n").status, 200);
  capture->Flush();
  EXPECT_CONTAINS(metrics.Render(), "mloop_capture_records_total 1");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_CONTAINS(log[1], "capture: writing again");
  capture.reset();
  // A directory that cannot be written refuses to start.
  testing::WriteFile(dir / "file", "x");
  cc.dir = (dir / "file").string();
  EXPECT_THROW(CaptureWriter(cc, &metrics), Error);
}

TEST_F(HandlerTest, GroundTruthByInferenceId) {
  Start(OneModel("churn@production"));
  EXPECT_EQ(Call("POST", "/ground-truth", R"({"inference_id": "a", "label": 1})").status, 409);
  TempDir dir;
  CaptureWriter capture(FullCapture(dir.path()), &metrics);
  HandlerOptions o;
  o.capture = &capture;
  Start(OneModel("churn@production"), o);
  HttpResponse res = Call("POST", "/ground-truth",
                          "{\"inference_id\": \"inf-1\", \"label\": 1}\n"
                          "{\"inference_id\": \"inf-2\", \"record\": 3.0, \"label\": \"no\"}\n");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"accepted":2})");
  EXPECT_EQ(Call("POST", "/ground-truth", R"([{"inference_id": "inf-3", "label": 0.5}])").status,
            200);
  res = Call("POST", "/ground-truth", R"([{"inference_id": "x", "label": 1}, {"label": 1}])");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(nlohmann::json::parse(res.body)["entry"], 2);  // its position; "record" is a key
  EXPECT_FALSE(nlohmann::json::parse(res.body).contains("record"));
  EXPECT_EQ(
      Call("POST", "/ground-truth", R"({"inference_id": "x", "record": 0, "label": 1})").status,
      400);
  // A key given twice is refused (the first would join the label to another prediction).
  res = Call("POST", "/ground-truth", R"({"inference_id": "a", "label": 1, "inference_id": "b"})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, R"(\"inference_id\" is given twice)");
  EXPECT_EQ(
      Call("POST", "/ground-truth", R"({"inference_id": "x", "record": 2.5, "label": 1})").status,
      400);
  res = Call("POST", "/ground-truth", R"({"inference_id": "x", "label": null})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "is null");
  res = Call("POST", "/ground-truth", R"({"inference_id": "x", "label": 1, "lable": 2})");
  EXPECT_EQ(res.status, 400);
  EXPECT_CONTAINS(res.body, "unknown key \\\"lable\\\"");
  EXPECT_EQ(Call("GET", "/ground-truth").status, 405);
  capture.Flush();
  // Labels are counted apart from captured records.
  const std::string text = metrics.Render();
  EXPECT_CONTAINS(text, "mloop_ground_truth_records_total 3\n");
  EXPECT_CONTAINS(text, "mloop_capture_records_total 0\n");
  const auto lines = CapturedLines(dir / "capture");
  EXPECT_EQ(CapturedLines(dir / "capture", "/_ground_truth/labels/").size(), lines.size());
  ASSERT_EQ(lines.size(), 3u);  // the refused requests wrote nothing
  EXPECT_EQ(lines[0]["ground_truth_version"], 1);
  EXPECT_EQ(lines[0]["inference_id"], "inf-1");
  EXPECT_EQ(lines[0]["record"], 1);
  EXPECT_EQ(lines[1]["record"], 3);
  EXPECT_EQ(lines[1]["label"], "no");
  EXPECT_EQ(lines[2]["label"], 0.5);
}

TEST(EndpointConfigTest, ParsesVariantsShadowAndLimits) {
  EndpointConfig c = ParseEndpointConfig(R"(
models:
  - name: churn
    variants:
      - {name: A, model: churn@production, weight: 0.8}
      - {model: churn/5, weight: 0.2}
    shadow: {name: challenger, model: churn@staging, share: 0.1}
  - model: iris@production
capture: {percent: 5, max_file_mb: 8}
server: {port: 9000, threads: 4, max_body_mb: 1, auth: true}
)",
                                         "endpoint.yaml");
  ASSERT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.models[0].variants[1].name, "v5");
  EXPECT_EQ(c.models[0].shadow->share, 0.1);
  EXPECT_EQ(c.models[1].name, "iris");
  EXPECT_EQ(c.models[1].variants[0].name, "production");
  EXPECT_EQ(c.capture.max_file_bytes, 8 << 20);
  EXPECT_EQ(c.server.port, 9000);
  EXPECT_EQ(c.server.max_body_bytes, 1 << 20);
  EXPECT_EQ(c.server.auth, true);

  auto error = [](const std::string& yaml) {  // as `serve --config` without flags checks it
    try {
      ValidateEndpointConfig(ParseEndpointConfig(yaml, "e.yaml"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_CONTAINS(error("models:\n  - name: a\n    varients: []\n"), "unknown key 'varients'");
  EXPECT_CONTAINS(error("models:\n  - model: a@x\n  - model: a@y\n"), "served twice");
  EXPECT_CONTAINS(error("models:\n  - name: a\n    variants:\n      - {model: a/1, weight: 0}\n"),
                  "'weight' must be > 0");
  EXPECT_CONTAINS(
      error("models:\n  - name: a\n    variants:\n      - {model: a/1, weight: 1e308}\n"),
      "'weight' must be at most 1e12");
  // A run is served as run-N (a name that fits URL paths and metric labels).
  EXPECT_EQ(ModelFromRef("run:3").name, "run-3");
  EXPECT_EQ(ModelFromRef("3").name, "run-3");
  EXPECT_EQ(ModelFromRef("churn/3").name, "churn");
  EXPECT_CONTAINS(error("models: []\n"), "e.yaml:1:9: 'models' is empty: nothing to serve");
  EXPECT_CONTAINS(error("models:\n  - model: a@x\n    shadow: {model: a/2, share: 2}\n"),
                  "'share' must be in (0, 1]");
  // Names end up in URL paths and capture directories: no '/', no climbing out with "..".
  EXPECT_CONTAINS(error("models:\n  - {name: a/b, model: iris@production}\n"),
                  "e.yaml:2:12: invalid model name 'a/b'");  // at its line
  EXPECT_CONTAINS(error("models:\n  - {name: ../../x, model: iris@production}\n"),
                  "invalid model name '../../x'");
  EXPECT_CONTAINS(error("models:\n  - name: a\n    variants:\n      - {name: ../v, model: a/1}\n"),
                  "e.yaml:4:16: invalid variant name '../v'");
  EXPECT_CONTAINS(error("models:\n  - model: a@x\n    shadow: {name: 'b c', model: a/2}\n"),
                  "e.yaml:3:20: invalid shadow name 'b c'");
  // An empty value is named as such (it was 'a sequence').
  EXPECT_CONTAINS(error("models:\n  - name: a\n    variants:\n      - {model: a/1, weight: }\n"),
                  "'weight' must be a finite number, got nothing (an empty value)");
  EXPECT_CONTAINS(error("models:\n  - model: a@x\nserver: {port: ~}\n"),
                  "'port' must be an integer, got nothing");
  // Numbers take the ranges of the command line's flags; none wraps around.
  const std::string m = "models:\n  - model: a@x\n";
  EXPECT_CONTAINS(error(m + "server: {threads: 1000000}\n"),
                  "e.yaml:3:19: 'threads' must be <= 1024, got 1000000");
  EXPECT_CONTAINS(error(m + "server: {port: 4294986030}\n"), "'port' must be <= 65535");
  EXPECT_CONTAINS(error(m + "server: {timeout_seconds: 4294967297}\n"),
                  "'timeout_seconds' must be <= 86400");
  EXPECT_CONTAINS(error(m + "server: {poll_seconds: 4294967296}\n"),
                  "'poll_seconds' must be <= 86400");
  EXPECT_CONTAINS(error(m + "server: {max_body_mb: 1e300}\n"),
                  "'max_body_mb' must be in [0.001, 4096]");
  EXPECT_CONTAINS(error(m + "capture: {percent: 100, rotate_minutes: 40000000}\n"),
                  "'rotate_minutes' must be <= 525600");
  EXPECT_CONTAINS(error(m + "capture: {percent: 100, max_file_mb: 9007199254740993}\n"),
                  "'max_file_mb' must be <= 1048576");
  // Mistakes in the file are named with their place in it.
  EXPECT_CONTAINS(error(m + "capture: {percent: 150}\n"),
                  "e.yaml:3:20: 'percent' must be in [0, 100]");
  EXPECT_CONTAINS(error("models:\n  - name: s\n    variants:\n      - {name: A, model: s/1}\n"
                        "      - {name: A, model: s/2}\n"),
                  "e.yaml:5:9: a second variant named 'A'");
  EXPECT_CONTAINS(error("models:\n  - model: a@x\n    shadow: {name: x, model: a/2}\n"),
                  "e.yaml:3:13: the shadow is named like a variant ('x')");
  EXPECT_CONTAINS(error("models:\n  - model: a@x\n  - model: a@y\n"),
                  "e.yaml:3:5: model 'a' is served twice");
  EXPECT_CONTAINS(error(m + "server: {host: 'my host'}\n"),
                  "e.yaml:3:16: 'host' 'my host' is not an IP address");
  EXPECT_CONTAINS(error(m + "server: {host: ''}\n"), "'host' must be a non-empty string");
  EXPECT_EQ(error(m + "server: {host: '::1'}\n"), "no error");
  EXPECT_EQ(error(m + "server: {host: 0.0.0.0}\n"), "no error");
  EXPECT_EQ(error(m + "server: {host: localhost}\n"), "no error");
  EXPECT_FALSE(IsListenAddress("999.1.1.1"));
  // A flag's value replaces the file's before the settings are checked (serve's flags win).
  EndpointConfig flagged = ParseEndpointConfig(m + "capture: {percent: 150}\n", "e.yaml");
  flagged.capture.percent = 5;
  flagged.capture.percent_where.clear();
  EXPECT_NO_THROW(ValidateEndpointConfig(flagged));
}

}  // namespace
}  // namespace mloop
