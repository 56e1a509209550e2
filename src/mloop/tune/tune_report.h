// The HTML report of a finished hyperparameter tuning job: one self-contained page (inline CSS
// and SVG, no scripts, fonts or network) built with report/html.h and report/svg.h, like the
// evaluation and profile reports.
//
// Input: the JSON document of a tuning job (TuningJobDocument in recorded.h, as `mloop tune
// --json` prints it):
//   {name, objective: {metric, goal}, strategy, stop_reason, seconds, best: {number, value,
//    params} | null, trials: [{number, state, value, params, seconds, intermediate?, error?,
//    warm_start?, run_id?}], job: {..., parameters: {name: {type, min, max, scale, values,
//    when}}}}
// Every key is optional: a missing or malformed one leaves its part of the page out (with a note)
// rather than failing. Without a usable job.parameters, the parameters are the names found in the
// trials, their kinds inferred from the values.
//
// Sections: summary cards (best value, best trial, trials, time); convergence (each complete
// trial's value and the best so far, warm-start trials grey and outside the best so far); the
// best parameters; parameter importance; each parameter against the objective (a scatter for
// numeric parameters, on a log10 axis for log-scale ones; the mean objective per value for
// categorical ones); intermediate values (the learning curves of up to 30 trials, pruned ones
// dashed); and a table of every trial.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mloop::tune {

// The importance of each parameter: the share of the objective's variance explained by the
// parameter's main effect (what fANOVA's first-order importance estimates), normalised so the
// importances sum to 1, largest first (ties by name).
//
// Over the complete trials with a value (warm-start trials included): each numeric parameter's
// values go into up to 10 quantile bins (at most one bin per 2 trials; equal values share a bin),
// each categorical value is its own bin, and trials where a conditional parameter is inactive
// form one more bin. The share is the between-bin sum of squares of the objective (bin means
// weighted by bin counts) over its total sum of squares, with two changes to that textbook
// ratio:
//  - the objective is replaced by its rank among the complete trials (ties share their mean
//    rank), so that one diverged trial (a loss of 1e6 among values near 0.3) cannot make up
//    most of the variance by itself and hand all the importance to whichever bin holds it;
//  - the share is corrected for chance (epsilon squared: the between-bin sum minus (bins - 1)
//    times the within-bin mean square, floored at 0), as the raw share of a parameter without
//    any effect is about (bins - 1) / (trials - 1), not 0: 0.3 with 30 trials and 10 bins.
// Interactions between parameters are not counted.
//
// Empty when the importance cannot be estimated: fewer than 5 complete trials, an objective
// that is the same in every complete trial, no parameters, or no parameter explaining more than
// chance.
std::vector<std::pair<std::string, double>> ParameterImportance(const nlohmann::json& result);

// The complete HTML page. Throws InvalidArgument when `result` is not a JSON object.
std::string TuneReportHtml(const nlohmann::json& result);

}  // namespace mloop::tune
