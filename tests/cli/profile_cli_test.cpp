// Drives the real mloop binary: `mloop profile` and `mloop data diff`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

using Result = testing::CliResult;

class ProfileCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Run("init").code, 0); }
  Result Run(const std::string& args) { return testing::RunMloop(dir_.path(), args); }
  // A CSV of `n` rows: `amount` around `shift`, a categorical `city` (with `new_city` in every
  // fifth row when given), a binary `label`, and `extra` only when asked.
  std::string Csv(int n, double shift, const std::string& new_city = "", bool extra = false) {
    std::string csv = "id,amount,city,label" + std::string(extra ? ",extra" : "") + "\n";
    const char* cities[] = {"Berlin", "Paris", "Rome"};
    for (int i = 0; i < n; ++i) {
      std::string city = !new_city.empty() && i % 5 == 0 ? new_city : cities[i % 3];
      csv += std::to_string(i) + "," + std::to_string(shift + (i % 10) * 1.5) + "," + city + "," +
             (i % 4 == 0 ? "yes" : "no") + (extra ? "," + std::to_string(i % 7) : "") + "\n";
    }
    return csv;
  }
  TempDir dir_;
};

TEST_F(ProfileCliTest, SummaryJsonAndReport) {
  WriteFile(dir_ / "d.csv", Csv(200, 10));
  ASSERT_EQ(Run("data import d.csv --name d").code, 0);
  auto r = Run("profile d --target label --html report.html");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Profile of d@1: 200 rows x 4 columns");
  EXPECT_CONTAINS(r.out, "target: label (binary): no 75.0%, yes 25.0%");
  EXPECT_CONTAINS(r.out, "stored: profile sha256:");
  EXPECT_CONTAINS(r.out, "Columns:");
  EXPECT_CONTAINS(r.out, "amount");
  EXPECT_CONTAINS(r.out, "Report: report.html");
  std::string html = ReadFile(dir_ / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_CONTAINS(html, "Data profile: d@1");
  EXPECT_CONTAINS(html, "<svg");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);

  r = Run("profile d@1 --json --bins 5 --top 2");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("format"), "mloop.profile");
  EXPECT_EQ(j.at("rows"), 200);
  bool found = false;
  for (const auto& c : j.at("column_profiles")) {
    if (c.at("name") == "amount") {
      found = true;
      EXPECT_EQ(c.at("histogram").at("counts").size(), 5u);
    }
    if (c.at("name") == "city") {
      EXPECT_EQ(c.at("top_values").size(), 2u);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ProfileCliTest, AFileIsImportedFirst) {
  WriteFile(dir_ / "sales.csv", Csv(50, 1));
  auto r = Run("profile sales.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "imported sales.csv as sales@1 (50 rows)");
  EXPECT_CONTAINS(r.out, "Profile of sales@1: 50 rows x 4 columns");
  // Again: the same content is already stored, the profile is stored with it once more.
  r = Run("profile sales.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "already stored: sales.csv as sales@1");
  EXPECT_CONTAINS(Run("data list").out, "sales");
  // A file imported with options of its own is read with them again: that version.
  ASSERT_EQ(Run("data import sales.csv --name sales --role id=id").code, 0);  // sales@2
  r = Run("profile sales.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "already stored: sales.csv as sales@2 (50 rows)\n");
  // When that makes an older version the latest again, it says so (`sales` now means it).
  WriteFile(dir_ / "more.csv", Csv(30, 2));
  ASSERT_EQ(Run("data import more.csv --name sales").code, 0);  // sales@3
  r = Run("profile sales.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "already stored: sales.csv as sales@2 (50 rows); sales means sales@2 again (it "
                  "was sales@3)\n");
}

TEST_F(ProfileCliTest, BadInput) {
  WriteFile(dir_ / "d.csv", Csv(20, 0));
  ASSERT_EQ(Run("data import d.csv --name orders").code, 0);
  // Unknown dataset, version or target: exit 1 naming the nearest.
  auto r = Run("profile ordres");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: no dataset 'ordres'");
  EXPECT_CONTAINS(r.err, "did you mean 'orders'");
  EXPECT_EQ(Run("profile orders@7").code, 1);
  r = Run("profile orders --target lable");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "error: no column 'lable' in orders@1 for --target (did you mean 'label'?)");
  EXPECT_CONTAINS(r.err, "hint: columns: id, amount, city, label");
  // Bad flags and references: exit 2.
  EXPECT_EQ(Run("profile").code, 2);
  EXPECT_EQ(Run("profile orders --bins 0").code, 2);
  EXPECT_EQ(Run("profile orders --top x").code, 2);
  EXPECT_EQ(Run("profile orders --frobnicate").code, 2);
  EXPECT_EQ(Run("profile 'bad name'").code, 2);
  EXPECT_EQ(Run("profile orders@0").code, 2);
  // A path that is not a file is named as one, not as a bad dataset name.
  r = Run("profile ../nosuch.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: no file '../nosuch.csv'");
  std::filesystem::create_directory(dir_ / "sub");
  r = Run("profile ./sub");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "error: './sub' is a directory");
  // An HTML path in a missing directory fails without a partial file.
  r = Run("profile orders --html nowhere/r.html");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error:");
  // The report never replaces the file profiled.
  WriteFile(dir_ / "p.csv", "a,b\n1,2\n3,4\n");
  r = Run("profile p.csv --html p.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--html p.csv is the input file");
  EXPECT_EQ(ReadFile(dir_ / "p.csv"), "a,b\n1,2\n3,4\n");
}

TEST_F(ProfileCliTest, DiffRanksTheLargestChangesFirst) {
  WriteFile(dir_ / "a.csv", Csv(500, 10));
  WriteFile(dir_ / "b.csv", Csv(500, 14, "Oslo", true));
  ASSERT_EQ(Run("data import a.csv --name d").code, 0);
  ASSERT_EQ(Run("data import b.csv --name d").code, 0);
  ASSERT_EQ(Run("profile d@1").code, 0);  // A's profile is stored; B's is computed by diff

  auto r = Run("data diff d@1 d@2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "profiled d@2");
  EXPECT_CONTAINS(r.out, "A: d@1  500 rows x 4 columns");
  EXPECT_CONTAINS(r.out, "B: d@2  500 rows x 5 columns");
  EXPECT_CONTAINS(r.out, "Columns added: extra");
  EXPECT_CONTAINS(r.out, "Largest changes:");
  EXPECT_CONTAINS(r.out, "top values B:");
  EXPECT_CONTAINS(r.out, "values A never held: 20.0% of B: Oslo 20.0%\n");  // the new city
  // A file where a dataset belongs is named as a file (it said "no file").
  r = Run("data diff d@1 b.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'b.csv' is a file, and this command takes a stored dataset");
  EXPECT_CONTAINS(r.err, "hint: import it first: mloop data import b.csv --name NAME");
  r = Run("data diff d@1 d@2");
  // The table: added column first, then by PSI: amount (shifted) before city (a new value)
  // before label (unchanged).
  size_t extra = r.out.find("\nextra "), amount = r.out.find("\namount "),
         city = r.out.find("\ncity "), label = r.out.find("\nlabel ");
  ASSERT_NE(label, std::string::npos) << r.out;
  EXPECT_LT(extra, amount);
  EXPECT_LT(amount, city);
  EXPECT_LT(city, label);

  r = Run("data diff d@1 d@2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("a").at("ref"), "d@1");
  EXPECT_EQ(j.at("b").at("ref"), "d@2");
  EXPECT_EQ(j.at("score"), "psi");
  const auto& cols = j.at("columns");
  ASSERT_EQ(cols.size(), 5u);
  EXPECT_EQ(cols[0].at("name"), "extra");
  EXPECT_EQ(cols[0].at("status"), "added");
  EXPECT_TRUE(cols[0].at("a").is_null());
  EXPECT_EQ(cols[1].at("name"), "amount");
  EXPECT_EQ(cols[1].at("level"), "major");
  EXPECT_GT(cols[1].at("psi").get<double>(), 0.25);
  EXPECT_GT(cols[1].at("smd").get<double>(), 0.5);
  EXPECT_NEAR(cols[1].at("b").at("mean").get<double>() - cols[1].at("a").at("mean").get<double>(),
              4.0, 1e-9);
  for (const auto& c : cols) {
    if (c.at("name") == "label" || c.at("name") == "id") {
      EXPECT_EQ(c.at("level"), "stable") << c.dump();
      EXPECT_LT(c.at("psi").get<double>(), 1e-9);
    }
    if (c.at("name") == "city") {
      EXPECT_NEAR(c.at("b").at("new_values_percent").get<double>(), 20.0, 1e-9);
      EXPECT_EQ(c.at("b").at("new_values"),
                nlohmann::json::parse(R"([{"value": "Oslo", "count": 100}])"));
    }
  }

  // A stored profile of other --bins / --top is not the baseline: the verdict is the same
  // whatever was profiled before (with 1 bin, the shift of amount looked "stable").
  const double psi = cols[1].at("psi").get<double>();
  ASSERT_EQ(Run("profile d@1 --bins 1 --top 1").code, 0);
  r = Run("data diff d@1 d@2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("columns")[1].at("psi").get<double>(), psi);

  // A version against itself: nothing changed.
  r = Run("data diff d d@2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& c : nlohmann::json::parse(r.out).at("columns")) {
    EXPECT_LT(c.at("psi").get<double>(), 1e-9) << c.dump();
  }
}

// Changes that equal-width bins and top values hid: a heavy-tailed amount whose bulk tripled
// (20 bins over [min, max] put almost every row in the first) and an id column whose values
// were all replaced (beyond A's 20 most frequent, every value was "other" on both sides).
TEST_F(ProfileCliTest, DiffSeesChangesInTheBulkAndNewValues) {
  std::string a = "user,amount\n", b = "user,amount\n";
  for (int i = 0; i < 2000; ++i) {
    const double v = std::exp(i / 150.0) / 100.0;  // 0.01 to about 6e3
    a += "u" + std::to_string(i % 1000) + "," + std::to_string(v) + "\n";
    b += "new" + std::to_string(i % 1000) + "," + std::to_string(v < 20 ? 3 * v : v) + "\n";
  }
  WriteFile(dir_ / "a.csv", a);
  WriteFile(dir_ / "b.csv", b);
  ASSERT_EQ(Run("data import a.csv --name hc").code, 0);
  ASSERT_EQ(Run("data import b.csv --name hc").code, 0);
  auto r = Run("data diff hc@1 hc@2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& c : nlohmann::json::parse(r.out).at("columns")) {
    EXPECT_EQ(c.at("level"), "major") << c.dump();
  }
  // Against itself, still nothing.
  r = Run("data diff hc@1 hc@1 --json");
  for (const auto& c : nlohmann::json::parse(r.out).at("columns")) {
    EXPECT_LT(c.at("psi").get<double>(), 1e-9) << c.dump();
  }
  // Imported with the role id, the same column is not scored: new rows bring new ids.
  ASSERT_EQ(Run("data import a.csv --name ids --role user=id").code, 0);
  ASSERT_EQ(Run("data import b.csv --name ids --role user=id").code, 0);
  r = Run("data diff ids@1 ids@2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto cols = nlohmann::json::parse(r.out).at("columns");
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].at("name"), "amount");
  EXPECT_EQ(cols[1].at("name"), "user");
  EXPECT_EQ(cols[1].at("status"), "id");
  EXPECT_TRUE(cols[1].at("psi").is_null());
  r = Run("data diff ids@1 ids@2");
  EXPECT_CONTAINS(r.out, "Changed: 1 major, 0 moderate");
  EXPECT_CONTAINS(r.out, "id, not scored");
}

// The same values with another target are another version: the diff says what changed.
TEST_F(ProfileCliTest, DiffShowsRoleChanges) {
  WriteFile(dir_ / "a.csv", Csv(50, 10));
  ASSERT_EQ(Run("data import a.csv --name d --target label").code, 0);
  ASSERT_EQ(Run("data import a.csv --name d").code, 0);
  auto r = Run("data diff d@1 d@2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Roles changed: label (target -> feature)");
  r = Run("data diff d@1 d@2 --json");
  for (const auto& c : nlohmann::json::parse(r.out).at("columns")) {
    if (c.at("name") == "label") {
      EXPECT_EQ(c.at("a").at("role"), "target");
      EXPECT_EQ(c.at("b").at("role"), "feature");
    }
  }
}

// A column that held no value (float64 by inference) and now holds integers changed
// completely: its type changed and it scores as a major change, not silently.
TEST_F(ProfileCliTest, DiffScoresAColumnThatChangedType) {
  WriteFile(dir_ / "a.csv", "id,e\n1,\n2,\n3,\n4,\n");
  WriteFile(dir_ / "b.csv", "id,e\n1,1\n2,2\n3,3\n4,4\n");
  ASSERT_EQ(Run("data import a.csv --name m").code, 0);
  ASSERT_EQ(Run("data import b.csv --name m").code, 0);
  auto r = Run("data diff m@1 m@2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Changed: 1 major");
  r = Run("data diff m@1 m@2 --json");
  const auto cols = nlohmann::json::parse(r.out).at("columns");
  EXPECT_EQ(cols[0].at("name"), "e");
  EXPECT_EQ(cols[0].at("status"), "type_changed");
  EXPECT_EQ(cols[0].at("level"), "major");
}

// A constant column whose one value changed is a change (one histogram bin of width 1 held
// both values); infinite values are counted on each side; times show their ranges.
TEST_F(ProfileCliTest, DiffSeesConstantsInfinitiesAndTimes) {
  std::string a = "c,t,x\n", b = a;
  for (int i = 1; i <= 50; ++i) {
    const std::string day = std::to_string(10 + i % 18);
    a += "5.0,2024-01-" + day + "T00:00:00Z," + std::to_string(i) + ".5\n";
    b +=
        "5.01,2025-01-" + day + "T00:00:00Z," + (i <= 15 ? "inf" : std::to_string(i) + ".5") + "\n";
  }
  WriteFile(dir_ / "a.csv", a);
  WriteFile(dir_ / "b.csv", b);
  ASSERT_EQ(Run("data import a.csv --name d").code, 0);
  ASSERT_EQ(Run("data import b.csv --name d").code, 0);
  auto r = Run("data diff d@1 d@2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& c : nlohmann::json::parse(r.out).at("columns")) {
    EXPECT_EQ(c.at("level"), "major") << c.dump();
    if (c.at("name") == "x") {
      EXPECT_EQ(c.at("a").at("infinite"), 0);
      EXPECT_EQ(c.at("b").at("infinite"), 15);
    }
  }
  r = Run("data diff d@1 d@2");
  EXPECT_CONTAINS(r.out, "infinite values: 0 -> 15");
  // Shares of all rows, as the PSI counts them: a missing value shows.
  WriteFile(dir_ / "s1.csv", "s,n\na,1\na,2\na,3\na,4\n");
  WriteFile(dir_ / "s2.csv", "s,n\na,1\na,2\na,3\n,4\n");
  EXPECT_CONTAINS(r.out, "range B: 2025-01-10T00:00:00Z to 2025-01-27T00:00:00Z");
  ASSERT_EQ(Run("data import s1.csv --name s").code, 0);
  ASSERT_EQ(Run("data import s2.csv --name s").code, 0);
  r = Run("data diff s@1 s@2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "top values B: a 75.0%, missing 25.0%");
}

TEST_F(ProfileCliTest, DiffBadInput) {
  WriteFile(dir_ / "a.csv", Csv(20, 0));
  ASSERT_EQ(Run("data import a.csv --name sales").code, 0);
  auto r = Run("data diff sales@1 slaes");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "did you mean 'sales'");
  r = Run("data diff sales@1 sales@3");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "has no version 3");
  EXPECT_EQ(Run("data diff sales@1").code, 2);
  EXPECT_EQ(Run("data diff sales@x sales@1").code, 2);
  EXPECT_EQ(Run("data diff sales sales --bins 3").code, 2);
  EXPECT_EQ(Run("data diff --help").code, 0);
}

}  // namespace
}  // namespace mloop
