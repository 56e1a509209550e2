#include "mloop/train/kmeans/kmeans.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "mloop/core/error.h"

namespace mloop {
namespace {

// Two well separated clusters of 2-D points, around (0, 0) and (10, 10).
DenseMatrix TwoBlobs() {
  DenseMatrix x(40, 2);
  for (int64_t i = 0; i < x.rows; ++i) {
    const double centre = i < 20 ? 0 : 10;
    x.at(i, 0) = centre + 0.1 * static_cast<double>(i % 5);
    x.at(i, 1) = centre - 0.1 * static_cast<double>(i % 3);
  }
  return x;
}

std::pair<ErrorCode, std::string> ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::kInternal, "no error"};
}

TEST(KMeansTest, RefusesValuesItCannotPlace) {
  const DenseMatrix x = TwoBlobs();
  auto km = MakeKMeans();
  km->SetParams({{"k", "2"}});
  FitInput in;
  in.x = &x;
  in.task = Task::kClustering;
  in.feature_names = {"age", "income"};
  km->Fit(in);
  DenseMatrix q(3, 2);
  q.at(0, 0) = 0.1, q.at(0, 1) = 0;
  q.at(1, 0) = 9.9, q.at(1, 1) = 10;
  q.at(2, 0) = 5, q.at(2, 1) = 5;
  const DenseMatrix ok = km->Predict(q);
  EXPECT_NE(ok.at(0, 0), ok.at(1, 0));

  // An infinite value once went to cluster 0 (every distance infinite, the first centre kept):
  // now it is the caller's bad input, naming row and feature as serving's 400 needs.
  q.at(2, 1) = -std::numeric_limits<double>::infinity();
  auto [code, msg] = ErrorOf([&] { km->Predict(q); });
  EXPECT_EQ(code, ErrorCode::kDataError);
  EXPECT_EQ(msg.rfind("row 3, feature 'income': -inf is infinite", 0), 0u) << msg;

  // Finite values so large that every squared distance overflows.
  q.at(2, 1) = 1e308;
  std::tie(code, msg) = ErrorOf([&] { km->Predict(q); });
  EXPECT_EQ(code, ErrorCode::kDataError);
  EXPECT_EQ(msg.rfind("row 3, the values are too large", 0), 0u) << msg;

  // The feature names survive a save and load.
  auto again = MakeKMeans();
  again->LoadConfig(km->SaveConfig());
  again->LoadModel(km->SaveModel());
  q.at(2, 1) = std::numeric_limits<double>::infinity();
  std::tie(code, msg) = ErrorOf([&] { again->Predict(q); });
  EXPECT_EQ(msg.rfind("row 3, feature 'income': inf is infinite", 0), 0u) << msg;

  // Training data with an infinite value is refused too.
  DenseMatrix bad = TwoBlobs();
  bad.at(7, 0) = std::numeric_limits<double>::infinity();
  in.x = &bad;
  std::tie(code, msg) = ErrorOf([&] { MakeKMeans()->Fit(in); });
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("an infinite value (inf) at row 8, feature 'age'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace mloop
