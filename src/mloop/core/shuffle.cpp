#include "mloop/core/shuffle.h"

#include <cstddef>
#include <map>
#include <numeric>
#include <utility>

namespace mloop {

void ShuffleIndices(std::vector<int64_t>& v, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(SplitMix64(state) % i);
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<int> AssignFolds(int64_t rows, int k, const std::vector<double>* labels,
                             uint64_t seed) {
  std::vector<int> fold_of(static_cast<size_t>(rows), 0);
  if (!labels) {
    std::vector<int64_t> order(static_cast<size_t>(rows));
    std::iota(order.begin(), order.end(), 0);
    ShuffleIndices(order, seed);
    for (int64_t i = 0; i < rows; ++i) fold_of[order[i]] = static_cast<int>(i % k);
    return fold_of;
  }
  std::map<double, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < rows; ++i) by_class[(*labels)[i]].push_back(i);
  int next = 0;
  uint64_t salt = 0;
  for (auto& [label, members] : by_class) {
    ShuffleIndices(members, seed + 0x632BE59BD9B4E019ULL * ++salt);
    for (int64_t i : members) {
      fold_of[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold_of;
}

}  // namespace mloop
