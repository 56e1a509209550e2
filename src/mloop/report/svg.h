// Chart primitives for self-contained HTML reports: each chart is a plain struct rendered by
// RenderSvg to one `<svg>` element with a fixed viewBox (it scales to its container), inline
// styling only (no CSS classes, scripts, fonts or network), and every caller string escaped.
// Shared by the eval, profile, tune and monitor reports; depends on nothing but the standard
// library.
//
// Non-finite values (NaN, infinity) are skipped when drawing. Axis ranges are automatic
// ("nice" rounded ticks) unless fixed by the caller. Large inputs are thinned so the SVG stays
// small: line series to at most `LineChart::max_points` points (keeping the shape: points are
// kept by arc length in plot space), scatter plots to `ScatterChart::max_points` (every k-th
// point, deterministic).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mloop::report {

// ---- Text and numbers -----------------------------------------------------------------------

// Escapes & < > " ' for use in XML/HTML text and attribute values.
std::string EscapeXml(std::string_view text);

// A short human form of a number: `digits` significant digits but never rounding the integer
// part, no trailing zeros, an exponent only for magnitudes >= 1e7 or < 1e-4 ("0.9871", "12.5",
// "63451", "1.2e+07", "NaN").
std::string FormatNumber(double v, int digits = 4);

// A number with thousands separators and `decimals` fixed decimals: 41200 -> "41,200",
// -1234.5 (2) -> "-1,234.50".
std::string FormatGrouped(double v, int decimals = 0);

// A value on an axis whose ticks are `step` apart and reach `max_abs` in magnitude: as many
// decimals as the step needs, and k / M / B suffixes when max_abs >= 1e4 / 1e6 / 1e9
// (0.25 -> "0.25", 63451 with step 4400 -> "63.5k"; zero is always "0").
std::string FormatTick(double v, double step, double max_abs);

// The categorical colour palette (colour-blind friendly, Tableau 10 order); wraps around.
std::string PaletteColor(size_t index);

// ---- Charts ---------------------------------------------------------------------------------

struct Series {
  std::string name;  // shown in the legend; empty = not in the legend
  std::vector<double> x;
  std::vector<double> y;
  std::string color;  // CSS colour; empty = PaletteColor(series index)
  bool dashed = false;
  bool markers = false;  // a dot at every (kept) point
};

// A vertical marker line at x (e.g. a chosen threshold), labelled at the top of the plot.
struct VerticalLine {
  double x = 0.0;
  std::string label;
  std::string color = "#555";
};

// Common to the charts with two numeric axes. Unset bounds are chosen from the data and widened
// to nice tick values.
struct AxisRange {
  std::optional<double> min;
  std::optional<double> max;
  bool whole = false;  // whole-number values (counts): ticks 1 apart at least, never 0.5
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  AxisRange x_range;
  AxisRange y_range;
  bool diagonal = false;             // the dashed grey reference line y = x
  std::optional<double> hline;       // a dashed grey horizontal reference line (e.g. lift 1)
  std::vector<VerticalLine> vlines;  // markers
  size_t max_points = 400;           // per series, after thinning
  int width = 560;
  int height = 400;
};

// Horizontal bars (feature importance): one row per item, largest |value| first when `sort`.
// Negative values extend left of a zero line. With `vertical`, bars stand on the x axis in the
// given order (a histogram: labels are the bin centres, thinned to stay legible).
struct BarChart {
  std::string title;
  std::string value_label;     // the value axis
  std::string category_label;  // vertical charts only: the category (x) axis
  std::vector<std::pair<std::string, double>> bars;
  bool sort = true;  // horizontal only
  bool vertical = false;
  size_t max_bars = 0;  // 0 = all; otherwise the first max_bars after sorting
  // Horizontal only: where bars start and the axis begins (0.5 for ROC AUC: no association).
  double baseline = 0.0;
  std::string color = "#4e79a7";
  int width = 560;
  int height = 0;  // 0 = from the number of bars (horizontal) or 400 (vertical)
};

// A matrix of numbers as coloured cells (a confusion matrix): cell (i, j) is values[i][j], row i
// labelled row_labels[i] and column j col_labels[j]. Each cell shows its value (integers without
// decimals) and, with `row_percent`, its share of the row. The colour runs from white (0) to
// dark blue (the largest value); a colour scale is drawn on the right.
//
// With `diverging` (correlations), the colour runs from blue (-scale_max) through white (0) to
// red (+scale_max), non-finite cells are grey and blank, and a cell's value is left out when it
// does not fit in the cell (it stays in the cell's tooltip).
struct Heatmap {
  std::string title;
  std::string row_axis = "actual";
  std::string col_axis = "predicted";
  std::vector<std::string> row_labels;
  std::vector<std::string> col_labels;
  std::vector<std::vector<double>> values;
  bool row_percent = true;
  bool diverging = false;
  double scale_max = 0.0;          // the value at the dark end(s); 0 = the largest (absolute) value
  int decimals = -1;               // cell values with this many decimals; -1 = as described above
  bool rotate_col_labels = false;  // column labels at 45 degrees (long names), not cut short
  int width = 560;
  int height = 0;  // 0 = from the number of rows
};

struct ScatterChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<double> x;
  std::vector<double> y;
  AxisRange x_range;
  AxisRange y_range;
  bool diagonal = false;        // y = x (predicted vs actual)
  std::optional<double> hline;  // e.g. 0 for residuals
  size_t max_points = 1500;
  std::string color = "#4e79a7";
  int width = 560;
  int height = 400;
};

std::string RenderSvg(const LineChart& chart);
std::string RenderSvg(const BarChart& chart);
std::string RenderSvg(const Heatmap& chart);
std::string RenderSvg(const ScatterChart& chart);

// Indices of at most `max_points` points of the polyline (x, y) (x, y already scaled to
// comparable units), chosen by arc length so that the shape is kept; always the first and last.
std::vector<size_t> ThinPolyline(const std::vector<double>& x, const std::vector<double>& y,
                                 size_t max_points);

}  // namespace mloop::report
