#include "mloop/serve/model_host.h"

#include <malloc.h>

#include <algorithm>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"

namespace mloop {

void Variant::Swap(std::shared_ptr<const LoadedModel> model) {
  const Predictor& p = *model->predictor;
  std::vector<std::string> classes;
  if (p.task() == Task::kBinary || p.task() == Task::kMulticlass) {
    classes = p.target().classes;
  } else if (p.task() == Task::kClustering) {
    for (int c = 0; c < p.clusters(); ++c) classes.push_back(std::to_string(c));
  }
  stats_->SetModel(model->description, model->hash, classes, p.task() == Task::kRegression,
                   p.prediction_buckets());
  stats_->clustering.store(p.task() == Task::kClustering, std::memory_order_relaxed);
  model_.store(std::move(model), std::memory_order_release);
}

Variant* ServedModel::Pick() const {
  if (variants_.size() == 1) return variants_[0].get();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double r = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
  const size_t i =
      std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
  return variants_[std::min(i, variants_.size() - 1)].get();
}

Variant* ServedModel::Find(std::string_view name) const {
  for (const auto& v : variants_) {
    if (v->name() == name) return v.get();
  }
  return nullptr;
}

namespace {

bool SameInputs(const std::vector<Field>& a, const std::vector<Field>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].type != b[i].type) return false;
  }
  return true;
}

// What a model answers: its task and, for classification, its classes in order and the label
// type (the fields and values of every response). Empty when `a` answers as `b` does, else
// what differs.
std::string OutputDifference(const Predictor& a, const Predictor& b) {
  const Target& x = a.target();
  const Target& y = b.target();
  if (x.task != y.task) {
    return std::string(TaskName(x.task)) + " predictions against " + std::string(TaskName(y.task));
  }
  if (x.task == Task::kRegression) return {};
  if (x.task == Task::kClustering) {
    if (a.clusters() == b.clusters() || a.clusters() == 0 || b.clusters() == 0) return {};
    return std::to_string(a.clusters()) + " clusters against " + std::to_string(b.clusters());
  }
  if (x.classes != y.classes) {
    return "classes " + Join(x.classes, ", ") + " against " + Join(y.classes, ", ");
  }
  if (x.type != y.type) {
    return std::string(DataTypeName(x.type)) + " labels against " +
           std::string(DataTypeName(y.type));
  }
  return {};
}

std::string InputsText(const std::vector<Field>& fields) {
  std::string out;
  for (const Field& f : fields) {
    out += (out.empty() ? "" : ", ") + f.name + ":" + std::string(DataTypeName(f.type));
  }
  return out;
}

}  // namespace

ModelHost::ModelHost(const EndpointConfig& config, ModelSource source, ServerMetrics* metrics)
    : source_(std::move(source)) {
  std::map<std::string, std::shared_ptr<const LoadedModel>> loaded;  // by hash: load once
  auto load = [&](Variant& v) {
    ModelSource::Resolved r;
    try {
      r = source_.resolve(v.ref());
      auto it = loaded.find(r.hash);
      if (it == loaded.end()) it = loaded.emplace(r.hash, Load(r)).first;
      v.Swap(AsResolved(it->second, r));
      v.warning = r.warning;
    } catch (const Error& e) {
      throw Error(e.code(),
                  "cannot load '" + v.ref() + "' (model '" + v.stats().model + "', variant '" +
                      v.name() + "'): " + e.what(),
                  e.hint());
    }
  };
  for (const ModelEndpointConfig& mc : config.models) {
    auto m = std::make_unique<ServedModel>();
    m->name_ = mc.name;
    double total = 0;
    for (const VariantConfig& vc : mc.variants) {
      auto v = std::make_unique<Variant>(vc.name, vc.model_ref, vc.weight,
                                         metrics->Add(mc.name, vc.name, false));
      load(*v);
      total += vc.weight;
      m->cumulative_.push_back(total);
      m->variants_.push_back(std::move(v));
    }
    if (mc.shadow) {
      m->shadow_ = std::make_unique<Variant>(mc.shadow->name, mc.shadow->model_ref, 0,
                                             metrics->Add(mc.name, mc.shadow->name, true));
      load(*m->shadow_);
      m->shadow_share_ = mc.shadow->share;
    }
    // One endpoint takes one kind of record: every variant and the shadow read the same inputs
    // (names and types, in order), or about half the requests would get 400.
    const Variant& first = *m->variants_[0];
    auto check = [&](const Variant& v) {
      const std::vector<Field>& want = first.model()->predictor->inputs();
      const std::vector<Field>& got = v.model()->predictor->inputs();
      if (!SameInputs(want, got)) {
        throw InvalidArgument("model '" + mc.name + "': variant '" + v.name() + "' (" + v.ref() +
                                  ") takes other inputs than variant '" + first.name() + "' (" +
                                  first.ref() + "): " + InputsText(got) + " against " +
                                  InputsText(want),
                              "the variants and the shadow of one model must take the same "
                              "records; serve different models under different names");
      }
    };
    // ... and answer alike (the task, the classes): a client reads every answer of one endpoint
    // the same way. A shadow's answers are compared, never sent: it may differ.
    auto check_outputs = [&](const Variant& v) {
      const std::string difference =
          OutputDifference(*v.model()->predictor, *first.model()->predictor);
      if (!difference.empty()) {
        throw InvalidArgument("model '" + mc.name + "': variant '" + v.name() + "' (" + v.ref() +
                                  ") answers otherwise than variant '" + first.name() + "' (" +
                                  first.ref() + "): " + difference,
                              "the variants of one model must give the same kind of answer; "
                              "serve different models under different names");
      }
    };
    for (size_t i = 1; i < m->variants_.size(); ++i) {
      check(*m->variants_[i]);
      check_outputs(*m->variants_[i]);
      // Two clustering models number their clusters independently (cluster 2 of one is no
      // cluster of the other): one endpoint would answer in two numberings at random.
      const Variant& v = *m->variants_[i];
      if (first.model()->predictor->task() == Task::kClustering &&
          v.model()->hash != first.model()->hash) {
        throw InvalidArgument("model '" + mc.name + "': variants '" + first.name() + "' (" +
                                  first.ref() + ") and '" + v.name() + "' (" + v.ref() +
                                  ") are two clustering models, whose cluster numbers do not "
                                  "correspond",
                              "serve them under different names, or compare them with a "
                              "shadow (its per-cluster counts are in /metrics)");
      }
    }
    if (m->shadow_) check(*m->shadow_);
    models_.push_back(std::move(m));
  }
}

ServedModel* ModelHost::Find(std::string_view name) const {
  for (const auto& m : models_) {
    if (m->name() == name) return m.get();
  }
  return nullptr;
}

namespace {
// The version a resolved reference reports: the registered one, else the address's prefix.
std::string VersionOf(const ModelSource::Resolved& r) {
  return r.version.empty() ? r.hash.substr(0, 12) : r.version;
}
}  // namespace

std::shared_ptr<const LoadedModel> ModelHost::AsResolved(
    const std::shared_ptr<const LoadedModel>& model, const ModelSource::Resolved& r) {
  const std::string version = VersionOf(r);
  if (model->description == r.description && model->version == version) return model;
  auto renamed = std::make_shared<LoadedModel>(*model);  // the predictor shared, not loaded again
  renamed->description = r.description;
  renamed->version = version;
  return renamed;
}

std::shared_ptr<const LoadedModel> ModelHost::Load(const ModelSource::Resolved& r) {
  auto m = std::make_shared<LoadedModel>();
  m->hash = r.hash;
  m->description = r.description;
  m->version = VersionOf(r);
  m->predictor = source_.load(r.hash);
  if (m->predictor->task() == Task::kBinary || m->predictor->task() == Task::kMulticlass) {
    m->write_options.label_type = m->predictor->target().type;
  }
  return m;
}

std::vector<std::string> ModelHost::Refresh(bool repeat_failures) {
  std::lock_guard lock(refresh_mu_);
  std::vector<std::string> out;
  std::map<std::string, std::shared_ptr<const LoadedModel>> loaded;
  auto refresh = [&](ServedModel& m, Variant& v) {
    const std::string who = m.name() + "/" + v.name();
    const auto current = v.model();
    try {
      ModelSource::Resolved r = source_.resolve(v.ref());
      if (r.hash == current->hash) {
        v.last_refresh_error.clear();
        if (r.description != current->description) {
          // Another version of the same bundle (a run registered twice): nothing to load, but
          // the version reported in headers and metrics moves with the alias.
          v.Swap(AsResolved(current, r));
          v.stats().swaps.fetch_add(1, std::memory_order_relaxed);
          out.push_back(who + ": " + current->description + " -> " + r.description +
                        " (the same model)" +
                        (r.warning.empty() ? "" : " (warning: " + r.warning + ")"));
        } else if (r.warning != v.warning && !r.warning.empty()) {
          out.push_back(who + ": warning: " + r.warning + "; it is served all the same");
        }
        v.warning = r.warning;
        return;
      }
      auto it = loaded.find(r.hash);
      if (it == loaded.end()) it = loaded.emplace(r.hash, Load(r)).first;
      const std::shared_ptr<const LoadedModel> next = AsResolved(it->second, r);
      // The endpoint keeps taking the records it took: a version with other inputs (other
      // columns, another order) would read every request's values as the wrong features.
      const std::vector<Field>& want = current->predictor->inputs();
      const std::vector<Field>& got = next->predictor->inputs();
      if (!SameInputs(want, got)) {
        throw InvalidArgument(next->description + " takes other inputs (" + InputsText(got) +
                              ") than the endpoint serves (" + InputsText(want) +
                              "); serve it under another name");
      }
      // ... and its clients keep reading the answers they read (a variant's; a shadow may
      // change as it likes: its answers are only compared).
      const std::string difference = OutputDifference(*next->predictor, *current->predictor);
      if (!difference.empty() && &v != m.shadow()) {
        throw InvalidArgument(next->description + " answers otherwise than the endpoint (" +
                              difference + "); serve it under another name");
      }
      // Variants of a clustering model stay one model (see the constructor): a variant moves
      // only to where every other variant's reference now resolves too (an alias they share).
      if (&v != m.shadow() && next->predictor->task() == Task::kClustering) {
        for (const auto& w : m.variants()) {
          if (w.get() == &v || source_.resolve(w->ref()).hash == r.hash) continue;
          throw InvalidArgument(next->description + " and variant '" + w->name() + "' (" +
                                w->ref() +
                                ") would be two clustering models, whose cluster numbers do not "
                                "correspond; serve it under another name");
        }
      }
      v.Swap(next);
      v.last_refresh_error.clear();
      v.stats().swaps.fetch_add(1, std::memory_order_relaxed);
      v.warning = r.warning;
      out.push_back(who + ": " + current->description + " -> " + next->description +
                    (r.warning.empty() ? "" : " (warning: " + r.warning + ")"));
    } catch (const std::exception& e) {
      const bool repeated = v.last_refresh_error == e.what();  // as at the last poll
      if (repeated && !repeat_failures) return;
      if (!repeated) {
        v.last_refresh_error = e.what();
        v.stats().load_failures.fetch_add(1, std::memory_order_relaxed);
      }
      out.push_back(who + ": kept " + current->description + ": " + e.what());
    }
  };
  for (const auto& m : models_) {
    for (const auto& v : m->variants()) refresh(*m, *v);
    if (m->shadow()) refresh(*m, *m->shadow());
  }
  if (!out.empty()) {
    // The replaced versions are freed as their last requests finish; hand the heap they held
    // back to the system so that a long-lived server's memory stays flat across swaps.
    loaded.clear();
    malloc_trim(0);
  }
  return out;
}

}  // namespace mloop
