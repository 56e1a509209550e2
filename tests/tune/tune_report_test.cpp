#include "mloop/tune/tune_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "mloop/core/error.h"

namespace mloop::tune {
namespace {

using nlohmann::json;

json Trial(int number, const std::string& state, json value, json params) {
  return {{"number", number},
          {"state", state},
          {"value", std::move(value)},
          {"params", std::move(params)},
          {"seconds", 0.5}};
}

// A job whose objective is lr (log scale) plus tiny noise; `noise` and `kind` do nothing.
json DeterminedJob(int n, bool with_job = true) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const char* kinds[] = {"a", "b", "c"};
  json trials = json::array();
  for (int i = 0; i < n; ++i) {
    double lr = std::pow(10.0, -4 + 4 * u(rng));
    double noise = u(rng);
    std::string kind = kinds[static_cast<int>(u(rng) * 3) % 3];
    double value = std::log10(lr) + 1e-3 * u(rng);
    trials.push_back(Trial(i, "complete", value, {{"lr", lr}, {"noise", noise}, {"kind", kind}}));
  }
  json r = {{"name", "demo"},       {"objective", {{"metric", "val_loss"}, {"goal", "minimize"}}},
            {"strategy", "random"}, {"stop_reason", "max_trials"},
            {"seconds", 12.5},      {"best", nullptr},
            {"trials", trials}};
  if (with_job) {
    r["job"] = {{"parameters",
                 {{"lr", {{"type", "continuous"}, {"min", 1e-4}, {"max", 1}, {"scale", "log"}}},
                  {"noise", {{"type", "continuous"}, {"min", 0}, {"max", 1}}},
                  {"kind", {{"type", "categorical"}, {"values", {"a", "b", "c"}}}}}}};
  }
  return r;
}

double Sum(const std::vector<std::pair<std::string, double>>& imp) {
  double s = 0;
  for (const auto& [name, v] : imp) s += v;
  return s;
}

double Get(const std::vector<std::pair<std::string, double>>& imp, const std::string& name) {
  for (const auto& [n, v] : imp) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no importance for " << name;
  return NAN;
}

bool Contains(const std::string& html, const std::string& part) {
  return html.find(part) != std::string::npos;
}

TEST(TuneReportImportance, DeterminingParameterGetsNearlyAllNoiseNearlyNone) {
  auto imp = ParameterImportance(DeterminedJob(200));
  ASSERT_EQ(imp.size(), 3u);
  EXPECT_EQ(imp[0].first, "lr");
  EXPECT_GT(Get(imp, "lr"), 0.95);
  EXPECT_LT(Get(imp, "noise"), 0.03);
  EXPECT_LT(Get(imp, "kind"), 0.03);
  EXPECT_NEAR(Sum(imp), 1.0, 1e-9);
  for (size_t i = 1; i < imp.size(); ++i) EXPECT_GE(imp[i - 1].second, imp[i].second);
}

TEST(TuneReportImportance, NoiseStaysSmallWithFewTrials) {
  // The chance correction: with 30 trials the raw between-bin share of a noise parameter would
  // be about 0.3.
  auto imp = ParameterImportance(DeterminedJob(30));
  ASSERT_FALSE(imp.empty());
  EXPECT_GT(Get(imp, "lr"), 0.85);
  EXPECT_NEAR(Sum(imp), 1.0, 1e-9);
}

TEST(TuneReportImportance, OneDivergedTrialDoesNotDecide) {
  // On raw values the bin holding the 1e6 would take nearly all the variance, for whichever
  // parameter; on ranks it is just the worst trial.
  json r = DeterminedJob(100);
  r["trials"][17]["value"] = 1e6;
  auto imp = ParameterImportance(r);
  ASSERT_FALSE(imp.empty());
  EXPECT_EQ(imp[0].first, "lr");
  EXPECT_GT(Get(imp, "lr"), 0.9);
}

TEST(TuneReportImportance, CategoricalParameterCanDetermineTheObjective) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  json trials = json::array();
  const char* kernels[] = {"linear", "rbf", "poly"};
  const double effect[] = {0.0, 1.0, 5.0};
  for (int i = 0; i < 300; ++i) {
    int k = i % 3;
    trials.push_back(
        Trial(i, "complete", effect[k] + 0.01 * u(rng), {{"kernel", kernels[k]}, {"c", u(rng)}}));
  }
  auto imp = ParameterImportance({{"trials", trials}});  // no job: kinds inferred
  ASSERT_EQ(imp.size(), 2u);
  EXPECT_EQ(imp[0].first, "kernel");
  EXPECT_GT(imp[0].second, 0.95);
  EXPECT_NEAR(Sum(imp), 1.0, 1e-9);
}

TEST(TuneReportImportance, ConditionalParameterAbsentFromSomeTrials) {
  json trials = json::array();
  for (int i = 0; i < 40; ++i) {
    json params = {{"kernel", i % 2 == 0 ? "rbf" : "linear"}};
    double value = i % 2 == 0 ? 1.0 : 0.0;
    if (i % 2 == 0) {
      params["gamma"] = 0.001 * (i + 1);
      value += 0.01 * i;  // gamma matters among rbf trials
    }
    trials.push_back(Trial(i, "complete", value, params));
  }
  json r = {{"trials", trials},
            {"job",
             {{"parameters",
               {{"kernel", {{"type", "categorical"}, {"values", {"linear", "rbf"}}}},
                {"gamma",
                 {{"type", "continuous"},
                  {"min", 1e-3},
                  {"max", 1},
                  {"scale", "log"},
                  {"when", {{"kernel", "rbf"}}}}}}}}}};
  auto imp = ParameterImportance(r);
  ASSERT_EQ(imp.size(), 2u);
  EXPECT_NEAR(Sum(imp), 1.0, 1e-9);
  EXPECT_NO_THROW(TuneReportHtml(r));
}

TEST(TuneReportImportance, EmptyWhenNotEstimable) {
  EXPECT_TRUE(ParameterImportance(DeterminedJob(4)).empty());  // too few trials
  json same = DeterminedJob(20);
  for (auto& t : same["trials"]) t["value"] = 0.5;
  EXPECT_TRUE(ParameterImportance(same).empty());  // no variance
  json failed = DeterminedJob(20);
  for (auto& t : failed["trials"]) {
    t["state"] = "failed";
    t["value"] = nullptr;
  }
  EXPECT_TRUE(ParameterImportance(failed).empty());
  EXPECT_TRUE(ParameterImportance(json::object()).empty());
}

TEST(TuneReportHtml, HasTheSectionsAndCharts) {
  json r = DeterminedJob(40);
  r["trials"][3]["intermediate"] = {{1, 0.9}, {2, 0.7}, {3, 0.6}};
  r["trials"][5]["intermediate"] = {{1, 0.95}, {2, 0.9}};
  r["trials"][5]["state"] = "pruned";
  r["trials"][6]["state"] = "failed";
  r["trials"][6]["value"] = nullptr;
  r["trials"][6]["error"] = "exit code 1\nTraceback ...";
  std::string html = TuneReportHtml(r);
  for (const char* part :
       {"<!DOCTYPE html>", "Tuning job: demo", "Convergence", "Best parameters",
        "Parameters against the objective", "Parameter importance", "Intermediate values", "Trials",
        "<svg", "best so far (min)", "log10(lr)", "random", "max_trials", "exit code 1",
        "38 complete, 1 pruned, 1 failed"}) {
    EXPECT_TRUE(Contains(html, part)) << part;
  }
  EXPECT_FALSE(Contains(html, "Traceback"));  // errors shortened to their first line
  EXPECT_FALSE(Contains(html, "<script"));
  EXPECT_FALSE(Contains(html, "http://"));
}

TEST(TuneReportHtml, EscapesTheJobName) {
  json r = DeterminedJob(10);
  r["name"] = "<script>alert('x')</script>";
  r["trials"][0]["params"]["kind"] = "<b>bold</b>";
  std::string html = TuneReportHtml(r);
  EXPECT_FALSE(Contains(html, "<script>"));
  EXPECT_FALSE(Contains(html, "<b>bold"));
  EXPECT_TRUE(Contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
}

TEST(TuneReportHtml, BestSoFarOfAMaximizeGoalIsTheMaximum) {
  json trials = json::array();
  const double values[] = {0.5, 0.9, 0.7, 0.95, 0.6};
  for (int i = 0; i < 5; ++i) trials.push_back(Trial(i, "complete", values[i], {{"x", i}}));
  json r = {{"name", "max"},
            {"objective", {{"metric", "auc"}, {"goal", "maximize"}}},
            {"trials", trials}};  // no "best": computed from the trials
  std::string html = TuneReportHtml(r);
  EXPECT_TRUE(Contains(html, "best so far (max)"));
  EXPECT_TRUE(Contains(html, "Trial 3 reached auc = 0.95."));
  EXPECT_TRUE(Contains(html, "best: trial 3"));
}

// Trial numbers count the warm-start trials first: the best trial's card says so.
TEST(TuneReportHtml, BestTrialCardExplainsNumbersAfterAWarmStart) {
  json trials = json::array();
  for (int i = 0; i < 4; ++i) {
    json t = Trial(i, "complete", 0.1 * i, {{"x", i}});
    t["warm_start"] = i < 2;
    trials.push_back(t);
  }
  json r = {
      {"name", "w"}, {"objective", {{"metric", "auc"}, {"goal", "maximize"}}}, {"trials", trials}};
  std::string html = TuneReportHtml(r);
  EXPECT_TRUE(Contains(html, "#3")) << html.substr(0, 2000);
  EXPECT_TRUE(Contains(html, "of 2 trials (numbered after 2 warm-start trials)"));
}

TEST(TuneReportHtml, EdgeCasesDoNotThrow) {
  // Zero trials.
  std::string html;
  ASSERT_NO_THROW(html = TuneReportHtml({{"name", "empty"}, {"trials", json::array()}}));
  EXPECT_TRUE(Contains(html, "No trial completed"));
  // Nothing at all.
  EXPECT_NO_THROW(TuneReportHtml(json::object()));
  // All failed.
  json failed = DeterminedJob(6);
  for (auto& t : failed["trials"]) {
    t["state"] = "failed";
    t["value"] = nullptr;
    t["error"] = "boom";
  }
  ASSERT_NO_THROW(html = TuneReportHtml(failed));
  EXPECT_TRUE(Contains(html, "Parameter importance is not shown"));
  EXPECT_TRUE(Contains(html, "boom"));
  // Only categorical parameters, no job.
  json cat = {{"trials", json::array()}};
  for (int i = 0; i < 12; ++i) {
    cat["trials"].push_back(Trial(i, "complete", i % 3, {{"opt", i % 2 ? "adam" : "sgd"}}));
  }
  ASSERT_NO_THROW(html = TuneReportHtml(cat));
  EXPECT_TRUE(Contains(html, "opt: mean objective per value"));
  // No job: parameter names come from the trials.
  ASSERT_NO_THROW(html = TuneReportHtml(DeterminedJob(20, false)));
  EXPECT_TRUE(Contains(html, "noise"));
  EXPECT_TRUE(Contains(html, "log10(lr)"));  // inferred: positive values over 4 decades
  // A broken search space and malformed trials.
  json broken = DeterminedJob(8);
  broken["job"]["parameters"]["lr"]["type"] = "bogus";
  broken["trials"].push_back("not a trial");
  broken["trials"].push_back({{"state", 3}, {"value", "x"}, {"intermediate", {1, 2, 3}}});
  broken["best"] = {{"value", "nope"}};
  ASSERT_NO_THROW(html = TuneReportHtml(broken));
  EXPECT_TRUE(Contains(html, "could not be read"));
  // Warm-start and running trials.
  json warm = DeterminedJob(10);
  warm["trials"][0]["warm_start"] = true;
  warm["trials"][0]["value"] = -100;  // better than anything, but not this job's
  warm["trials"][9]["state"] = "running";
  warm["trials"][9]["value"] = nullptr;
  ASSERT_NO_THROW(html = TuneReportHtml(warm));
  EXPECT_TRUE(Contains(html, "warm start"));
  EXPECT_FALSE(Contains(html, "reached val_loss = -100"));
  // The job's own trials are counted as `tune show` counts them; the warm start apart.
  EXPECT_TRUE(Contains(html, "9 (8 complete, 0 pruned, 0 failed, 1 running)")) << html;
  EXPECT_TRUE(Contains(html, "1 earlier trial"));
  // Not an object.
  EXPECT_THROW(TuneReportHtml(json::array()), Error);
}

}  // namespace
}  // namespace mloop::tune
