// The default encoding saved with every model: one-hot categories and mean imputation.
#include "mloop/train/encoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mloop {
namespace {

Column Doubles(const std::vector<double>& values) {
  ColumnBuilder b(DataType::kFloat64);
  for (double v : values) {
    if (std::isnan(v)) {
      b.AppendNull();
    } else {
      b.AppendDouble(v);
    }
  }
  return b.Finish();
}

// The mean that fills missing values is over the finite values: an infinite one (a ratio over
// 0 in a derived column) would make the fill infinite, which JSON cannot hold, and the saved
// model unreadable.
TEST(EncodingTest, MeanFillIsOverFiniteValuesAndSurvivesSaving) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Table t(Schema({{"x", DataType::kFloat64}}), {Doubles({1, inf, 3, nan, -inf})});
  EncodingOptions o;
  o.impute = true;
  const Encoding e = Encoding::FromJson(Encoding::Fit(t, o).ToJson());
  Table missing(Schema({{"x", DataType::kFloat64}}), {Doubles({nan})});
  EXPECT_EQ(e.Transform(missing).at(0, 0), 2.0);
  // Finite values whose sum overflows still have a finite mean.
  Table huge(Schema({{"x", DataType::kFloat64}}), {Doubles({1.5e308, 1.5e308, nan})});
  const Encoding h = Encoding::FromJson(Encoding::Fit(huge, o).ToJson());
  EXPECT_EQ(h.Transform(missing).at(0, 0), 1.5e308);
}

}  // namespace
}  // namespace mloop
