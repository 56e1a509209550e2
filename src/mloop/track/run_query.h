// Selecting and ordering runs: `mloop runs list --where ... --sort ...`.
//
//   --where 'metrics.roc_auc > 0.8 and params.max_depth = 6 and status = finished'
// Conditions joined by `and`; each is FIELD OP VALUE with OP one of = != < <= > >=. Fields:
// metrics.NAME, params.NAME, tags.NAME, status, algorithm, experiment, task, id. Numbers compare
// as numbers, everything else as text. A run without the field does not match.
//   --sort metrics.roc_auc          largest first; add :asc for smallest first
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mloop/store/metadata_store.h"

namespace mloop {

class RunFilter {
 public:
  // InvalidArgument naming the part of `text` it cannot read.
  static RunFilter Parse(const std::string& text);
  bool Matches(const RunRecord& run) const;
  // The fields of the conditions that none of `runs` has ("metrics.auc"): why nothing matches.
  std::vector<std::string> FieldsNoneHas(const std::vector<RunRecord>& runs) const;

 private:
  struct Condition {
    std::string field, op, value;
  };
  std::vector<Condition> conditions_;
};

// The value of `field` for `run` as text, or nullopt when the run has none.
std::optional<std::string> RunField(const RunRecord& run, const std::string& field);

// Sorts by "FIELD[:asc|:desc]" (desc by default); runs without the field go last. Returns the
// FIELD, and whether some run has it (else the order is unchanged: a misspelt field, most likely).
struct SortedBy {
  std::string field;
  bool found = false;
};
SortedBy SortRuns(std::vector<RunRecord>& runs, const std::string& spec);

}  // namespace mloop
