#include "mloop/core/strings.h"

#include <gtest/gtest.h>

namespace mloop {
namespace {

// Long names that share their start stay apart once cut, and no UTF-8 sequence is split.
TEST(StringsTest, NearestNameSeesThroughCase) {
  const std::vector<std::string> columns = {"id", "income", "score"};
  EXPECT_EQ(NearestName("INCOME", columns), "income");
  EXPECT_EQ(NearestName("Incme", columns), "income");
  EXPECT_EQ(NearestName("scor", columns), "score");
  EXPECT_EQ(NearestName("region", columns), "");
  EXPECT_EQ(DidYouMean("Numeric", {"numeric", "string", "all"}), " (did you mean 'numeric'?)");
}

// Two swapped neighbours are one edit: "nmu" is nearer "num" than "emp" (both 2 apart before).
TEST(StringsTest, ASwapIsOneEdit) {
  EXPECT_EQ(EditDistance("nmu", "num"), 1u);
  EXPECT_EQ(EditDistance("nmu", "emp"), 2u);
  EXPECT_EQ(EditDistance("abcd", "badc"), 2u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(NearestName("nmu", {"emp", "num"}), "num");
}

TEST(StringsTest, CutMiddleKeepsBothEnds) {
  EXPECT_EQ(CutMiddleUtf8("short", 10), "short");
  const std::string a = "customer_lifetime_value_estimate_feature_number_01";
  const std::string b = "customer_lifetime_value_estimate_feature_number_02";
  const std::string ca = CutMiddleUtf8(a, 24), cb = CutMiddleUtf8(b, 24);
  EXPECT_LE(ca.size(), 24u);
  EXPECT_NE(ca, cb);
  EXPECT_EQ(ca.substr(0, 9), "customer_");
  EXPECT_EQ(ca.substr(ca.size() - 2), "01");
  EXPECT_NE(ca.find("..."), std::string::npos);
  // Multi-byte characters around both cuts stay whole.
  const std::string accented = "ééééééééééééééééééééééé";  // 2 bytes each
  const std::string cut = CutMiddleUtf8(accented, 13);
  EXPECT_LE(cut.size(), 13u);
  for (size_t i = 0; i < cut.size();) {
    if (cut.compare(i, 3, "...") == 0) {
      i += 3;
      continue;
    }
    ASSERT_EQ(cut.compare(i, 2, "é"), 0) << cut;
    i += 2;
  }
}

}  // namespace
}  // namespace mloop
