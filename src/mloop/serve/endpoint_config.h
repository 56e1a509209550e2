// What `mloop serve` serves: models, their production variants and shadow, data capture and the
// server's limits; from `--model REF` flags or an endpoint YAML file (docs/http-api.md):
//
//   models:
//     - name: churn                    # the name requests address (X-Amzn-SageMaker-Target-Model,
//       variants:                      #   /v2/models/churn); default: the registered model's name
//         - {name: A, model: churn@production, weight: 0.8}
//         - {name: B, model: churn@staging, weight: 0.2}
//       shadow: {name: challenger, model: churn/5, share: 0.1}
//   capture: {percent: 10, max_file_mb: 64, rotate_minutes: 60}
//   server: {host: 127.0.0.1, port: 8080, threads: 2, max_body_mb: 6, timeout_seconds: 60,
//            poll_seconds: 10, drain_seconds: 30, auth: false}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mloop {

struct VariantConfig {
  std::string name;       // unique within its model
  std::string model_ref;  // a registry reference (track/registry.h): churn@production, churn/3
  double weight = 1;      // share of traffic, relative to the other variants' weights
};

struct ShadowConfig {
  std::string name;
  std::string model_ref;
  double share = 1;  // fraction of requests (0..1] also sent to the shadow
};

struct ModelEndpointConfig {
  std::string name;
  std::vector<VariantConfig> variants;  // at least one
  std::optional<ShadowConfig> shadow;
};

struct CaptureConfig {
  double percent = 0;         // of requests captured (0: capture off)
  std::string percent_where;  // "FILE:LINE:COL" when the value came from a file (for messages)
  std::string dir;            // default: <workspace>/capture
  int64_t max_file_bytes = int64_t{64} << 20;
  int rotate_seconds = 3600;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::string host_where;  // "FILE:LINE:COL" when the value came from a file (for messages)
  int port = 8080;
  int threads = 0;                            // 0: one per core
  int64_t max_body_bytes = int64_t{6} << 20;  // SageMaker's payload limit
  int timeout_seconds = 60;                   // to read a request; also the keep-alive idle time
  int poll_seconds = 10;                      // registry polling for alias moves; 0: off
  int drain_seconds = 30;                     // SIGTERM: how long requests in flight may finish
  std::optional<bool> auth;                   // unset: on unless bound to loopback
};

struct EndpointConfig {
  std::vector<ModelEndpointConfig> models;
  CaptureConfig capture;
  ServerConfig server;
};

// Parses an endpoint YAML (`origin` names it in messages). InvalidArgument naming the key and
// line for an unknown key, a bad value, duplicate names or a model without variants.
EndpointConfig ParseEndpointConfig(const std::string& yaml, const std::string& origin);

// One model endpoint per reference, with one variant taking all traffic. Its name is the
// registered model's ("churn" for churn@production or churn/3; else the reference itself); the
// variant is named after the alias or version ("production", "v3").
ModelEndpointConfig ModelFromRef(const std::string& ref);

// Checks names (unique models, unique variants per model, a shadow named apart from them),
// weights (> 0) and limits. InvalidArgument naming the problem.
// `settings` false: names and structure only (a file's settings may still be overridden by
// flags, which are checked with them afterwards).
void ValidateEndpointConfig(const EndpointConfig& config, bool settings = true);

bool IsLoopbackHost(const std::string& host);
// An address the server can listen on: an IPv4 or IPv6 address, or "localhost".
bool IsListenAddress(const std::string& host);

}  // namespace mloop
