#include "mloop/serve/endpoint_config.h"

#include <arpa/inet.h>

#include <cctype>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/yaml_util.h"

namespace mloop {

using namespace mloop::yaml;

namespace {

const std::vector<std::string> kTopKeys = {"models", "capture", "server"};
const std::vector<std::string> kModelKeys = {"name", "variants", "shadow", "model"};
const std::vector<std::string> kVariantKeys = {"name", "model", "weight"};
const std::vector<std::string> kShadowKeys = {"name", "model", "share"};
// The ranges the command line's flags take (--timeout-seconds, --threads, ...).
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMinutesPerYear = 525600;

const std::vector<std::string> kCaptureKeys = {"percent", "dir", "max_file_mb", "rotate_minutes"};
const std::vector<std::string> kServerKeys = {
    "host",         "port",          "threads", "max_body_mb", "timeout_seconds",
    "poll_seconds", "drain_seconds", "auth"};

bool Bool(const std::string& origin, const YAML::Node& node, const std::string& key) {
  const nlohmann::json j = ToJson(node);
  if (!j.is_boolean()) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be true or false");
  }
  return j.get<bool>();
}

// The registered model's name in a reference, or "" for run and hash references.
std::string ModelNameOf(const std::string& ref) {
  const size_t cut = ref.find_first_of("@/");
  if (cut == std::string::npos || cut == 0) return "";
  return ref.substr(0, cut);
}

constexpr const char* kHostHint =
    "an IP address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every interface), ::1, "
    ":: or one of this machine's addresses; or localhost";

std::string HostProblem(const std::string& host) {
  return host.empty() ? "is empty" : "'" + Printable(host, 60) + "' is not an IP address";
}

ModelEndpointConfig ParseModel(const std::string& origin, const YAML::Node& node) {
  if (!node.IsMap()) throw InvalidArgument(Where(origin, node) + ": a model must be a mapping");
  CheckKeys(origin, node, kModelKeys, "in a model");
  ModelEndpointConfig m;
  if (node["model"]) {  // shorthand: one variant
    if (node["variants"]) {
      throw InvalidArgument(Where(origin, node) + ": give 'model' or 'variants', not both");
    }
    m = ModelFromRef(String(origin, node["model"], "model"));
  }
  if (node["variants"]) {
    const YAML::Node& vs = node["variants"];
    if (!vs.IsSequence() || vs.size() == 0) {
      throw InvalidArgument(Where(origin, vs) + ": 'variants' must be a non-empty list");
    }
    for (const auto& v : vs) {
      if (!v.IsMap()) throw InvalidArgument(Where(origin, v) + ": a variant must be a mapping");
      CheckKeys(origin, v, kVariantKeys, "in a variant");
      VariantConfig vc;
      if (!v["model"]) throw InvalidArgument(Where(origin, v) + ": a variant needs 'model'");
      vc.model_ref = String(origin, v["model"], "model");
      vc.name = v["name"] ? String(origin, v["name"], "name")
                          : ModelFromRef(vc.model_ref).variants[0].name;
      if (v["name"] && !IsPlainName(vc.name)) {  // at its line, as a model's name
        throw InvalidArgument(
            Where(origin, v["name"]) + ": invalid variant name '" + Printable(vc.name) + "'",
            kPlainNameRule);
      }
      if (v["weight"]) vc.weight = Number(origin, v["weight"], "weight");
      if (!(vc.weight > 0)) {
        throw InvalidArgument(Where(origin, v["weight"]) + ": 'weight' must be > 0");
      }
      if (!(vc.weight <= 1e12)) {  // their sum must stay finite for the traffic split
        throw InvalidArgument(Where(origin, v["weight"]) + ": 'weight' must be at most 1e12",
                              "weights are relative: 80 and 20 split as 0.8 and 0.2 do");
      }
      for (const VariantConfig& other : m.variants) {
        if (other.name == vc.name) {
          throw InvalidArgument(Where(origin, v) + ": a second variant named '" + vc.name + "'",
                                "give each variant its own 'name'");
        }
      }
      m.variants.push_back(std::move(vc));
    }
  }
  if (m.variants.empty()) {
    throw InvalidArgument(Where(origin, node) + ": a model needs 'variants' (or 'model')");
  }
  if (node["name"]) {
    m.name = String(origin, node["name"], "name");
    if (!IsPlainName(m.name)) {  // at its line here; ValidateEndpointConfig checks --model's
      throw InvalidArgument(
          Where(origin, node["name"]) + ": invalid model name '" + Printable(m.name) + "'",
          kPlainNameRule);
    }
  } else if (m.name.empty()) {
    m.name = ModelNameOf(m.variants[0].model_ref);
    if (m.name.empty()) {
      throw InvalidArgument(Where(origin, node) + ": a model needs a 'name'");
    }
  }
  if (node["shadow"]) {
    const YAML::Node& s = node["shadow"];
    if (!s.IsMap()) throw InvalidArgument(Where(origin, s) + ": 'shadow' must be a mapping");
    CheckKeys(origin, s, kShadowKeys, "in 'shadow'");
    ShadowConfig sc;
    if (!s["model"]) throw InvalidArgument(Where(origin, s) + ": 'shadow' needs 'model'");
    sc.model_ref = String(origin, s["model"], "model");
    sc.name = s["name"] ? String(origin, s["name"], "name") : "shadow";
    if (!IsPlainName(sc.name)) {
      throw InvalidArgument(
          Where(origin, s["name"]) + ": invalid shadow name '" + Printable(sc.name) + "'",
          kPlainNameRule);
    }
    if (s["share"]) sc.share = Number(origin, s["share"], "share");
    if (sc.share <= 0 || sc.share > 1) {
      throw InvalidArgument(Where(origin, s["share"]) + ": 'share' must be in (0, 1]");
    }
    for (const VariantConfig& v : m.variants) {
      if (v.name == sc.name) {
        throw InvalidArgument(
            Where(origin, s) + ": the shadow is named like a variant ('" + sc.name + "')",
            "give the shadow its own 'name'");
      }
    }
    m.shadow = std::move(sc);
  }
  return m;
}

}  // namespace

ModelEndpointConfig ModelFromRef(const std::string& ref) {
  ModelEndpointConfig m;
  VariantConfig v;
  v.model_ref = ref;
  const std::string model = ModelNameOf(ref);
  m.name = model.empty() ? ref : model;
  // A run (`3` or `run:3`) is served as `run-3`: a name in URL paths and metric labels.
  const std::string id = ref.rfind("run:", 0) == 0 ? ref.substr(4) : ref;
  if (model.empty() && !id.empty() && id.size() < 12 &&
      id.find_first_not_of("0123456789") == std::string::npos) {
    m.name = "run-" + id;
  }
  const size_t at = ref.find('@');
  const size_t slash = ref.find('/');
  if (!model.empty() && at != std::string::npos) {
    v.name = ref.substr(at + 1);
  } else if (!model.empty() && slash != std::string::npos) {
    v.name = "v" + ref.substr(slash + 1);
  } else {
    v.name = "primary";
  }
  m.variants.push_back(std::move(v));
  return m;
}

EndpointConfig ParseEndpointConfig(const std::string& text, const std::string& origin) {
  const YAML::Node root = LoadYaml(text, origin);
  if (!root.IsMap()) throw InvalidArgument(origin + ": an endpoint configuration is a mapping");
  CheckKeys(origin, root, kTopKeys, "at the top level");
  EndpointConfig c;
  if (const YAML::Node& ms = root["models"]) {
    if (!ms.IsSequence()) throw InvalidArgument(Where(origin, ms) + ": 'models' must be a list");
    if (ms.size() == 0) {
      throw InvalidArgument(Where(origin, ms) + ": 'models' is empty: nothing to serve",
                            "list a model: models: [{name: churn, model: churn@production}]");
    }
    for (const auto& m : ms) {
      c.models.push_back(ParseModel(origin, m));
      for (size_t i = 0; i + 1 < c.models.size(); ++i) {
        if (c.models[i].name == c.models.back().name) {
          throw InvalidArgument(
              Where(origin, m) + ": model '" + c.models.back().name + "' is served twice",
              "each served model needs its own 'name'");
        }
      }
    }
  }
  if (const YAML::Node& cap = root["capture"]) {
    if (!cap.IsMap()) throw InvalidArgument(Where(origin, cap) + ": 'capture' must be a mapping");
    CheckKeys(origin, cap, kCaptureKeys, "in 'capture'");
    if (cap["percent"]) {
      c.capture.percent = Number(origin, cap["percent"], "percent");
      c.capture.percent_where = Where(origin, cap["percent"]);
    }
    if (cap["dir"]) c.capture.dir = String(origin, cap["dir"], "dir");
    if (cap["max_file_mb"]) {
      c.capture.max_file_bytes = Integer(origin, cap["max_file_mb"], "max_file_mb", 1, 1 << 20)
                                 << 20;
    }
    if (cap["rotate_minutes"]) {
      c.capture.rotate_seconds = static_cast<int>(
          Integer(origin, cap["rotate_minutes"], "rotate_minutes", 1, kMinutesPerYear) * 60);
    }
  }
  if (const YAML::Node& s = root["server"]) {
    if (!s.IsMap()) throw InvalidArgument(Where(origin, s) + ": 'server' must be a mapping");
    CheckKeys(origin, s, kServerKeys, "in 'server'");
    ServerConfig& v = c.server;
    if (s["host"]) {
      v.host = String(origin, s["host"], "host");
      v.host_where = Where(origin, s["host"]);
    }
    if (s["port"]) v.port = static_cast<int>(Integer(origin, s["port"], "port", 0, 65535));
    if (s["threads"])
      v.threads = static_cast<int>(Integer(origin, s["threads"], "threads", 0, 1024));
    if (s["max_body_mb"]) {
      const double mb = Number(origin, s["max_body_mb"], "max_body_mb");
      if (!(mb >= 0.001 && mb <= 4096)) {  // as --max-body-mb
        throw InvalidArgument(Where(origin, s["max_body_mb"]) +
                              ": 'max_body_mb' must be in [0.001, 4096]");
      }
      v.max_body_bytes = static_cast<int64_t>(mb * (1 << 20));
    }
    if (s["timeout_seconds"]) {
      v.timeout_seconds = static_cast<int>(
          Integer(origin, s["timeout_seconds"], "timeout_seconds", 1, kSecondsPerDay));
    }
    if (s["poll_seconds"]) {
      v.poll_seconds =
          static_cast<int>(Integer(origin, s["poll_seconds"], "poll_seconds", 0, kSecondsPerDay));
    }
    if (s["drain_seconds"]) {
      v.drain_seconds =
          static_cast<int>(Integer(origin, s["drain_seconds"], "drain_seconds", 0, kSecondsPerDay));
    }
    if (s["auth"]) v.auth = Bool(origin, s["auth"], "auth");
  }
  ValidateEndpointConfig(c, /*settings=*/false);  // the flags may override settings
  return c;
}

namespace {

// Endpoint, variant and shadow names appear in URL paths (/v2/models/NAME), headers, metrics
// labels and capture directories: the registry's rules for model names, so that none can hold
// a '/' or climb out of the capture directory with "..".
void CheckEndpointName(const std::string& what, const std::string& name) {
  if (!IsPlainName(name)) {
    throw InvalidArgument(
        "invalid " + what + " name '" + name + "'",
        std::string(kPlainNameRule) + " (set it with 'name:' in the endpoint YAML)");
  }
}

}  // namespace

void ValidateEndpointConfig(const EndpointConfig& c, bool settings) {
  if (c.models.empty()) {
    throw InvalidArgument("nothing to serve: give --model REF or a configuration with 'models'");
  }
  std::set<std::string> models;
  for (const ModelEndpointConfig& m : c.models) {
    CheckEndpointName("model", m.name);
    for (const VariantConfig& v : m.variants) CheckEndpointName("variant", v.name);
    if (m.shadow) CheckEndpointName("shadow", m.shadow->name);
    if (!models.insert(m.name).second) {
      throw InvalidArgument("model '" + m.name + "' is served twice",
                            "each served model needs its own name: one --model per registered "
                            "model, or each model its own 'name' in an endpoint YAML (--config)");
    }
    if (m.variants.empty()) throw InvalidArgument("model '" + m.name + "' has no variants");
    std::set<std::string> variants;
    for (const VariantConfig& v : m.variants) {
      if (!variants.insert(v.name).second) {
        throw InvalidArgument("model '" + m.name + "' has two variants named '" + v.name + "'");
      }
      if (!(v.weight > 0)) {
        throw InvalidArgument("variant '" + v.name + "' of model '" + m.name +
                              "': weight must be > 0");
      }
    }
    if (m.shadow && variants.count(m.shadow->name)) {
      throw InvalidArgument("model '" + m.name + "': the shadow is named like a variant ('" +
                            m.shadow->name + "')");
    }
  }
  if (!settings) return;
  // Where a file gave the value, its place; a flag's value is named as the flag's.
  if (!(c.capture.percent >= 0 && c.capture.percent <= 100)) {
    throw InvalidArgument(c.capture.percent_where.empty()
                              ? "capture percent must be in [0, 100]"
                              : c.capture.percent_where + ": 'percent' must be in [0, 100]");
  }
  if (!IsListenAddress(c.server.host)) {
    throw InvalidArgument(c.server.host_where.empty()
                              ? "host " + HostProblem(c.server.host)
                              : c.server.host_where + ": 'host' " + HostProblem(c.server.host),
                          kHostHint);
  }
  if (c.server.port < 0 || c.server.port > 65535) {
    throw InvalidArgument("port must be in [0, 65535], got " + std::to_string(c.server.port));
  }
  if (c.server.max_body_bytes <= 0 || c.server.max_body_bytes > (int64_t{4096} << 20)) {
    throw InvalidArgument("max_body_mb must be in (0, 4096]");
  }
}

bool IsListenAddress(const std::string& host) {
  if (host == "localhost") return true;
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace mloop
