// mloop serve --model REF... | --config FILE: the real-time inference server (SageMaker's
// container contract and KServe's V2 protocol on one port; src/mloop/serve/, docs/http-api.md).
// mloop serve keys create|list|revoke: the API keys it accepts.
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli.h"
#include "mloop/core/clock.h"
#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/time.h"
#include "mloop/io/atomic_file.h"
#include "mloop/serve/api_keys.h"
#include "mloop/serve/capture.h"
#include "mloop/serve/endpoint_config.h"
#include "mloop/serve/handler.h"
#include "mloop/serve/http_server.h"
#include "mloop/serve/model_host.h"
#include "mloop/track/registry.h"

namespace mloop::cli {

namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::string config;
  std::optional<std::string> host;
  int port = -1;
  int poll_seconds = -1;
  double capture_percent = -1;
  std::string capture_dir;
  double max_body_mb = -1;
  int timeout_seconds = -1;
  int drain_seconds = -1;
  bool auth = false;
  bool no_auth = false;
  std::string key_name;
};

std::string NowIso() {
  return FormatTimestamp(SystemClock().NowMicros());
}

void Log(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cerr << NowIso().substr(0, 19) << "Z " << line << std::endl;
}

EndpointConfig BuildConfig(const ServeArgs& a, const GlobalOptions& global, Workspace& ws) {
  if (a.config.empty() && a.models.empty()) {
    throw UsageError("nothing to serve: give --model REF (repeatable) or --config FILE");
  }
  if (a.port > 65535) throw UsageError("--port must be in [0, 65535]");
  if (a.max_body_mb == 0 || a.max_body_mb < -1) throw UsageError("--max-body-mb must be > 0");
  if (a.timeout_seconds == 0 || a.timeout_seconds < -1) {
    throw UsageError("--timeout-seconds must be > 0");
  }
  if (a.capture_percent > 100) throw UsageError("--capture-percent must be in [0, 100]");
  EndpointConfig c;
  if (!a.config.empty()) {
    std::ifstream in(a.config);
    if (!in) throw NotFound("cannot read the endpoint configuration " + a.config);
    std::stringstream text;
    text << in.rdbuf();
    c = ParseEndpointConfig(text.str(), a.config);
  }
  for (const std::string& ref : a.models) c.models.push_back(ModelFromRef(ref));
  ServerConfig& s = c.server;
  if (a.host) {
    s.host = *a.host;
    s.host_where.clear();
  }
  if (a.port >= 0) s.port = a.port;
  if (global.threads > 0) s.threads = global.threads;
  if (s.threads <= 0) s.threads = DefaultThreads();
  if (a.poll_seconds >= 0) s.poll_seconds = a.poll_seconds;
  if (a.max_body_mb > 0) s.max_body_bytes = static_cast<int64_t>(a.max_body_mb * (1 << 20));
  if (a.timeout_seconds > 0) s.timeout_seconds = a.timeout_seconds;
  if (a.drain_seconds >= 0) s.drain_seconds = a.drain_seconds;
  if (a.auth) s.auth = true;
  if (a.no_auth) s.auth = false;
  if (a.capture_percent >= 0) {
    c.capture.percent = a.capture_percent;
    c.capture.percent_where.clear();
  }
  // The YAML's capture.dir is relative to the workspace root, as the stores in mloop.yaml are;
  // --capture-dir, a path given on the command line, to the current directory.
  if (!c.capture.dir.empty() && std::filesystem::path(c.capture.dir).is_relative()) {
    c.capture.dir = (ws.root() / c.capture.dir).lexically_normal().string();
  }
  if (!a.capture_dir.empty()) {
    c.capture.dir = std::filesystem::absolute(a.capture_dir).lexically_normal().string();
  }
  if (c.capture.dir.empty()) c.capture.dir = (ws.root() / "capture").string();
  // Captured records never go into the workspace's own state (.mloop/, mloop.yaml).
  if (a.capture_dir.empty()) {
    RefuseProtectedOutput(c.capture.dir, "capture.dir");
  } else {
    RefuseProtectedOutput(a.capture_dir, "--capture-dir");  // as typed, relative to here
  }
  ValidateEndpointConfig(c);
  return c;
}

void RunServe(const ServeArgs& a, const GlobalOptions& global) {
  if (a.auth && a.no_auth) throw UsageError("give --auth or --no-auth, not both");
  auto ws = OpenWorkspace(global);
  const EndpointConfig config = BuildConfig(a, global, *ws);
  const bool auth = config.server.auth.value_or(!IsLoopbackHost(config.server.host));
  // Without auth the key file is not read: a damaged one does not stop --no-auth.
  std::unique_ptr<LiveApiKeys> keys;
  if (auth) keys = std::make_unique<LiveApiKeys>(ApiKeys::PathIn(ws->root()));
  if (auth && keys->size() == 0) {
    throw FailedPrecondition(
        std::string("API keys are required (") +
            (config.server.auth ? "auth is on"
                                : "serving on " + config.server.host + ", beyond loopback") +
            ") but the workspace has none",
        "create one with `mloop serve keys create NAME`, or pass --no-auth to serve without");
  }

  ModelSource source;
  source.resolve = [&ws](const std::string& ref) {
    ResolvedModel r = ResolveModelRef(*ws, ref);
    return ModelSource::Resolved{r.model_hash, r.description,
                                 r.version ? std::to_string(r.version->version) : std::string(),
                                 RejectedWarning(r)};
  };
  source.load = [&ws](const std::string& hash) {
    return std::make_shared<const Predictor>(LoadBundle(ws->artifacts(), hash));
  };
  ServerMetrics metrics;
  ModelHost host(config, source, &metrics);

  std::unique_ptr<CaptureWriter> capture;
  if (config.capture.percent > 0)
    capture = std::make_unique<CaptureWriter>(config.capture, &metrics, Log);
  std::unique_ptr<WorkQueue> shadow_queue;
  for (const auto& m : config.models) {
    if (m.shadow && !shadow_queue) shadow_queue = std::make_unique<WorkQueue>(1024);
  }
  HandlerOptions options;
  options.auth = auth;
  options.keys = keys.get();
  options.capture = capture.get();
  options.shadow_queue = shadow_queue.get();
  options.log = Log;
  Handler handler(host, metrics, options);

  HttpServerOptions http;
  http.host = config.server.host;
  http.port = config.server.port;
  http.threads = config.server.threads;
  http.max_body_bytes = config.server.max_body_bytes;
  http.timeout_seconds = config.server.timeout_seconds;
  http.drain_seconds = config.server.drain_seconds;
  http.log = Log;
  HttpServer server(http, handler);

  for (const auto& m : host.models()) {
    std::string line = "model " + m->name() + ":";
    for (const auto& v : m->variants()) {
      line += " " + v->name() + " -> " + v->model()->description;
      if (m->variants().size() > 1) line += " (weight " + FormatDouble(v->weight()) + ")";
      line += ";";
    }
    if (m->shadow()) {
      line += " shadow " + m->shadow()->name() + " -> " + m->shadow()->model()->description + " (" +
              FormatDouble(m->shadow_share() * 100) + "% of requests)";
    }
    if (line.back() == ';') line.pop_back();
    Log(line);
    std::vector<const Variant*> served;
    for (const auto& v : m->variants()) served.push_back(v.get());
    if (m->shadow()) served.push_back(m->shadow());
    for (const Variant* v : served) {
      if (v->warning.empty()) continue;
      Log("warning: " + m->name() + "/" + v->name() + ": " + v->warning +
          "; it is served all the same");
    }
  }
  if (capture) {
    Log("capturing " + FormatDouble(config.capture.percent) + "% of requests into " +
        config.capture.dir);
  }
  Log(std::string("API keys ") + (auth ? "required" : "not required"));
  const std::string& address = config.server.host;
  const bool ipv6 = address.find(':') != std::string::npos;  // http://[::1]:8080
  Log("serving on http://" + (ipv6 ? "[" + address + "]" : address) + ":" +
      std::to_string(server.port()) + " with " + std::to_string(config.server.threads) + " thread" +
      (config.server.threads == 1 ? "" : "s") +
      ": POST /invocations, POST /v2/models/NAME/infer, GET /metrics (Ctrl-C or SIGTERM stops)");

  // Registry polling (alias moves swap the served version) every poll_seconds; the key file is
  // read every second (a few hundred bytes), so that a revoked key stops working within one.
  std::mutex poll_mu;
  std::condition_variable poll_cv;
  bool stopping = false;
  std::thread poller;
  const int poll_seconds = config.server.poll_seconds;
  if (poll_seconds > 0 || keys) {
    poller = std::thread([&] {
      std::unique_lock lock(poll_mu);
      for (int tick = 1; !poll_cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; });
           ++tick) {
        lock.unlock();
        if (keys) {
          if (auto change = keys->Refresh()) Log(*change);
        }
        if (poll_seconds > 0 && tick % poll_seconds == 0) {
          for (const std::string& change : host.Refresh()) Log(change);
        }
        lock.lock();
      }
    });
  }
  server.Run();
  {
    std::lock_guard lock(poll_mu);
    stopping = true;
  }
  poll_cv.notify_all();
  if (poller.joinable()) poller.join();
  if (shadow_queue) shadow_queue->Flush();
  if (capture) capture->Flush();
  Log("stopped");
}

void RunKeys(const std::string& action, const std::string& name, const GlobalOptions& global) {
  auto ws = OpenWorkspace(global);
  const auto path = ApiKeys::PathIn(ws->root());
  ApiKeys keys = ApiKeys::Load(path);
  if (action == "create") {
    const std::string key = keys.Create(name, FormatTimestamp(ws->clock().NowMicros()));
    keys.Save(path);
    std::cout << key << "\n";
    std::cerr << "API key '" << name
              << "' created. It is shown only now (the workspace keeps its SHA-256): send it as "
                 "`Authorization: Bearer <key>`.\n";
  } else if (action == "revoke") {
    keys.Revoke(name);
    keys.Save(path);
    std::cout << "API key '" << name
              << "' revoked (running servers stop accepting it within a second)\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& k : keys.keys()) rows.push_back({k.name, k.created, k.sha256.substr(0, 12)});
    if (rows.empty()) {
      std::cout << "no API keys (create one with `mloop serve keys create NAME`)\n";
      return;
    }
    PrintTable({"NAME", "CREATED", "SHA256"}, rows);
  }
}

}  // namespace

void RegisterServe(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand(
      "serve",
      "Serve registered models over HTTP: SageMaker's /invocations and KServe V2 on one port");
  serve->add_option("--model", a->models,
                    "A model to serve by reference (churn@production, churn/3); repeat for a "
                    "multi-model server");
  serve->add_option("--config", a->config,
                    "An endpoint YAML: variants with traffic weights, a shadow, capture, server "
                    "limits (docs/http-api.md)");
  serve->add_option("--host", a->host, "Address to listen on (default 127.0.0.1)");
  serve->add_option("--port", a->port, "Port (default 8080; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  serve
      ->add_option("--poll-seconds", a->poll_seconds,
                   "How often the registry is checked for alias moves (default 10; 0: never; "
                   "POST /admin/reload checks at once)")
      ->check(CLI::Range(0, 86400));
  serve
      ->add_option("--capture-percent", a->capture_percent,
                   "Share of requests captured with their predictions for monitoring (0-100)")
      ->check(CLI::Range(0.0, 100.0));
  serve->add_option("--capture-dir", a->capture_dir,
                    "Where captured records go (default WORKSPACE/capture)");
  serve->add_option("--max-body-mb", a->max_body_mb, "Largest request body (default 6)")
      ->check(CLI::Range(0.001, 4096.0));
  serve
      ->add_option("--timeout-seconds", a->timeout_seconds,
                   "Time a client has to send a request; also the keep-alive idle time "
                   "(default 60)")
      ->check(CLI::Range(1, 86400));
  serve
      ->add_option("--drain-seconds", a->drain_seconds,
                   "On SIGTERM, how long requests in flight may finish (default 30)")
      ->check(CLI::Range(0, 86400));
  serve->add_flag("--auth", a->auth, "Require an API key (default: only beyond loopback)");
  serve->add_flag("--no-auth", a->no_auth, "Serve without API keys, whatever the address");
  serve->footer(
      "Examples:\n"
      "  mloop serve --model churn@production\n"
      "  curl -s localhost:8080/invocations -H 'Content-Type: text/csv' -d '34,basic,12.5'\n"
      "  mloop serve --config endpoint.yaml --port 9000\n"
      "See docs/http-api.md for every route.");
  serve->callback([a, &global, serve] {
    if (serve->get_subcommands().empty()) RunServe(*a, global);
  });

  auto* keys = serve->add_subcommand("keys", "API keys the server accepts (stored hashed)");
  keys->require_subcommand(1);
  auto* create = keys->add_subcommand("create", "Create a key; prints it once");
  create->add_option("NAME", a->key_name, "A name for the key (who or what uses it)")->required();
  create->callback([a, &global] { RunKeys("create", a->key_name, global); });
  auto* list = keys->add_subcommand("list", "List the keys (names and hash prefixes)");
  list->callback([&global] { RunKeys("list", "", global); });
  auto* revoke = keys->add_subcommand("revoke", "Delete a key");
  revoke->add_option("NAME", a->key_name, "The key's name")->required();
  revoke->callback([a, &global] { RunKeys("revoke", a->key_name, global); });
}

}  // namespace mloop::cli
