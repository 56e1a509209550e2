#include "mloop/train/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "mloop/core/error.h"
#include "mloop/core/shuffle.h"
#include "mloop/core/strings.h"

namespace mloop {

namespace {

double ParseFraction(const std::string& text, const std::string& spec) {
  try {
    size_t used = 0;
    double f = std::stod(text, &used);
    if (used == text.size() && f > 0 && f < 1) return f;
  } catch (const std::exception&) {
  }
  throw InvalidArgument("split '" + spec +
                        "': the validation fraction must be between 0 and 1, "
                        "not '" +
                        text + "'");
}

void SortBoth(SplitIndices& s) {
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.valid.begin(), s.valid.end());
}

}  // namespace

std::string SplitSpec::ToString() const {
  char f[32];
  std::snprintf(f, sizeof f, "%g", valid_fraction);
  switch (kind) {
    case Kind::kNone:
      return "none";
    case Kind::kRandom:
      return std::string("random:") + f;
    case Kind::kStratified:
      return std::string("stratified:") + f;
    case Kind::kTime:
      return "time:" + time_column + ":" + f;
  }
  return "none";
}

SplitSpec ParseSplit(const std::string& text) {
  SplitSpec s;
  if (text == "none") {
    s.kind = SplitSpec::Kind::kNone;
    return s;
  }
  size_t colon = text.find(':');
  std::string kind = text.substr(0, colon);
  std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (kind == "random" || kind == "stratified") {
    s.kind = kind == "random" ? SplitSpec::Kind::kRandom : SplitSpec::Kind::kStratified;
    if (!rest.empty()) s.valid_fraction = ParseFraction(rest, text);
    return s;
  }
  if (kind == "time") {
    s.kind = SplitSpec::Kind::kTime;
    size_t c2 = rest.rfind(':');
    if (rest.empty()) throw InvalidArgument("split 'time' needs a column: time:COLUMN[:FRACTION]");
    if (c2 != std::string::npos) {
      s.time_column = rest.substr(0, c2);
      s.valid_fraction = ParseFraction(rest.substr(c2 + 1), text);
    } else {
      s.time_column = rest;
    }
    return s;
  }
  throw InvalidArgument(
      "unknown split '" + text + "'" + DidYouMean(kind, {"random", "stratified", "time", "none"}),
      "splits: random[:F], stratified[:F], time:COLUMN[:F], none");
}

void CheckTimeSplitColumn(DataType type, const std::string& where) {
  if (type == DataType::kString || type == DataType::kBool) {
    throw InvalidArgument(where + ": the column is " + std::string(DataTypeName(type)) +
                              "; a time split orders rows by a timestamp or a number",
                          "name a column of dates, times or numbers (epoch seconds)");
  }
}

SplitIndices MakeSplit(const Table& table, const std::vector<double>& labels, const SplitSpec& spec,
                       uint64_t seed) {
  const int64_t n = table.num_rows();
  SplitIndices out;
  if (spec.kind == SplitSpec::Kind::kNone) {
    out.train.resize(static_cast<size_t>(n));
    std::iota(out.train.begin(), out.train.end(), 0);
    return out;
  }
  if (spec.kind == SplitSpec::Kind::kTime) {
    const Column& t = table.column(spec.time_column);
    CheckTimeSplitColumn(t.type(), "time split column '" + spec.time_column + "'");
    auto key = [&](int64_t i) -> double {
      if (!t.IsValid(i)) return -INFINITY;  // unknown times count as the oldest
      return t.type() == DataType::kFloat64 ? t.f64()[i] : static_cast<double>(t.i64()[i]);
    };
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return key(a) < key(b); });
    int64_t cut = n - static_cast<int64_t>(std::llround(spec.valid_fraction * n));
    // Keep ties together: move the cut back to where the time changes.
    while (cut > 0 && cut < n && key(order[cut]) == key(order[cut - 1])) --cut;
    out.train.assign(order.begin(), order.begin() + cut);
    out.valid.assign(order.begin() + cut, order.end());
    SortBoth(out);
    return out;
  }
  if (spec.kind == SplitSpec::Kind::kRandom || labels.empty()) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    ShuffleIndices(order, seed);
    int64_t nvalid = static_cast<int64_t>(std::llround(spec.valid_fraction * n));
    out.valid.assign(order.begin(), order.begin() + nvalid);
    out.train.assign(order.begin() + nvalid, order.end());
    SortBoth(out);
    return out;
  }
  // Stratified: split each class on its own.
  std::map<double, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < n; ++i) by_class[labels[i]].push_back(i);
  uint64_t salt = 0;
  for (auto& [label, rows] : by_class) {
    ShuffleIndices(rows, seed + 0x632BE59BD9B4E019ULL * ++salt);
    int64_t nvalid = static_cast<int64_t>(std::llround(spec.valid_fraction * rows.size()));
    out.valid.insert(out.valid.end(), rows.begin(), rows.begin() + nvalid);
    out.train.insert(out.train.end(), rows.begin() + nvalid, rows.end());
  }
  SortBoth(out);
  return out;
}

std::vector<SplitIndices> MakeFolds(int64_t rows, int k, const std::vector<double>& labels,
                                    uint64_t seed) {
  if (k < 2 || k > rows) {
    throw InvalidArgument("cross-validation needs 2 to " + std::to_string(rows) + " folds, not " +
                          std::to_string(k));
  }
  const std::vector<int> fold_of = AssignFolds(rows, k, labels.empty() ? nullptr : &labels, seed);
  std::vector<SplitIndices> folds(static_cast<size_t>(k));
  for (int64_t i = 0; i < rows; ++i) {
    for (int f = 0; f < k; ++f) {
      (f == fold_of[i] ? folds[f].valid : folds[f].train).push_back(i);
    }
  }
  return folds;
}

}  // namespace mloop
