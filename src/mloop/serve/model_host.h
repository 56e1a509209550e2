// The models a server holds: per served model its production variants (traffic split by weight)
// and an optional shadow, each pointing at the loaded version of its registry reference. A
// refresh resolves every reference again and swaps in versions whose alias moved: the swap is
// one atomic pointer store, so a request in flight finishes on the version it started with.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "mloop/model/bundle.h"
#include "mloop/model/records.h"
#include "mloop/serve/endpoint_config.h"
#include "mloop/serve/metrics.h"

namespace mloop {

// One loaded model version.
struct LoadedModel {
  std::string hash;         // the bundle's address
  std::string description;  // "churn/3", "run 7"
  std::string version;      // "3" for a registered version, else the hash's first 12 characters
  std::shared_ptr<const Predictor> predictor;
  PredictionWriteOptions write_options;
};

// Where references resolve and bundles load from: the workspace in `mloop serve`, a stand-in in
// tests. `resolve` returns {hash, description, version, warning}; both may throw mloop::Error.
struct ModelSource {
  struct Resolved {
    std::string hash, description, version, warning;
  };
  std::function<Resolved(const std::string& ref)> resolve;
  std::function<std::shared_ptr<const Predictor>(const std::string& hash)> load;
};

class Variant {
 public:
  Variant(std::string name, std::string ref, double weight, VariantStats* stats)
      : name_(std::move(name)), ref_(std::move(ref)), weight_(weight), stats_(stats) {}

  const std::string& name() const { return name_; }
  const std::string& ref() const { return ref_; }
  double weight() const { return weight_; }
  VariantStats& stats() const { return *stats_; }
  std::shared_ptr<const LoadedModel> model() const {
    return model_.load(std::memory_order_acquire);
  }
  void Swap(std::shared_ptr<const LoadedModel> model);

  // The last refresh's failure to move to a new version ("" after a success): a failure is
  // counted and logged once, not at every poll while it lasts. Used under ModelHost's refresh
  // lock only.
  std::string last_refresh_error;
  // The registry's warning about the version served ("churn/3 is Rejected in the registry"),
  // else empty. Like last_refresh_error, touched only at load and under the refresh lock.
  std::string warning;

 private:
  std::string name_, ref_;
  double weight_;
  VariantStats* stats_;
  std::atomic<std::shared_ptr<const LoadedModel>> model_;
};

class ServedModel {
 public:
  const std::string& name() const { return name_; }
  const std::vector<std::unique_ptr<Variant>>& variants() const { return variants_; }
  Variant* shadow() const { return shadow_.get(); }
  double shadow_share() const { return shadow_share_; }
  // A variant drawn by weight.
  Variant* Pick() const;
  // The variant named `name` (not the shadow), or null.
  Variant* Find(std::string_view name) const;

 private:
  friend class ModelHost;
  std::string name_;
  std::vector<std::unique_ptr<Variant>> variants_;
  std::vector<double> cumulative_;  // running sums of the weights
  std::unique_ptr<Variant> shadow_;
  double shadow_share_ = 0;
};

class ModelHost {
 public:
  // Loads every variant's model; throws (the server does not start) when one fails.
  ModelHost(const EndpointConfig& config, ModelSource source, ServerMetrics* metrics);

  const std::vector<std::unique_ptr<ServedModel>>& models() const { return models_; }
  // By name, or null.
  ServedModel* Find(std::string_view name) const;

  // Resolves every reference again and swaps in the versions that changed. Returns one line per
  // swap ("churn/production: churn/3 -> churn/4") and per failure (the old version stays).
  // Serialised: concurrent calls run one after the other. A failure that persists is reported
  // (and counted) once, unless `repeat_failures` (an explicit reload asks for the whole state).
  std::vector<std::string> Refresh(bool repeat_failures = false);

 private:
  std::shared_ptr<const LoadedModel> Load(const ModelSource::Resolved& r);
  // `model` (loaded for r.hash) as `r` names it: two references to one bundle (churn/2 and
  // churn/4, a run registered twice) share its predictor but keep their own version.
  static std::shared_ptr<const LoadedModel> AsResolved(
      const std::shared_ptr<const LoadedModel>& model, const ModelSource::Resolved& r);

  ModelSource source_;
  std::vector<std::unique_ptr<ServedModel>> models_;
  std::mutex refresh_mu_;
};

}  // namespace mloop
