// mloop_serve_handler_bench [REQUESTS]: the CPU cost of one /invocations request inside mloop,
// without the network: Handler::Handle on a one-record CSV body for the serving benchmark's
// model (binary XGBoost, 100 trees of depth 8, 28 numeric features), and its parts (parse and
// encode the record, predict, write the answer), and the table path that captured requests and
// models with a recipe take. One thread; mean microseconds per request. Run it with
// OMP_WAIT_POLICY=PASSIVE: after training, OpenMP's spinning threads take the other core.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "mloop/model/trainer.h"
#include "mloop/serve/handler.h"

namespace {

using Clock = std::chrono::steady_clock;

mloop::Table MakeData(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::vector<mloop::ColumnBuilder> cols;
  std::vector<mloop::Field> fields;
  for (int j = 0; j < 28; ++j) {
    cols.emplace_back(mloop::DataType::kFloat64);
    fields.push_back({"f" + std::to_string(j), mloop::DataType::kFloat64});
  }
  mloop::ColumnBuilder y(mloop::DataType::kInt64);
  for (int i = 0; i < rows; ++i) {
    double s = 0;
    for (int j = 0; j < 28; ++j) {
      const double v = n01(rng);
      cols[j].AppendDouble(v);
      s += (j % 3 == 0 ? 1 : -0.5) * v * (j < 10 ? 1 : 0.2);
    }
    y.AppendInt(s + 0.5 * n01(rng) > 0 ? 1 : 0);
  }
  std::vector<mloop::Column> out;
  for (auto& c : cols) out.push_back(c.Finish());
  out.push_back(y.Finish());
  fields.push_back({"y", mloop::DataType::kInt64});
  return mloop::Table(mloop::Schema(fields), out);
}

template <typename F>
double MicrosPer(int n, F&& f) {
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  mloop::TrainRequest req;
  req.target = "y";
  req.params = {{"num_boost_round", "100"}, {"max_depth", "8"}, {"eta", "0.1"}};
  req.threads = 2;
  auto predictor =
      std::make_shared<const mloop::Predictor>(mloop::Train(MakeData(20000, 1), req).bundle);
  mloop::ModelSource source;
  source.resolve = [](const std::string&) {
    return mloop::ModelSource::Resolved{"h", "bench/1", "1", ""};
  };
  source.load = [&](const std::string&) { return predictor; };
  mloop::EndpointConfig config;
  config.models.push_back(mloop::ModelFromRef("bench@production"));
  mloop::ServerMetrics metrics;
  mloop::ModelHost host(config, source, &metrics);
  mloop::Handler handler(host, metrics, {});

  std::string body;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01(0, 1);
  for (int j = 0; j < 28; ++j) body += (j ? "," : "") + std::to_string(n01(rng));
  mloop::HttpRequest in;
  in.method = "POST";
  in.target = "/invocations";
  in.body = body;
  in.content_type = "text/csv";

  double sink = 0;
  const double handle = MicrosPer(n, [&] {
    mloop::HttpResponse out;
    handler.Handle(in, &out);
    sink += out.body.size();
  });
  // The parts of the fast path (a model without a recipe: records encoded without a table).
  mloop::DenseMatrix x;
  const double parse = MicrosPer(n, [&] {
    mloop::RecordBatch batch(&predictor->encoding(), predictor->missing_tokens());
    batch.ParseBody(body, mloop::RecordFormat::kCsv);
    x = batch.FinishEncoded();
  });
  mloop::Table pred;
  const double predict = MicrosPer(n, [&] { pred = predictor->PredictEncoded(x); });
  // The table path (models with a recipe, and requests that are captured or shadowed).
  const double table_path = MicrosPer(n, [&] {
    mloop::RecordBatch batch(predictor->inputs(), predictor->missing_tokens());
    batch.ParseBody(body, mloop::RecordFormat::kCsv);
    pred = predictor->Predict(batch.Finish());
  });
  const double write = MicrosPer(n, [&] {
    std::string out;
    mloop::WritePredictions(pred, mloop::RecordFormat::kCsv, {}, &out);
    sink += out.size();
  });
  std::printf(
      "{\"requests\": %d, \"handle_us\": %.2f, \"parse_us\": %.2f, \"predict_us\": %.2f, "
      "\"write_us\": %.2f, \"table_path_us\": %.2f}\n",
      n, handle, parse, predict, write, table_path);
  return sink > 0 ? 0 : 1;
}
