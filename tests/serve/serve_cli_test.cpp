// `mloop serve` end to end: the real binary started as a child process on a free port, talked to
// over HTTP/1.1 (Boost.Beast, synchronous) as a client would. Small XGBoost models trained on the
// breast cancer data; predictions compared with `mloop predict`; API keys, hot swap under load,
// SIGTERM with a keep-alive connection open, data capture, A/B variants and a shadow.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace mloop {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using nlohmann::json;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

using Reply = http::response<http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  return out;
}

std::string Header(const Reply& r, const std::string& name) {
  return std::string(r[name]);
}

// `mloop --threads 2 -w WORKSPACE serve ARGS --port 0` as a child process, its stderr in a file.
// The constructor returns once the server listens (the "serving on" line names the port). A
// watchdog kills the child when a test hangs, so that a blocked client read fails instead.
class ServeProcess {
 public:
  ServeProcess(const fs::path& workspace, const std::vector<std::string>& args,
               bool expect_start = true)
      : log_(workspace / ("serve-" + std::to_string(++count_) + ".log")) {
    std::vector<std::string> words = {MLOOP_BINARY, "--threads",        "2",
                                      "-w",         workspace.string(), "serve"};
    words.insert(words.end(), args.begin(), args.end());
    words.push_back("--port");
    words.push_back("0");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const std::string log = log_.string(), dir = workspace.string();
    pid_ = fork();
    if (pid_ == 0) {
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int null = open("/dev/null", O_RDWR);
      if (err < 0 || null < 0 || chdir(dir.c_str()) != 0) _exit(126);
      dup2(null, 0);
      dup2(null, 1);
      dup2(err, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    watchdog_ = std::thread([this] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::seconds(60), [this] { return reaped_; })) {
        kill(pid_, SIGKILL);
      }
    });
    if (!expect_start) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    static const std::regex kServing(R"(serving on http://127\.0\.0\.1:(\d+) )");
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      const std::string text = Log();
      if (std::regex_search(text, m, kServing)) {
        port_ = std::stoi(m[1]);
        return;
      }
      if (Exited(0)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the server did not start; its log:\n" << Log();
  }

  ~ServeProcess() {
    if (!Exited(0)) {
      kill(pid_, SIGKILL);
      Exited(10);
    }
    {
      std::lock_guard lock(mu_);
      reaped_ = true;
    }
    cv_.notify_all();
    watchdog_.join();
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string Log() const { return ReadFile(log_); }

  // True once the child has exited (waits up to `seconds`); exit_code() then tells how.
  bool Exited(double seconds) {
    std::lock_guard lock(mu_);
    if (reaped_) return true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    do {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        cv_.notify_all();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }
  int exit_code() const { return exit_code_; }

 private:
  static inline int count_ = 0;
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool reaped_ = false;
  std::thread watchdog_;
};

// One keep-alive HTTP/1.1 connection with synchronous calls.
class HttpClient {
 public:
  explicit HttpClient(int port) : socket_(ioc_) {
    socket_.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }

  Reply Send(http::verb method, const std::string& target, const std::string& body = "",
             const Headers& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    // Inserted as listed: a name given twice is sent twice.
    for (const auto& [name, value] : headers) req.insert(name, value);
    req.body() = body;
    req.prepare_payload();
    // A server may answer (413) and close before it has read the whole body: the write may
    // then fail while the answer is there to read.
    beast::error_code ignored;
    http::write(socket_, req, ignored);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  Reply Get(const std::string& target, const Headers& headers = {}) {
    return Send(http::verb::get, target, "", headers);
  }
  Reply Post(const std::string& target, const std::string& body, const Headers& headers = {}) {
    return Send(http::verb::post, target, body, headers);
  }

  // True when the server has closed the connection (a read ends; waits up to ~5 s).
  bool ClosedByServer() {
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte;
    const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

const Headers kCsv = {{"Content-Type", "text/csv"}};
const Headers kJson = {{"Content-Type", "application/json"}};

Headers With(Headers base, const std::string& name, const std::string& value) {
  base.emplace_back(name, value);
  return base;
}

class ServeCliTest : public ::testing::Test {
 protected:
  // One workspace for the suite: bc (breast cancer) with two small models, bc/1 (production)
  // and bc/2 (staging), and the same two as hs/1 (production) and hs/2 for the hot-swap test.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto run = [](const std::string& args) {
      auto r = testing::RunMloop(dir_->path(), args);
      if (r.code != 0) ADD_FAILURE() << "mloop " << args << ": " << r.err;
      return r.code == 0;
    };
    const std::string source = std::string(MLOOP_SOURCE_DIR) + "/examples/data/breast_cancer.csv";
    ready_ =
        run("init") && run("data import " + source + " --name bc --target target") &&
        run("train bc --target target --param num_boost_round=5 --split none -q") &&
        run("train bc --target target --param num_boost_round=5 --param max_depth=2 --split none "
            "-q") &&
        run("models register 1 --name bc") && run("models register 2 --name bc") &&
        run("models alias bc/1 production") && run("models alias bc/2 staging") &&
        run("models register 1 --name hs") && run("models register 2 --name hs") &&
        run("models alias hs/1 production");
    // 20 rows: with the header and the target for `mloop predict`, without them for requests.
    const auto lines = Lines(ReadFile(source));
    header_ = Split(lines[0]);
    header_.pop_back();  // target
    std::string with_header = lines[0] + "\n";
    csv_body_.clear();
    for (int i = 1; i <= 20; ++i) {
      with_header += lines[i] + "\n";
      csv_body_ += lines[i].substr(0, lines[i].rfind(',')) + "\n";
    }
    WriteFile(dir_->path() / "rows.csv", with_header);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << "the workspace could not be set up"; }

  static const fs::path& ws() { return dir_->path(); }
  static testing::CliResult Run(const std::string& args) {
    return testing::RunMloop(dir_->path(), args);
  }

  // `mloop predict MODEL` on the 20 rows: the CSV lines without the header.
  static std::vector<std::string> Predict(const std::string& model) {
    auto r = Run("predict " + model + " --data rows.csv");
    EXPECT_EQ(r.code, 0) << r.err;
    auto lines = Lines(r.out);
    EXPECT_EQ(lines.size(), 21u);
    if (lines.empty()) return lines;
    EXPECT_EQ(lines[0], "prediction,probability");
    lines.erase(lines.begin());
    return lines;
  }

  // The 20 rows as JSON records: objects keyed by column name, or arrays of values.
  static json Records(bool objects) {
    json out = json::array();
    for (const auto& line : Lines(csv_body_)) {
      const auto values = Split(line);
      json record = objects ? json::object() : json::array();
      for (size_t j = 0; j < values.size(); ++j) {
        if (objects) {
          record[header_[j]] = std::stod(values[j]);
        } else {
          record.push_back(std::stod(values[j]));
        }
      }
      out.push_back(record);
    }
    return out;
  }

  static inline TempDir* dir_ = nullptr;
  static inline bool ready_ = false;
  static inline std::vector<std::string> header_;  // the model's 30 inputs
  static inline std::string csv_body_;             // 20 records, no header, no target
};

TEST_F(ServeCliTest, PingHealthAndRoutes) {
  ServeProcess server(ws(), {"--model", "bc@production"});
  HttpClient c(server.port());
  auto r = c.Get("/ping");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), R"({"status":"ok"})");
  EXPECT_TRUE(r.keep_alive());
  // Every answer is dated (RFC 9110 6.6.1), as "Fri, 27 Nov 2026 16:45:01 GMT".
  const std::string date(r[http::field::date]);
  EXPECT_EQ(date.size(), 29u) << date;
  EXPECT_EQ(date.substr(date.size() - 4), " GMT") << date;
  EXPECT_EQ(c.Get("/v2/health/live").body(), R"({"live":true})");
  EXPECT_EQ(c.Get("/v2/health/ready").body(), R"({"ready":true})");
  EXPECT_EQ(c.Get("/v2/models/bc/ready").result_int(), 200);
  r = c.Get("/nowhere");
  EXPECT_EQ(r.result_int(), 404);
  EXPECT_CONTAINS(r.body(), "no route /nowhere");
  // The absolute form of a target (RFC 9112 3.2.2), as a proxy sends it.
  EXPECT_EQ(c.Get("http://localhost/ping").body(), R"({"status":"ok"})");
  r = c.Get("/invocations");
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(Header(r, "Allow"), "POST");
  // Routes that answer GET answer HEAD too, and say so (RFC 9110: every method the route takes).
  r = c.Post("/ping", "");
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(Header(r, "Allow"), "GET, HEAD");
  r = c.Get("/admin/models");
  EXPECT_EQ(r.result_int(), 200);
  const json models = json::parse(r.body());
  EXPECT_EQ(models["models"][0]["name"], "bc");
  EXPECT_EQ(models["models"][0]["variants"][0]["serving"], "bc/1");
  EXPECT_CONTAINS(server.Log(), "model bc: production -> bc/1");
  EXPECT_CONTAINS(server.Log(), "API keys not required");
}

TEST_F(ServeCliTest, CsvJsonAndV2AgreeWithPredict) {
  const std::vector<std::string> expected = Predict("bc@production");
  ServeProcess server(ws(), {"--model", "bc@production"});
  HttpClient c(server.port());

  // CSV in, CSV out: the same lines as `mloop predict`, byte for byte.
  auto r = c.Post("/invocations", csv_body_, kCsv);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  EXPECT_EQ(Header(r, "Content-Type"), "text/csv");
  EXPECT_EQ(Header(r, "X-Amzn-Invoked-Production-Variant"), "production");
  EXPECT_EQ(Header(r, "X-Mloop-Model-Version"), "bc/1");
  EXPECT_EQ(Lines(r.body()), expected);

  // The same numbers from JSON: {"instances": [objects]}, a bare array of arrays, JSON Lines.
  auto check_json = [&](const json& predictions, const std::string& what) {
    ASSERT_EQ(predictions.size(), expected.size()) << what;
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto want = Split(expected[i]);
      EXPECT_EQ(predictions[i]["prediction"], std::stoll(want[0])) << what << " record " << i;
      EXPECT_EQ(predictions[i]["probability"].get<double>(), std::stod(want[1]))
          << what << " record " << i;
    }
  };
  r = c.Post("/invocations", json{{"instances", Records(true)}}.dump(), kJson);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  check_json(json::parse(r.body())["predictions"], "instances of objects");
  r = c.Post("/invocations", Records(false).dump(), kJson);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  check_json(json::parse(r.body())["predictions"], "array of arrays");
  std::string jsonl;
  for (const auto& record : Records(true)) jsonl += record.dump() + "\n";
  r = c.Post("/invocations", jsonl, {{"Content-Type", "application/jsonlines"}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  EXPECT_EQ(Header(r, "Content-Type"), "application/jsonlines");
  json lines = json::array();
  for (const auto& line : Lines(r.body())) lines.push_back(json::parse(line));
  check_json(lines, "JSON Lines");

  // Accept picks the answer's format.
  r = c.Post("/invocations", Records(false).dump(), With(kJson, "Accept", "text/csv"));
  ASSERT_EQ(r.result_int(), 200) << r.body();
  EXPECT_EQ(Lines(r.body()), expected);

  // KServe V2: one [rows, 30] tensor, and only the "probability" output.
  json data = json::array();
  for (const auto& record : Records(false)) data.push_back(record);
  const json infer = {
      {"id", "req-7"},
      {"inputs",
       {{{"name", "input-0"}, {"datatype", "FP64"}, {"shape", {20, 30}}, {"data", data}}}},
      {"outputs", {{{"name", "probability"}}}}};
  r = c.Post("/v2/models/bc/infer", infer.dump(), kJson);
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const json v2 = json::parse(r.body());
  EXPECT_EQ(v2["model_name"], "bc");
  EXPECT_EQ(v2["model_version"], "1");
  EXPECT_EQ(v2["id"], "req-7");
  ASSERT_EQ(v2["outputs"].size(), 1u);
  EXPECT_EQ(v2["outputs"][0]["name"], "probability");
  EXPECT_EQ(v2["outputs"][0]["shape"], json({20}));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(v2["outputs"][0]["data"][i].get<double>(), std::stod(Split(expected[i])[1]));
  }
  // Model metadata lists the inputs in order.
  r = c.Get("/v2/models/bc");
  ASSERT_EQ(r.result_int(), 200);
  const json meta = json::parse(r.body());
  ASSERT_EQ(meta["inputs"].size(), 30u);
  EXPECT_EQ(meta["inputs"][0]["name"], "mean_radius");
  EXPECT_EQ(meta["outputs"][0]["datatype"], "INT64");
}

TEST_F(ServeCliTest, BadRequestsGetClearStatuses) {
  ServeProcess server(ws(), {"--model", "bc@production", "--max-body-mb", "0.01"});
  HttpClient c(server.port());

  // A bad record: 400 naming the record and the field; nothing is predicted.
  auto lines = Lines(csv_body_);
  auto second = Split(lines[1]);
  second[2] = "abc";
  std::string body = lines[0] + "\n";
  for (size_t j = 0; j < second.size(); ++j) body += (j ? "," : "") + second[j];
  body += "\n" + lines[2] + "\n";
  auto r = c.Post("/invocations", body, kCsv);
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  json error = json::parse(r.body());
  EXPECT_EQ(error["record"], 2);
  EXPECT_EQ(error["field"], "mean_perimeter");
  EXPECT_CONTAINS(error["error"].get<std::string>(),
                  "record 2, field 'mean_perimeter': expected a number");
  r = c.Post("/invocations", R"({"instances": [{"mean_radius": 1}]})", kJson);
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_EQ(json::parse(r.body())["record"], 1);
  EXPECT_EQ(c.Post("/invocations", "", kCsv).result_int(), 400);  // no records

  // Unknown model: 404; unknown variant: 400.
  r = c.Post("/invocations", lines[0], With(kCsv, "X-Amzn-SageMaker-Target-Model", "churn"));
  EXPECT_EQ(r.result_int(), 404);
  EXPECT_CONTAINS(r.body(), "no model 'churn' is served (bc)");
  r = c.Post("/invocations", lines[0], With(kCsv, "X-Amzn-SageMaker-Target-Variant", "B"));
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_EQ(c.Get("/v2/models/churn").result_int(), 404);
  EXPECT_EQ(c.Get("/v2/models/bc/versions/9").result_int(), 404);

  // Content types: 415 for the body, 406 for the answer.
  r = c.Post("/invocations", lines[0], {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.result_int(), 415);
  EXPECT_CONTAINS(r.body(), "unsupported Content-Type 'text/plain'");
  EXPECT_EQ(Header(r, "X-Amzn-Invoked-Production-Variant"), "");  // before any variant
  r = c.Post("/invocations", lines[0], With(kCsv, "Accept", "application/xml"));
  EXPECT_EQ(r.result_int(), 406);
  // A routing header given twice (a proxy appending its own) is refused, not the first taken.
  r = c.Post("/invocations", lines[0],
             With(With(kCsv, "X-Amzn-SageMaker-Target-Model", "bc"),
                  "X-Amzn-SageMaker-Target-Model", "churn"));
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_CONTAINS(r.body(), "the X-Amzn-SageMaker-Target-Model header is given more than once");
  // The connection is still good after all these errors.
  r = c.Post("/invocations", lines[0], kCsv);
  EXPECT_EQ(r.result_int(), 200) << r.body();

  // A body over --max-body-mb 0.01 (10,485 bytes): 413, and the server closes the connection.
  std::string big;
  while (big.size() <= 11000) big += csv_body_;
  HttpClient c2(server.port());
  r = c2.Post("/invocations", big, kCsv);
  EXPECT_EQ(r.result_int(), 413);
  EXPECT_CONTAINS(r.body(), "larger than the limit of 10485 bytes");
  EXPECT_FALSE(r.keep_alive());
  // Just under the limit is fine.
  std::string under;
  while (under.size() + csv_body_.size() <= 10485) under += csv_body_;
  r = HttpClient(server.port()).Post("/invocations", under, kCsv);
  EXPECT_EQ(r.result_int(), 200) << r.body();

  // The errors are counted per variant and status.
  const std::string metrics = HttpClient(server.port()).Get("/metrics").body();
  EXPECT_CONTAINS(metrics, R"(mloop_requests_total{model="bc",variant="production",code="400"})");
  // A client's format errors are no variant's; what the transport answers is counted too.
  EXPECT_EQ(metrics.find(R"(variant="production",code="415")"), std::string::npos) << metrics;
  EXPECT_CONTAINS(metrics, R"(mloop_http_requests_total{code="415"} 1)");
  EXPECT_CONTAINS(metrics, R"(mloop_http_requests_total{code="406"} 1)");
  EXPECT_CONTAINS(metrics, R"(mloop_http_requests_total{code="413"} 1)");
  EXPECT_CONTAINS(metrics, R"(mloop_http_requests_total{code="400"})");  // the header twice
  EXPECT_CONTAINS(metrics, R"(mloop_http_requests_total{code="404"})");
}

TEST_F(ServeCliTest, ApiKeys) {
  auto created = Run("serve keys create ci");
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string key = Lines(created.out).at(0);
  EXPECT_EQ(key.substr(0, 4), "mlk_");
  EXPECT_EQ(key.size(), 47u);
  EXPECT_CONTAINS(ReadFile(ws() / ".mloop" / "api_keys.json"), "\"name\": \"ci\"");
  EXPECT_EQ(ReadFile(ws() / ".mloop" / "api_keys.json").find(key), std::string::npos);
  EXPECT_EQ(Run("serve keys create ci").code, 1);  // taken
  EXPECT_CONTAINS(Run("serve keys list").out, "ci");

  ServeProcess server(ws(), {"--model", "bc@production", "--auth"});
  EXPECT_CONTAINS(server.Log(), "API keys required");
  HttpClient c(server.port());
  const std::string row = Lines(csv_body_)[0];
  auto r = c.Post("/invocations", row, kCsv);
  EXPECT_EQ(r.result_int(), 401);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(
      c.Post("/invocations", row, With(kCsv, "Authorization", "Bearer mlk_wrong")).result_int(),
      401);
  r = c.Post("/invocations", row, With(kCsv, "Authorization", "Bearer " + key));
  EXPECT_EQ(r.result_int(), 200) << r.body();
  // Two credentials: neither is taken (the order would decide otherwise).
  for (const auto& [first, second] :
       {std::pair<std::string, std::string>{"Bearer " + key, "Bearer mlk_wrong"},
        {"Bearer mlk_wrong", "Bearer " + key}}) {
    r = c.Post("/invocations", row,
               With(With(kCsv, "Authorization", first), "Authorization", second));
    EXPECT_EQ(r.result_int(), 400) << r.body();
    EXPECT_CONTAINS(r.body(), "Authorization header is given more than once");
  }
  // Health checks pass without a key; metrics and admin routes do not.
  EXPECT_EQ(c.Get("/ping").result_int(), 200);
  EXPECT_EQ(c.Get("/v2/health/ready").result_int(), 200);
  EXPECT_EQ(c.Get("/metrics").result_int(), 401);
  EXPECT_EQ(c.Get("/metrics", {{"Authorization", "Bearer " + key}}).result_int(), 200);

  // A key created while the server runs is accepted, and a revoked one refused, within about a
  // second (the server looks at the key file every second), without a restart.
  auto second = Run("serve keys create dashboard");
  ASSERT_EQ(second.code, 0) << second.err;
  const std::string new_key = Lines(second.out).at(0);
  ASSERT_EQ(Run("serve keys revoke ci").code, 0);
  EXPECT_EQ(Run("serve keys revoke ci").code, 1);
  int old_status = 0, new_status = 0;
  for (int i = 0; i < 100 && (old_status != 401 || new_status != 200); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    old_status =
        c.Post("/invocations", row, With(kCsv, "Authorization", "Bearer " + key)).result_int();
    new_status =
        c.Post("/invocations", row, With(kCsv, "Authorization", "Bearer " + new_key)).result_int();
  }
  EXPECT_EQ(old_status, 401);
  EXPECT_EQ(new_status, 200);
  EXPECT_CONTAINS(server.Log(), "API keys reloaded from");
  ASSERT_EQ(Run("serve keys revoke dashboard").code, 0);
  ServeProcess no_keys(ws(), {"--model", "bc@production", "--auth"}, /*expect_start=*/false);
  EXPECT_TRUE(no_keys.Exited(10));
  EXPECT_EQ(no_keys.exit_code(), 1);
  EXPECT_CONTAINS(no_keys.Log(), "API keys are required");

  // Without auth the key file is not read: a damaged one stops --auth, not --no-auth.
  testing::WriteFile(ws() / ".mloop" / "api_keys.json", "{not json");
  ServeProcess open(ws(), {"--model", "bc@production", "--no-auth"});
  EXPECT_CONTAINS(open.Log(), "API keys not required");
  EXPECT_EQ(HttpClient(open.port()).Post("/invocations", row, kCsv).result_int(), 200);
  std::filesystem::remove(ws() / ".mloop" / "api_keys.json");  // the workspace is the suite's
}

// RFC 7235: the authentication scheme is case-insensitive, so `bearer KEY` is the same as
// `Bearer KEY`.
TEST_F(ServeCliTest, BearerSchemeIsCaseInsensitive) {
  auto created = Run("serve keys create lower");
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string key = Lines(created.out).at(0);
  ServeProcess server(ws(), {"--model", "bc@production", "--auth"});
  auto r =
      HttpClient(server.port())
          .Post("/invocations", Lines(csv_body_)[0], With(kCsv, "Authorization", "bearer " + key));
  EXPECT_EQ(r.result_int(), 200) << r.body();
  Run("serve keys revoke lower");
}

TEST_F(ServeCliTest, HotSwapUnderLoad) {
  const std::vector<std::string> v1 = Predict("hs/1"), v2 = Predict("hs/2");
  ASSERT_NE(v1, v2);
  ServeProcess server(ws(), {"--model", "hs@production", "--poll-seconds", "0"});

  // A client keeps sending requests on one keep-alive connection while the alias moves.
  std::atomic<bool> stop{false};
  std::atomic<int> after_swap{0};
  std::vector<std::string> versions, failures;
  std::thread client([&] {
    try {
      HttpClient c(server.port());
      while (!stop.load()) {
        auto r = c.Post("/invocations", csv_body_, kCsv);
        const std::string version = Header(r, "X-Mloop-Model-Version");
        if (r.result_int() != 200) {
          failures.push_back(std::to_string(r.result_int()) + " " + r.body());
        } else if (Lines(r.body()) != (version == "hs/1" ? v1 : v2)) {
          failures.push_back("predictions differ from `mloop predict " + version + "`");
        }
        versions.push_back(version);
        if (version == "hs/2") ++after_swap;
      }
    } catch (const std::exception& e) {
      failures.push_back(std::string("exception: ") + e.what());
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto moved = Run("models alias hs/2 production");
  EXPECT_EQ(moved.code, 0) << moved.err;
  auto r = HttpClient(server.port()).Post("/admin/reload", "");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), R"({"changes":["hs/production: hs/1 -> hs/2"]})");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (after_swap.load() < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  client.join();

  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, the first: " << failures[0];
  ASSERT_FALSE(versions.empty());
  EXPECT_EQ(versions.front(), "hs/1");
  EXPECT_EQ(versions.back(), "hs/2");
  // Once hs/2 answered, hs/1 never did again.
  const auto first_v2 = std::find(versions.begin(), versions.end(), "hs/2");
  EXPECT_EQ(std::count(first_v2, versions.end(), "hs/1"), 0);
  // Nothing more to swap; the swap is counted.
  EXPECT_EQ(HttpClient(server.port()).Post("/admin/reload", "").body(), R"({"changes":[]})");
  const std::string metrics = HttpClient(server.port()).Get("/metrics").body();
  EXPECT_CONTAINS(metrics, R"(mloop_model_swaps_total{model="hs",variant="production"} 1)");
  EXPECT_CONTAINS(metrics, R"(mloop_model_info{model="hs",variant="production",version="hs/2")");
}

// Idle keep-alive connections do not hold the drain: the server exits long before its drain
// time (60 s here) runs out. (No tight time bound: a loaded CI machine may be slow.)
TEST_F(ServeCliTest, SigtermWithKeepAliveConnectionExitsZero) {
  ServeProcess server(ws(), {"--model", "bc@production", "--drain-seconds", "60"});
  HttpClient idle(server.port());
  ASSERT_EQ(idle.Get("/ping").result_int(), 200);  // the connection stays open, idle
  HttpClient used(server.port());
  auto r = used.Post("/invocations", csv_body_, kCsv);
  ASSERT_EQ(r.result_int(), 200);
  ASSERT_TRUE(r.keep_alive());

  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(server.Exited(40)) << server.Log();
  EXPECT_EQ(server.exit_code(), 0) << server.Log();
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_TRUE(used.ClosedByServer());
  const std::string log = server.Log();
  EXPECT_CONTAINS(log, "received SIGTERM");
  EXPECT_CONTAINS(log, "draining");
  EXPECT_CONTAINS(log, "stopped");
}

// A request line with another HTTP version gets 505 (RFC 9110 15.6.6); a malformed one 400.
TEST_F(ServeCliTest, OtherHttpVersionsGet505) {
  ServeProcess server(ws(), {"--model", "bc@production"});
  // The status of the answer to `request`, sent raw on a new connection.
  auto status_for = [&](const std::string& request) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                            static_cast<unsigned short>(server.port())));
    asio::write(s, asio::buffer(request));
    beast::flat_buffer buffer;
    Reply r;
    http::read(s, buffer, r);
    return r.result_int();
  };
  auto status_of = [&](const std::string& request_line) {
    return status_for(request_line + "\r\nHost: x\r\n\r\n");
  };
  EXPECT_EQ(status_of("GET /ping HTTP/2.0"), 505);
  EXPECT_EQ(status_of("GET /ping HTTP/1.2"), 505);
  EXPECT_EQ(status_of("GET /ping HTTP/x.y"), 400);
  EXPECT_EQ(status_of("GET /ping HTTP/1.1"), 200);
  // A compressed body is refused, not read as text: 415 for a content coding, 501 for a
  // transfer coding other than chunked.
  auto post_status = [&](const std::string& headers) {
    const std::string row = Lines(csv_body_)[0] + "\n";
    std::string req =
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n" + headers;
    if (headers.find("chunked") != std::string::npos) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx", row.size());
      req += "\r\n" + std::string(size) + "\r\n" + row + "\r\n0\r\n\r\n";
    } else {
      req += "Content-Length: " + std::to_string(row.size()) + "\r\n\r\n" + row;
    }
    return status_for(req);
  };
  EXPECT_EQ(post_status(""), 200);
  EXPECT_EQ(post_status("Content-Encoding: identity\r\n"), 200);
  EXPECT_EQ(post_status("Content-Encoding: gzip\r\n"), 415);
  EXPECT_EQ(post_status("Transfer-Encoding: chunked\r\n"), 200);
  EXPECT_EQ(post_status("Transfer-Encoding: gzip, chunked\r\n"), 501);
  // RFC 9112 3.2: HTTP/1.1 without Host is 400 (HTTP/1.0 needs none); a long URL is 414 and
  // large header fields 431, not a generic 400.
  EXPECT_EQ(status_for("GET /ping HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_for("GET /ping HTTP/1.0\r\n\r\n"), 200);
  EXPECT_EQ(status_of("GET /ping?" + std::string(10000, 'a') + " HTTP/1.1"), 414);
  EXPECT_EQ(status_of("GET /ping?" + std::string(100000, 'a') + " HTTP/1.1"), 414);
  EXPECT_EQ(
      status_for("GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'b') + "\r\n\r\n"),
      431);
}

// A request whose body is still arriving when SIGTERM comes is answered (with Connection:
// close) before the server exits.
TEST_F(ServeCliTest, SigtermLetsARequestInFlightFinish) {
  ServeProcess server(ws(), {"--model", "bc@production"});
  const std::string row = Lines(csv_body_)[0] + "\n";
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                          static_cast<unsigned short>(server.port())));
  const std::string head =
      "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
      "Content-Length: " +
      std::to_string(row.size()) + "\r\n\r\n";
  asio::write(s, asio::buffer(head + row.substr(0, 10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(server.Exited(0));  // waiting for the rest of the request
  asio::write(s, asio::buffer(row.substr(10)));
  beast::flat_buffer buffer;
  Reply r;
  http::read(s, buffer, r);
  EXPECT_EQ(r.result_int(), 200) << r.body();
  EXPECT_FALSE(r.keep_alive());
  ASSERT_TRUE(server.Exited(30));
  EXPECT_EQ(server.exit_code(), 0);
}

// The same while the request's header is still arriving. BUG (reported): Session::Drain treats
// the connection as idle (idle_ is cleared only once the whole header is read) and closes it, so
// the request gets no answer at all. Enable once fixed.
TEST_F(ServeCliTest, SigtermLetsARequestWithAPartialHeaderFinish) {
  ServeProcess server(ws(), {"--model", "bc@production"});
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                          static_cast<unsigned short>(server.port())));
  asio::write(s, asio::buffer(std::string("GET /v2/models/bc HTTP/1.1\r\nHost: x\r\n")));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  beast::error_code ec;
  asio::write(s, asio::buffer(std::string("\r\n")), ec);
  beast::flat_buffer buffer;
  Reply r;
  http::read(s, buffer, r, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_TRUE(server.Exited(30));
}

TEST_F(ServeCliTest, CaptureWritesDocumentedLines) {
  ServeProcess server(ws(), {"--model", "bc@production", "--capture-percent", "100"});
  EXPECT_CONTAINS(server.Log(), "capturing 100.0% of requests into " + (ws() / "capture").string());
  HttpClient c(server.port());
  const auto lines = Lines(csv_body_);
  const std::string three = lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n";
  auto r = c.Post("/invocations", three,
                  With(With(kCsv, "X-Amzn-SageMaker-Inference-Id", "req-1"),
                       "X-Amzn-SageMaker-Custom-Attributes", "trace=abc"));
  ASSERT_EQ(r.result_int(), 200);
  EXPECT_EQ(Header(r, "X-Amzn-SageMaker-Custom-Attributes"), "trace=abc");
  const auto answered = Lines(r.body());
  ASSERT_EQ(c.Post("/invocations", lines[3], kCsv).result_int(), 200);
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);  // the capture is flushed on the way out
  ASSERT_TRUE(server.Exited(10));
  EXPECT_EQ(server.exit_code(), 0);

  // DIR/<model>/<variant>/<YYYY-MM-DD>/<HH-MM-SS>-<pid>-<n>.jsonl
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(ws() / "capture")) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  ASSERT_EQ(files.size(), 1u);
  const fs::path rel = fs::relative(files[0], ws() / "capture");
  EXPECT_TRUE(
      std::regex_match(rel.string(), std::regex(R"(bc/production/\d{4}-\d\d-\d\d/\d\d-\d\d-\d\d-)" +
                                                std::to_string(server.pid()) + R"(-\d+\.jsonl)")))
      << rel;
  const auto captured = Lines(ReadFile(files[0]));
  ASSERT_EQ(captured.size(), 4u);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> event_ids;
  for (size_t i = 0; i < captured.size(); ++i) {
    const json line = json::parse(captured[i]);
    EXPECT_EQ(line["capture_version"], 1);
    EXPECT_TRUE(std::regex_match(line["event_id"].get<std::string>(), uuid)) << line;
    event_ids.insert(line["event_id"].get<std::string>());
    EXPECT_EQ(line["model"], "bc");
    EXPECT_EQ(line["variant"], "production");
    EXPECT_EQ(line["model_version"], "bc/1");
    EXPECT_TRUE(std::regex_match(line["time"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
        << line;
    ASSERT_EQ(line["input"].size(), 30u);
    const auto values = Split(lines[i]);
    EXPECT_EQ(line["input"]["mean_radius"].get<double>(), std::stod(values[0]));
    EXPECT_EQ(line["input"]["worst_fractal_dimension"].get<double>(), std::stod(values[29]));
    if (i < 3) {
      EXPECT_EQ(line["inference_id"], "req-1");
      EXPECT_EQ(line["record"], i + 1);
      EXPECT_EQ(line["custom_attributes"], "trace=abc");
      const auto want = Split(answered[i]);
      EXPECT_EQ(line["output"]["prediction"], std::stoll(want[0]));
      EXPECT_EQ(line["output"]["probability"].get<double>(), std::stod(want[1]));
    } else {
      EXPECT_TRUE(std::regex_match(line["inference_id"].get<std::string>(), uuid)) << line;
      EXPECT_EQ(line["record"], 1);
      EXPECT_FALSE(line.contains("custom_attributes"));
    }
  }
  EXPECT_EQ(event_ids.size(), 4u);
}

// --capture-percent samples requests: a request that is not sampled leaves no capture line,
// its shadow's predictions included. BUG (reported): Handler::Shadow captures the shadow's
// predictions whenever capture is on, whatever the sample (with capture at 1% and a shadow, the
// shadow's directory gets every request). Enable once fixed.
TEST_F(ServeCliTest, CaptureSamplingAppliesToShadows) {
  const fs::path dir = ws() / "capture-sampled";
  WriteFile(ws() / "sampled.yaml",
            "models:\n"
            "  - name: bc\n"
            "    variants: [{name: A, model: bc@production}]\n"
            "    shadow: {name: challenger, model: bc/2}\n"
            "capture: {percent: 0.000001, dir: " +
                dir.string() +
                "}\n"
                "server: {poll_seconds: 0}\n");
  ServeProcess server(ws(), {"--config", "sampled.yaml"});
  HttpClient c(server.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.Post("/invocations", Lines(csv_body_)[0], kCsv).result_int(), 200);
  }
  ASSERT_EQ(kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(server.Exited(10));
  EXPECT_FALSE(fs::exists(dir / "bc" / "challenger"));
}

// A V2 request naming an unknown output is a 400, and a failed request predicts nothing.
// BUG (reported): Handler::V2Infer checks "outputs" only after Predict, so the records are
// predicted, counted, shadowed and captured before the 400. Enable once fixed.
TEST_F(ServeCliTest, V2UnknownOutputPredictsNothing) {
  ServeProcess server(ws(), {"--model", "bc@production"});
  HttpClient c(server.port());
  const json infer = {
      {"inputs", {{{"name", "input-0"}, {"shape", {30}}, {"data", Records(false)[0]}}}},
      {"outputs", {{{"name", "score"}}}}};
  auto r = c.Post("/v2/models/bc/infer", infer.dump(), kJson);
  EXPECT_EQ(r.result_int(), 400);
  EXPECT_CONTAINS(c.Get("/metrics").body(),
                  R"(mloop_records_total{model="bc",variant="production"} 0)");
}

TEST_F(ServeCliTest, AbVariantsAndShadowFromEndpointYaml) {
  WriteFile(ws() / "endpoint.yaml",
            "models:\n"
            "  - name: bc\n"
            "    variants:\n"
            "      - {name: A, model: bc@production, weight: 1}\n"
            "      - {name: B, model: bc@staging, weight: 1}\n"
            "    shadow: {name: challenger, model: bc/2, share: 1}\n"
            "capture: {percent: 1, dir: cap}\n"
            "server: {poll_seconds: 0, drain_seconds: 5}\n");
  ServeProcess server(ws(), {"--config", "endpoint.yaml"});
  EXPECT_CONTAINS(server.Log(),
                  "model bc: A -> bc/1 (weight 1.0); B -> bc/2 (weight 1.0); shadow challenger -> "
                  "bc/2 (100.0% of requests)");
  // A relative capture.dir is in the workspace, as the stores of mloop.yaml are.
  EXPECT_CONTAINS(server.Log(), "capturing 1.0% of requests into " + (ws() / "cap").string());
  HttpClient c(server.port());
  const std::string row = Lines(csv_body_)[0];
  std::map<std::string, int> by_variant;
  for (int i = 0; i < 60; ++i) {
    auto r = c.Post("/invocations", row, kCsv);
    ASSERT_EQ(r.result_int(), 200) << r.body();
    const std::string variant = Header(r, "X-Amzn-Invoked-Production-Variant");
    ++by_variant[variant];
    EXPECT_EQ(Header(r, "X-Mloop-Model-Version"), variant == "A" ? "bc/1" : "bc/2");
  }
  EXPECT_EQ(by_variant.size(), 2u);
  EXPECT_GT(by_variant["A"], 0);
  EXPECT_GT(by_variant["B"], 0);
  // The header picks a variant; the shadow is never one.
  for (int i = 0; i < 10; ++i) {
    auto r = c.Post("/invocations", row, With(kCsv, "X-Amzn-SageMaker-Target-Variant", "B"));
    EXPECT_EQ(Header(r, "X-Amzn-Invoked-Production-Variant"), "B");
  }
  EXPECT_EQ(c.Post("/invocations", row, With(kCsv, "X-Amzn-SageMaker-Target-Variant", "challenger"))
                .result_int(),
            400);
  const json models = json::parse(c.Get("/admin/models").body());
  EXPECT_EQ(models["models"][0]["shadow"]["name"], "challenger");
  EXPECT_EQ(models["models"][0]["variants"].size(), 2u);

  // The shadow runs in the background: its counters show up soon.
  const std::regex shadow(
      R"(mloop_shadow_requests_total\{model="bc",variant="challenger"\} (\d+))");
  int shadowed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    const std::string metrics = c.Get("/metrics").body();
    if (std::regex_search(metrics, m, shadow)) shadowed = std::stoi(m[1]);
    if (shadowed == 70) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(shadowed, 0);
  EXPECT_EQ(shadowed, 70);  // share 1: every answered request, the header-picked ones too
  const std::string metrics = c.Get("/metrics").body();
  EXPECT_CONTAINS(metrics, R"(mloop_requests_total{model="bc",variant="B",code="200"})");
  EXPECT_CONTAINS(metrics, R"(mloop_shadow_records_total{model="bc",variant="challenger"} 70)");
}

}  // namespace
}  // namespace mloop
