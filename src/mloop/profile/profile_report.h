// The HTML report of a data profile: one self-contained page (inline CSS and SVG, no scripts,
// fonts or network) built with report/html.h and report/svg.h, like the evaluation report.
//
// Sections:
//  - Overview: headline cards (rows, columns, duplicate rows, missing cells, memory, alerts),
//    the count of columns per semantic and storage type, a one-line-per-column table, and the
//    share of missing values per column (when any is missing);
//  - Alerts: one row per alert (kind, column, message, evidence);
//  - Target (when the profile has one): class balance (classification) or the distribution
//    (regression), and the features ranked by their association with the target;
//  - Correlations: Pearson and Spearman heat maps (blue -1, white 0, red +1), the strongest
//    pairs, and Cramer's V between categorical columns;
//  - one section per column: its key figures, its alerts, and a chart: the histogram (numeric
//    and datetime columns), the most frequent values (categorical, boolean, text), the range
//    (datetime).
// Every name and value from the data is escaped. Undefined figures (NaN) show as an en dash.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mloop/profile/profile.h"

namespace mloop {

struct ProfileReportOptions {
  std::string title = "Data profile";
  std::string dataset;  // dataset name, shown in the header; empty = none
  int64_t version = 0;  // its version; 0 = none (a file)
  std::string source;   // where the data came from (a path), shown in the header; empty = none
  // More header facts, in order, after the dataset ones (e.g. ("created", "2026-01-02...")).
  std::vector<std::pair<std::string, std::string>> facts;
  // Heat maps show at most this many columns (the first ones in profile order); the strongest
  // pairs table still covers all of them.
  size_t max_heatmap_columns = 30;
  // Per-column sections for at most this many columns (profile order); the overview table still
  // lists every column.
  size_t max_column_sections = 300;
};

// Significant digits that show a numeric column's values apart: 4, more when the values sit far
// from zero compared with their spread (1e9 + 0.001 .. 1e9 + 0.002 needs 16), at most 16.
int ValueDigits(const ColumnProfile& c);

// The complete HTML page.
std::string RenderProfileReport(const Profile& profile, const ProfileReportOptions& options = {});

}  // namespace mloop
