// Seeded shuffles and fold assignment that give the same result on every platform (std::shuffle
// and <random>'s distributions depend on the standard library). Used by the trainer's splits
// and folds and by out-of-fold target encoding, which must agree with each other.
#pragma once

#include <cstdint>
#include <vector>

namespace mloop {

// splitmix64: advances `state` and returns the next 64 random bits.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Fisher-Yates with splitmix64 (the modulo bias is below 2^-40 for any realistic size).
void ShuffleIndices(std::vector<int64_t>& v, uint64_t seed);

// The fold (0..k-1) of each of `rows` rows: a seeded shuffle dealt round-robin, or with
// `labels` (one per row) each class shuffled and dealt round-robin in turn, so every fold gets
// its share of every class (stratified).
std::vector<int> AssignFolds(int64_t rows, int k, const std::vector<double>* labels, uint64_t seed);

}  // namespace mloop
