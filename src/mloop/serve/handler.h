// The server's routes, apart from HTTP transport (serve/http_server.h carries bytes; this decides
// what they mean), so that every route is testable without a socket. docs/http-api.md documents
// each route.
//
//   GET  /ping                                   SageMaker health: 200 when ready, 503 draining
//   POST /invocations                            SageMaker inference (CSV, JSON, JSON Lines)
//   GET  /v2/health/live, /v2/health/ready       KServe V2 (Open Inference Protocol) health
//   GET  /v2                                     server metadata
//   GET  /v2/models/{m}[/versions/{v}][/ready]   model metadata / readiness
//   POST /v2/models/{m}[/versions/{v}]/infer     inference with V2 tensors
//   GET  /metrics                                Prometheus text
//   GET  /admin/models                           what each variant serves
//   POST /admin/reload                           resolve the references again now (hot swap)
//   POST /ground-truth                           labels for captured requests, by inference id
//                                                (written beside the capture files)
//
// Status codes: 400 bad record (JSON body naming record and field), 401 missing or wrong API
// key, 404 unknown route, model or version, 405 wrong method, 406 unsupported Accept, 413 body
// too large (the transport), 409 ground truth without capture, 415 unsupported Content-Type,
// 424 the model failed, 503 draining.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mloop/serve/api_keys.h"
#include "mloop/serve/capture.h"
#include "mloop/serve/metrics.h"
#include "mloop/serve/model_host.h"
#include "mloop/serve/work_queue.h"

namespace mloop {

struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // path and query
  std::string_view body;
  std::string_view content_type;
  std::string_view accept;
  std::string_view authorization;
  std::string_view target_model;       // X-Amzn-SageMaker-Target-Model
  std::string_view target_variant;     // X-Amzn-SageMaker-Target-Variant
  std::string_view custom_attributes;  // X-Amzn-SageMaker-Custom-Attributes
  std::string_view inference_id;       // X-Amzn-SageMaker-Inference-Id
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HandlerOptions {
  bool auth = false;                 // require `Authorization: Bearer <key>` (not on health routes)
  LiveApiKeys* keys = nullptr;       // re-read by POST /admin/reload too
  CaptureWriter* capture = nullptr;  // null: capture off
  WorkQueue* shadow_queue = nullptr;  // runs shadow predictions; null: shadows off
  // Where POST /admin/reload's changes are logged too (as the polls' are); null: not logged.
  std::function<void(const std::string&)> log;
};

class Handler {
 public:
  Handler(ModelHost& host, ServerMetrics& metrics, HandlerOptions options);

  // Thread-safe: called by every server thread at once.
  void Handle(const HttpRequest& request, HttpResponse* response) const;
  // A request the transport answered itself (413, a malformed request, a duplicate header):
  // counted with the requests that reached no variant.
  void CountTransportAnswer(int status) const;

  // While draining, health routes answer 503 so that load balancers stop sending traffic.
  void SetDraining(bool draining) { draining_.store(draining); }

 private:
  void Invocations(const HttpRequest& req, HttpResponse* res, VariantStats** stats) const;
  void V2(const HttpRequest& req, std::string_view path, HttpResponse* res,
          VariantStats** stats) const;
  void V2Infer(const HttpRequest& req, const ServedModel& model, Variant& variant,
               HttpResponse* res) const;
  void Admin(const HttpRequest& req, std::string_view path, HttpResponse* res) const;
  void GroundTruth(const HttpRequest& req, HttpResponse* res) const;
  // What happens to a request beyond its answer, drawn before its records are read: whether
  // it is captured and whether the shadow sees it (both need the input as a table).
  struct Extras {
    bool capture = false;
    bool shadow = false;
  };
  Extras Draw(const ServedModel& model) const;
  // Predicts on `input` with `variant`, counts, and captures and shadows as `extras` says;
  // false (with the 424 response filled) when the model throws.
  bool Predict(const ServedModel& model, Variant& variant, const LoadedModel& loaded,
               const Table& input, const HttpRequest& req, Extras extras, Table* predictions,
               HttpResponse* res) const;
  // Queues the shadow's prediction of `input`; its answer is captured, under the answered
  // request's `inference_id`, when `capture`.
  void Shadow(const ServedModel& model, const Table& input, const Table& predictions,
              const HttpRequest& req, const std::string& inference_id, bool capture) const;

  ModelHost& host_;
  ServerMetrics& metrics_;
  HandlerOptions options_;
  std::atomic<bool> draining_{false};
};

// {"error": message} (and "record", "field" when given).
std::string ErrorJson(std::string_view message, int64_t record = 0, std::string_view field = {});

}  // namespace mloop
