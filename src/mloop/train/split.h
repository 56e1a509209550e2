// Train/validation splits and cross-validation folds, deterministic for a seed.
//
//   random:F          a fraction F of the rows (shuffled) for validation
//   stratified:F      the same, keeping each class's share in both parts (classification)
//   time:COL:F        the latest fraction F by COL for validation: train on the past, validate
//                     on the future (ties in COL stay on one side)
//   none              no validation data
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mloop/core/table.h"

namespace mloop {

struct SplitSpec {
  enum class Kind { kNone, kRandom, kStratified, kTime };
  Kind kind = Kind::kStratified;
  double valid_fraction = 0.2;
  std::string time_column;

  std::string ToString() const;
};

// Parses the forms above. kUsage-style InvalidArgument on anything else.
SplitSpec ParseSplit(const std::string& text);

// InvalidArgument, beginning with `where`, when a column of `type` cannot order a time split
// (text, booleans): MakeSplit's check, which commands make before any work.
void CheckTimeSplitColumn(DataType type, const std::string& where);

struct SplitIndices {
  std::vector<int64_t> train;
  std::vector<int64_t> valid;
};

// `labels`: class index per row (stratified), ignored otherwise. Rows are kept in their original
// order within each part.
SplitIndices MakeSplit(const Table& table, const std::vector<double>& labels, const SplitSpec& spec,
                       uint64_t seed);

// k folds; fold i validates on its part and trains on the rest. Stratified when `labels` is
// non-empty (each class dealt round-robin over the folds after a shuffle).
std::vector<SplitIndices> MakeFolds(int64_t rows, int k, const std::vector<double>& labels,
                                    uint64_t seed);

}  // namespace mloop
