#include "mloop/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "mloop/core/strings.h"

namespace mloop::report {

// ---- Text and numbers -----------------------------------------------------------------------

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatNumber(double v, int digits) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0.0) return "0";
  digits = std::clamp(digits, 1, 17);
  double a = std::fabs(v);
  char buf[64];
  if (a >= 1e7 || a < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    // Trim trailing zeros of the mantissa: 1.200e+07 -> 1.2e+07.
    std::string s = buf;
    size_t e = s.find('e');
    std::string mant = s.substr(0, e);
    if (mant.find('.') != std::string::npos) {
      while (!mant.empty() && mant.back() == '0') mant.pop_back();
      if (!mant.empty() && mant.back() == '.') mant.pop_back();
    }
    return mant + s.substr(e);
  }
  int magnitude = static_cast<int>(std::floor(std::log10(a)));
  int decimals = std::max(0, digits - 1 - magnitude);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string FormatGrouped(double v, int decimals) {
  if (!std::isfinite(v)) return FormatNumber(v);
  decimals = std::clamp(decimals, 0, 10);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  std::string s = buf;
  size_t dot = s.find('.');
  std::string int_part = s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot);
  std::string grouped;
  for (size_t i = 0; i < int_part.size(); ++i) {
    if (i > 0 && (int_part.size() - i) % 3 == 0) grouped += ',';
    grouped += int_part[i];
  }
  bool zero = std::all_of(s.begin(), s.end(), [](char c) { return c == '0' || c == '.'; });
  return (v < 0 && !zero ? "-" : "") + grouped + frac;
}

std::string PaletteColor(size_t index) {
  static const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                                         "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"};
  return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

namespace {

constexpr const char* kFont = "font-family=\"Helvetica,Arial,sans-serif\"";
constexpr double kCharWidth = 0.58;  // of the font size: an estimate for laying out text

// A coordinate with one decimal.
std::string C(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

double TextWidth(std::string_view text, double font_size) {
  return static_cast<double>(text.size()) * font_size * kCharWidth;
}

// `text` cut to at most `max_chars` characters (by bytes, not splitting UTF-8 sequences) by
// taking out its middle, so that labels sharing a long start stay apart.
std::string Truncate(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  return CutMiddleUtf8(text, max_chars + 2, "\xE2\x80\xA6");  // U+2026: 3 bytes, one character
}

std::string Text(double x, double y, const std::string& text, double size,
                 const char* anchor = "start", const std::string& extra = "") {
  return "<text x=\"" + C(x) + "\" y=\"" + C(y) + "\" font-size=\"" + C(size) +
         "\" text-anchor=\"" + anchor + "\"" + (extra.empty() ? "" : " " + extra) + ">" +
         EscapeXml(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const std::string& stroke,
                 double width = 1.0, bool dashed = false) {
  return "<line x1=\"" + C(x1) + "\" y1=\"" + C(y1) + "\" x2=\"" + C(x2) + "\" y2=\"" + C(y2) +
         "\" stroke=\"" + EscapeXml(stroke) + "\" stroke-width=\"" + C(width) + "\"" +
         (dashed ? " stroke-dasharray=\"5,4\"" : "") + "/>";
}

std::string Open(int width, int height, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\" role=\"img\" " + kFont +
         " style=\"max-width:100%;height:auto\"><title>" + EscapeXml(title) +
         "</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>" +
         (title.empty() ? "" : Text(width / 2.0, 22, title, 15, "middle", "font-weight=\"bold\""));
}

struct Ticks {
  double lo = 0.0;
  double hi = 1.0;
  double step = 0.2;
  std::vector<double> values;
};

double NiceStep(double range, int target) {
  double raw = range / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return nice * mag;
}

// Ticks covering [lo, hi] (from the data) unless the range is fixed.
Ticks MakeTicks(double lo, double hi, const AxisRange& fixed, int target = 5) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0.0;
    hi = 1.0;
  }
  if (fixed.min) lo = *fixed.min;
  if (fixed.max) hi = *fixed.max;
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    double pad = lo == 0.0 ? 1.0 : std::fabs(lo) * 0.1;
    if (!fixed.min) lo -= pad;
    if (!fixed.max) hi += pad;
    if (hi == lo) hi = lo + 1.0;
  }
  Ticks t;
  t.step = NiceStep(hi - lo, target);
  if (fixed.whole) t.step = std::max(t.step, 1.0);
  t.lo = fixed.min ? lo : std::floor(lo / t.step + 1e-9) * t.step;
  t.hi = fixed.max ? hi : std::ceil(hi / t.step - 1e-9) * t.step;
  double first = std::ceil(t.lo / t.step - 1e-9) * t.step;
  for (int i = 0; i < 100; ++i) {
    double v = first + i * t.step;
    if (v > t.hi + t.step * 1e-9) break;
    if (std::fabs(v) < t.step * 1e-9) v = 0.0;
    t.values.push_back(v);
  }
  return t;
}

}  // namespace

std::string FormatTick(double v, double step, double max_abs) {
  const char* suffix = "";
  double div = 1.0;
  if (max_abs >= 1e9) {
    div = 1e9;
    suffix = "B";
  } else if (max_abs >= 1e6) {
    div = 1e6;
    suffix = "M";
  } else if (max_abs >= 1e4) {
    div = 1e3;
    suffix = "k";
  }
  double s = step / div;
  int decimals = s >= 1 ? 0 : std::min(8, static_cast<int>(std::ceil(-std::log10(s) - 1e-9)));
  // Steps like 2.5 need one decimal more than their magnitude.
  double scaled = s * std::pow(10.0, decimals);
  if (std::fabs(scaled - std::round(scaled)) > 1e-6) ++decimals;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v / div);
  std::string out = buf;
  if (out.find_first_not_of("-0.") == std::string::npos) return "0";
  return out + suffix;
}

namespace {

std::string TickLabel(double v, double step, double max_abs) {
  return FormatTick(v, step, max_abs);
}

void MinMax(const std::vector<double>& v, double& lo, double& hi) {
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
}

// The plot area of a chart with two numeric axes.
struct Frame {
  double left = 64;
  double top = 40;
  double right = 0;
  double bottom = 0;
  Ticks xt;
  Ticks yt;
  double X(double v) const { return left + (v - xt.lo) / (xt.hi - xt.lo) * (right - left); }
  double Y(double v) const { return bottom - (v - yt.lo) / (yt.hi - yt.lo) * (bottom - top); }
};

// Grid, axes, tick labels and axis labels.
std::string DrawAxes(const Frame& f, const std::string& x_label, const std::string& y_label,
                     int height, bool x_ticks = true) {
  std::string s;
  double ymax = std::max(std::fabs(f.yt.lo), std::fabs(f.yt.hi));
  double xmax = std::max(std::fabs(f.xt.lo), std::fabs(f.xt.hi));
  for (double v : f.yt.values) {
    double y = f.Y(v);
    s += Line(f.left, y, f.right, y, "#e6e6e6");
    s += Text(f.left - 6, y + 4, TickLabel(v, f.yt.step, ymax), 11, "end", "fill=\"#444\"");
  }
  if (x_ticks) {
    for (double v : f.xt.values) {
      double x = f.X(v);
      s += Line(x, f.top, x, f.bottom, "#e6e6e6");
      s += Text(x, f.bottom + 16, TickLabel(v, f.xt.step, xmax), 11, "middle", "fill=\"#444\"");
    }
  }
  s += "<rect x=\"" + C(f.left) + "\" y=\"" + C(f.top) + "\" width=\"" + C(f.right - f.left) +
       "\" height=\"" + C(f.bottom - f.top) + "\" fill=\"none\" stroke=\"#999\"/>";
  if (!x_label.empty()) {
    s += Text((f.left + f.right) / 2, height - 10, x_label, 12.5, "middle", "fill=\"#222\"");
  }
  if (!y_label.empty()) {
    double cy = (f.top + f.bottom) / 2;
    s += "<text x=\"" + C(-cy) + "\" y=\"16\" font-size=\"12.5\" text-anchor=\"middle\" " +
         "fill=\"#222\" transform=\"rotate(-90)\">" + EscapeXml(y_label) + "</text>";
  }
  return s;
}

// A nested <svg> over the plot area (4 px margin) that clips what is drawn inside it; its
// coordinates are the outer ones shifted by (left - 4, top - 4).
std::string OpenClip(const Frame& f) {
  return "<svg x=\"" + C(f.left - 4) + "\" y=\"" + C(f.top - 4) + "\" width=\"" +
         C(f.right - f.left + 8) + "\" height=\"" + C(f.bottom - f.top + 8) + "\" viewBox=\"" +
         C(f.left - 4) + " " + C(f.top - 4) + " " + C(f.right - f.left + 8) + " " +
         C(f.bottom - f.top + 8) + "\" overflow=\"hidden\">";
}

// The diagonal y = x over the visible part of the frame.
std::string Diagonal(const Frame& f) {
  double lo = std::max(f.xt.lo, f.yt.lo);
  double hi = std::min(f.xt.hi, f.yt.hi);
  if (hi <= lo) return "";
  return Line(f.X(lo), f.Y(lo), f.X(hi), f.Y(hi), "#888", 1.2, true);
}

// Legend entries laid out in rows under the title; returns the height used.
double Legend(const std::vector<std::pair<std::string, std::string>>& entries,
              const std::vector<bool>& dashed, double left, double right, double y,
              std::string& out) {
  double x = left;
  double rows = 0;
  bool any = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [name, color] = entries[i];
    double w = 26 + TextWidth(name, 12) + 16;
    if (any && x + w > right) {
      x = left;
      rows += 1;
    }
    double yy = y + rows * 18;
    out += Line(x, yy - 4, x + 20, yy - 4, color, 2.5, dashed[i]);
    out += Text(x + 26, yy, name, 12, "start", "fill=\"#222\"");
    x += w;
    any = true;
  }
  return any ? (rows + 1) * 18 : 0;
}

std::string Close() {
  return "</svg>";
}

}  // namespace

std::vector<size_t> ThinPolyline(const std::vector<double>& x, const std::vector<double>& y,
                                 size_t max_points) {
  size_t n = std::min(x.size(), y.size());
  std::vector<size_t> keep;
  if (n == 0) return keep;
  if (n <= max_points || max_points < 2) {
    for (size_t i = 0; i < n; ++i) keep.push_back(i);
    return keep;
  }
  double total = 0.0;
  for (size_t i = 1; i < n; ++i) total += std::hypot(x[i] - x[i - 1], y[i] - y[i - 1]);
  // Half the budget by arc length (the shape), half evenly by index (dense flat stretches).
  double spacing = total / static_cast<double>(max_points / 2);
  size_t stride = (n + max_points / 2 - 1) / (max_points / 2);
  keep.push_back(0);
  double run = 0.0;
  for (size_t i = 1; i + 1 < n; ++i) {
    run += std::hypot(x[i] - x[i - 1], y[i] - y[i - 1]);
    if ((spacing > 0 && run >= spacing) || i % stride == 0) {
      if (keep.size() + 1 >= max_points) break;
      keep.push_back(i);
      run = 0.0;
    }
  }
  keep.push_back(n - 1);
  return keep;
}

std::string RenderSvg(const LineChart& chart) {
  std::string s = Open(chart.width, chart.height, chart.title);
  double lo_x = std::numeric_limits<double>::infinity(), hi_x = -lo_x;
  double lo_y = lo_x, hi_y = -lo_x;
  for (const Series& se : chart.series) {
    MinMax(se.x, lo_x, hi_x);
    MinMax(se.y, lo_y, hi_y);
  }
  if (chart.hline) {
    lo_y = std::min(lo_y, *chart.hline);
    hi_y = std::max(hi_y, *chart.hline);
  }
  Frame f;
  f.right = chart.width - 18;
  f.bottom = chart.height - 48;
  f.xt = MakeTicks(lo_x, hi_x, chart.x_range);
  f.yt = MakeTicks(lo_y, hi_y, chart.y_range);
  // Widen the left margin for long y tick labels.
  double ymax = std::max(std::fabs(f.yt.lo), std::fabs(f.yt.hi));
  double label_w = 0;
  for (double v : f.yt.values) {
    label_w = std::max(label_w, TextWidth(TickLabel(v, f.yt.step, ymax), 11));
  }
  f.left = std::max(52.0, label_w + 34);

  std::vector<std::pair<std::string, std::string>> entries;
  std::vector<bool> dashed;
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& se = chart.series[i];
    if (se.name.empty()) continue;
    entries.emplace_back(se.name, se.color.empty() ? PaletteColor(i) : se.color);
    dashed.push_back(se.dashed);
  }
  std::string legend;
  double legend_h = Legend(entries, dashed, f.left, f.right, chart.title.empty() ? 18 : 44, legend);
  // Marker labels go in rows above the plot (never over the data), centred on their line; a
  // label that would overlap one in the same row moves up a row.
  struct Placed {
    size_t index;
    double cx;
    size_t row;
  };
  std::vector<Placed> placed;
  std::vector<std::vector<std::pair<double, double>>> rows;
  for (size_t i = 0; i < chart.vlines.size(); ++i) {
    const VerticalLine& v = chart.vlines[i];
    if (v.label.empty() || !std::isfinite(v.x) || v.x < f.xt.lo || v.x > f.xt.hi) continue;
    double w = TextWidth(v.label, 11.5) + 8;
    double cx = std::clamp(f.X(v.x), f.left + w / 2, f.right - w / 2);
    size_t row = 0;
    for (;; ++row) {
      if (row == rows.size()) rows.emplace_back();
      bool free = std::none_of(rows[row].begin(), rows[row].end(), [&](const auto& iv) {
        return cx - w / 2 < iv.second && cx + w / 2 > iv.first;
      });
      if (free) break;
    }
    rows[row].emplace_back(cx - w / 2, cx + w / 2);
    placed.push_back({i, cx, row});
  }
  double labels_h = 15.0 * static_cast<double>(rows.size());
  f.top = (chart.title.empty() ? 14 : 36) + legend_h + (legend_h > 0 ? 4 : 0) + labels_h;
  s += legend;
  s += DrawAxes(f, chart.x_label, chart.y_label, chart.height);

  s += OpenClip(f);
  if (chart.diagonal) s += Diagonal(f);
  if (chart.hline) {
    s += Line(f.left, f.Y(*chart.hline), f.right, f.Y(*chart.hline), "#888", 1.2, true);
  }
  double sx = 1.0 / (f.xt.hi - f.xt.lo), sy = 1.0 / (f.yt.hi - f.yt.lo);
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& se = chart.series[i];
    std::string color = EscapeXml(se.color.empty() ? PaletteColor(i) : se.color);
    // Finite points in plot units, then thinned.
    std::vector<double> px, py;
    size_t n = std::min(se.x.size(), se.y.size());
    for (size_t k = 0; k < n; ++k) {
      if (!std::isfinite(se.x[k]) || !std::isfinite(se.y[k])) continue;
      px.push_back(se.x[k]);
      py.push_back(se.y[k]);
    }
    std::vector<double> ux(px.size()), uy(py.size());
    for (size_t k = 0; k < px.size(); ++k) {
      ux[k] = (px[k] - f.xt.lo) * sx;
      uy[k] = (py[k] - f.yt.lo) * sy;
    }
    std::vector<size_t> keep = ThinPolyline(ux, uy, std::max<size_t>(2, chart.max_points));
    if (keep.empty()) continue;
    std::string pts;
    for (size_t k : keep) {
      if (!pts.empty()) pts += ' ';
      pts += C(f.X(px[k])) + "," + C(f.Y(py[k]));
    }
    s += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
         (se.dashed ? " stroke-dasharray=\"6,4\"" : "") + " stroke-linejoin=\"round\" points=\"" +
         pts + "\"/>";
    if (se.markers) {
      for (size_t k : keep) {
        s += "<circle cx=\"" + C(f.X(px[k])) + "\" cy=\"" + C(f.Y(py[k])) + "\" r=\"3\" fill=\"" +
             color + "\"/>";
      }
    }
  }
  s += Close();

  // Vertical markers and their labels.
  for (const VerticalLine& v : chart.vlines) {
    if (!std::isfinite(v.x) || v.x < f.xt.lo || v.x > f.xt.hi) continue;
    double x = f.X(v.x);
    s += Line(x, f.top, x, f.bottom, v.color, 1.4, true);
  }
  for (const Placed& p : placed) {
    const VerticalLine& v = chart.vlines[p.index];
    double y = f.top - 4 - 15.0 * static_cast<double>(p.row);
    s += Text(p.cx, y, v.label, 11.5, "middle",
              "fill=\"" + EscapeXml(v.color) + "\" font-weight=\"bold\"");
  }
  return s + Close();
}

std::string RenderSvg(const BarChart& chart) {
  std::vector<std::pair<std::string, double>> bars = chart.bars;
  if (!chart.vertical && chart.sort) {
    std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) {
      return std::fabs(a.second) > std::fabs(b.second);
    });
  }
  if (chart.max_bars > 0 && bars.size() > chart.max_bars) bars.resize(chart.max_bars);
  const double base = chart.vertical ? 0.0 : chart.baseline;
  double lo = base, hi = base;
  for (const auto& b : bars) {
    if (!std::isfinite(b.second)) continue;
    lo = std::min(lo, b.second);
    hi = std::max(hi, b.second);
  }
  AxisRange fixed;
  fixed.whole = std::all_of(bars.begin(), bars.end(), [](const auto& b) {
    return !std::isfinite(b.second) || b.second == std::floor(b.second);
  });
  if (lo == base) fixed.min = base;
  if (hi == base && lo < base) fixed.max = base;
  if (lo == base && hi == base) fixed.max = base + 1.0;
  const size_t n = bars.size();

  if (chart.vertical) {
    int height = chart.height > 0 ? chart.height : 400;
    std::string s = Open(chart.width, height, chart.title);
    Frame f;
    f.top = chart.title.empty() ? 14 : 36;
    f.right = chart.width - 18;
    f.bottom = height - 48;
    f.yt = MakeTicks(lo, hi, fixed);
    double ymax = std::max(std::fabs(f.yt.lo), std::fabs(f.yt.hi));
    double label_w = 0;
    for (double v : f.yt.values) {
      label_w = std::max(label_w, TextWidth(TickLabel(v, f.yt.step, ymax), 11));
    }
    f.left = std::max(52.0, label_w + 34);
    f.xt = MakeTicks(0, static_cast<double>(std::max<size_t>(n, 1)), AxisRange{0.0, double(n)});
    s += DrawAxes(f, chart.category_label, chart.value_label, height, false);
    double slot = (f.right - f.left) / static_cast<double>(std::max<size_t>(n, 1));
    double max_label = 0;
    for (const auto& b : bars) max_label = std::max(max_label, TextWidth(b.first, 10.5));
    size_t every = std::max<size_t>(1, static_cast<size_t>(std::ceil((max_label + 8) / slot)));
    for (size_t i = 0; i < n; ++i) {
      double v = std::isfinite(bars[i].second) ? bars[i].second : 0.0;
      double y0 = f.Y(0.0), y1 = f.Y(v);
      double x = f.left + slot * static_cast<double>(i);
      s += "<rect x=\"" + C(x + slot * 0.06) + "\" y=\"" + C(std::min(y0, y1)) + "\" width=\"" +
           C(slot * 0.88) + "\" height=\"" + C(std::fabs(y1 - y0)) + "\" fill=\"" +
           EscapeXml(chart.color) + "\"><title>" + EscapeXml(bars[i].first) + ": " +
           EscapeXml(FormatNumber(bars[i].second)) + "</title></rect>";
      if (i % every == 0) {
        s += Text(x + slot / 2, f.bottom + 15, bars[i].first, 10.5, "middle", "fill=\"#444\"");
      }
    }
    return s + Close();
  }

  // Horizontal: a row per bar, names on the left, values at the bar ends.
  const double row = 22;
  double top = chart.title.empty() ? 12 : 36;
  int height =
      chart.height > 0 ? chart.height : static_cast<int>(top + row * static_cast<double>(n) + 46);
  std::string s = Open(chart.width, height, chart.title);
  double name_w = 0;
  for (const auto& b : bars) name_w = std::max(name_w, TextWidth(Truncate(b.first, 32), 12));
  Frame f;
  f.top = top;
  // Names end at name_right; negative values need room for their value text left of the plot.
  const double name_right = std::min(std::max(52.0, name_w + 6), chart.width * 0.45 - 8);
  f.left = name_right + 8 + (lo < base ? 48 : 0);
  f.right = chart.width - 64;
  f.bottom = top + row * static_cast<double>(n);
  f.xt = MakeTicks(lo, hi, fixed);
  f.yt = MakeTicks(0, 1, AxisRange{0.0, 1.0});
  double xmax = std::max(std::fabs(f.xt.lo), std::fabs(f.xt.hi));
  for (double v : f.xt.values) {
    double x = f.X(v);
    s += Line(x, f.top, x, f.bottom, "#e6e6e6");
    s += Text(x, f.bottom + 16, TickLabel(v, f.xt.step, xmax), 11, "middle", "fill=\"#444\"");
  }
  size_t max_chars = static_cast<size_t>(std::max(4.0, (name_right - 6) / (12 * kCharWidth)));
  for (size_t i = 0; i < n; ++i) {
    double v = std::isfinite(bars[i].second) ? bars[i].second : base;
    double y = top + row * static_cast<double>(i);
    double x0 = f.X(base), x1 = f.X(v);
    s += "<rect x=\"" + C(std::min(x0, x1)) + "\" y=\"" + C(y + 3) + "\" width=\"" +
         C(std::fabs(x1 - x0)) + "\" height=\"" + C(row - 6) + "\" fill=\"" +
         EscapeXml(chart.color) + "\"><title>" + EscapeXml(bars[i].first) + ": " +
         EscapeXml(FormatNumber(bars[i].second)) + "</title></rect>";
    s += Text(name_right, y + row / 2 + 4, Truncate(bars[i].first, max_chars), 12, "end",
              "fill=\"#222\"");
    std::string value = FormatNumber(bars[i].second, 3);
    if (v >= base) {
      s += Text(x1 + 4, y + row / 2 + 4, value, 11, "start", "fill=\"#444\"");
    } else {
      s += Text(x1 - 4, y + row / 2 + 4, value, 11, "end", "fill=\"#444\"");
    }
  }
  s += Line(f.X(base), f.top, f.X(base), f.bottom, "#666");
  if (!chart.value_label.empty()) {
    s += Text((f.left + f.right) / 2, height - 10, chart.value_label, 12.5, "middle",
              "fill=\"#222\"");
  }
  return s + Close();
}

namespace {

// White -> mid blue -> dark blue.
std::string HeatColor(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double stops[3][3] = {{255, 255, 255}, {107, 174, 214}, {8, 48, 107}};
  int seg = t < 0.5 ? 0 : 1;
  double u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
  char buf[16];
  int rgb[3];
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(stops[seg][c] + (stops[seg + 1][c] - stops[seg][c]) * u));
  }
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

// Blue (-1) -> white (0) -> red (+1), ColorBrewer's RdBu.
std::string DivergingColor(double t) {
  if (!std::isfinite(t)) return "#e4e4e4";
  t = std::clamp(t, -1.0, 1.0);
  const double stops[5][3] = {
      {33, 102, 172}, {146, 197, 222}, {255, 255, 255}, {244, 165, 130}, {178, 24, 43}};
  double pos = (t + 1.0) * 2.0;  // 0..4
  int seg = std::min(3, static_cast<int>(std::floor(pos)));
  double u = pos - seg;
  char buf[16];
  int rgb[3];
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(stops[seg][c] + (stops[seg + 1][c] - stops[seg][c]) * u));
  }
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

std::string CellValue(double v, int decimals = -1) {
  if (std::isnan(v)) return "\xE2\x80\x93";  // undefined (a constant column's correlation): "–"
  if (decimals >= 0 && std::isfinite(v)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 10), v);
    std::string s = buf;
    if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.00"
    return s;
  }
  if (std::isfinite(v) && v == std::round(v) && std::fabs(v) < 1e15) return FormatGrouped(v, 0);
  return FormatNumber(v, 4);
}

}  // namespace

std::string RenderSvg(const Heatmap& chart) {
  size_t rows = chart.values.size();
  size_t cols = 0;
  for (const auto& r : chart.values) cols = std::max(cols, r.size());
  double vmax = 0.0;
  for (const auto& r : chart.values) {
    for (double v : r) {
      if (std::isfinite(v)) vmax = std::max(vmax, chart.diverging ? std::fabs(v) : v);
    }
  }
  if (chart.scale_max > 0) vmax = chart.scale_max;
  auto label = [](const std::vector<std::string>& labels, size_t i) {
    return i < labels.size() ? labels[i] : std::to_string(i);
  };
  double name_w = 0;
  for (size_t i = 0; i < rows; ++i) {
    name_w = std::max(name_w, TextWidth(Truncate(label(chart.row_labels, i), 20), 12));
  }
  double left = std::max(50.0, name_w + 34);
  double scale_w = 70;  // the colour scale on the right
  double avail = chart.width - left - scale_w - 10;
  double cell = std::clamp(avail / static_cast<double>(std::max<size_t>(cols, 1)), 16.0, 120.0);
  double top = chart.title.empty() ? 14 : 38;
  double grid_h = cell * static_cast<double>(rows);
  // Room under the grid for the column labels (and the axis name).
  double col_label_h = 16;
  // Rotated labels are one cell apart: smaller type for small cells keeps them from touching.
  const double rotated_font = std::clamp(cell * 0.62, 7.0, 10.5);
  if (chart.rotate_col_labels) {
    double w = 0;
    for (size_t j = 0; j < cols; ++j) {
      w = std::max(w, TextWidth(Truncate(label(chart.col_labels, j), 20), rotated_font));
    }
    col_label_h = 10 + w * 0.7072;
  }
  double axis_h = chart.col_axis.empty() ? 8 : 42;
  int height =
      chart.height > 0 ? chart.height : static_cast<int>(top + grid_h + col_label_h + axis_h);
  std::string s = Open(chart.width, height, chart.title);
  double grid_w = cell * static_cast<double>(cols);
  double font = std::clamp(cell * 0.2, 8.0, 15.0);
  if (chart.diverging || chart.decimals >= 0) font = std::clamp(cell * 0.26, 8.0, 14.0);
  size_t label_chars = static_cast<size_t>(std::max(3.0, cell / (10.5 * kCharWidth)));
  for (size_t i = 0; i < rows; ++i) {
    double row_sum = 0.0;
    for (double v : chart.values[i]) row_sum += std::isfinite(v) ? v : 0.0;
    double y = top + cell * static_cast<double>(i);
    s += Text(left - 8, y + cell / 2 + 4, Truncate(label(chart.row_labels, i), 20), 12, "end",
              "fill=\"#222\"");
    for (size_t j = 0; j < cols; ++j) {
      double v = j < chart.values[i].size() ? chart.values[i][j] : 0.0;
      double t = vmax > 0 ? v / vmax : 0.0;
      double x = left + cell * static_cast<double>(j);
      std::string text = CellValue(v, chart.decimals);
      std::string color = chart.diverging ? DivergingColor(t) : HeatColor(t);
      s += "<rect x=\"" + C(x) + "\" y=\"" + C(y) + "\" width=\"" + C(cell) + "\" height=\"" +
           C(cell) + "\" fill=\"" + color + "\" stroke=\"#fff\"><title>" +
           EscapeXml((chart.row_axis.empty() ? "" : chart.row_axis + " ") +
                     label(chart.row_labels, i) + ", " +
                     (chart.col_axis.empty() ? "" : chart.col_axis + " ") +
                     label(chart.col_labels, j) + ": " + text) +
           "</title></rect>";
      if (chart.diverging) {
        if (!std::isfinite(v) || TextWidth(text, font) > cell - 4) continue;
        std::string fill = std::fabs(t) > 0.6 ? "#fff" : "#111";
        s += Text(x + cell / 2, y + cell / 2 + font * 0.35, text, font, "middle",
                  "fill=\"" + fill + "\"");
        continue;
      }
      std::string fill = t > 0.55 ? "#fff" : "#111";
      bool pct = chart.row_percent && row_sum > 0 && cell >= 40;
      double cy = y + cell / 2 + (pct ? -2 : font * 0.35);
      s += Text(x + cell / 2, cy, text, font, "middle",
                "fill=\"" + fill + "\" font-weight=\"bold\"");
      if (pct) {
        s += Text(x + cell / 2, cy + font + 1, FormatNumber(100.0 * v / row_sum, 3) + "%",
                  font * 0.8, "middle", "fill=\"" + fill + "\"");
      }
    }
  }
  for (size_t j = 0; j < cols; ++j) {
    double x = left + cell * (static_cast<double>(j) + 0.5);
    if (chart.rotate_col_labels) {
      double y = top + grid_h + 10;
      s += Text(x + 3, y, Truncate(label(chart.col_labels, j), 20), rotated_font, "end",
                "fill=\"#222\" transform=\"rotate(-45 " + C(x + 3) + " " + C(y) + ")\"");
    } else {
      s += Text(x, top + grid_h + 16, Truncate(label(chart.col_labels, j), label_chars), 10.5,
                "middle", "fill=\"#222\"");
    }
  }
  s += "<rect x=\"" + C(left) + "\" y=\"" + C(top) + "\" width=\"" + C(grid_w) + "\" height=\"" +
       C(grid_h) + "\" fill=\"none\" stroke=\"#999\"/>";
  if (!chart.col_axis.empty()) {
    s += Text(left + grid_w / 2, top + grid_h + col_label_h + 20, chart.col_axis, 12.5, "middle",
              "fill=\"#222\"");
  }
  if (!chart.row_axis.empty()) {
    double cy = top + grid_h / 2;
    s += "<text x=\"" + C(-cy) + "\" y=\"16\" font-size=\"12.5\" text-anchor=\"middle\" " +
         "fill=\"#222\" transform=\"rotate(-90)\">" + EscapeXml(chart.row_axis) + "</text>";
  }
  // Colour scale: 20 steps from 0 (or -max) at the bottom to the maximum at the top.
  double sx = left + grid_w + 18;
  double sh = std::max(60.0, grid_h);
  for (int k = 0; k < 20; ++k) {
    double y = top + sh - sh * (k + 1) / 20.0;
    double u = (k + 0.5) / 20.0;
    s += "<rect x=\"" + C(sx) + "\" y=\"" + C(y) + "\" width=\"14\" height=\"" + C(sh / 20 + 0.5) +
         "\" fill=\"" + (chart.diverging ? DivergingColor(2 * u - 1) : HeatColor(u)) + "\"/>";
  }
  s += "<rect x=\"" + C(sx) + "\" y=\"" + C(top) + "\" width=\"14\" height=\"" + C(sh) +
       "\" fill=\"none\" stroke=\"#999\"/>";
  s += Text(sx + 18, top + 10, CellValue(vmax, chart.decimals), 10.5, "start", "fill=\"#444\"");
  if (chart.diverging) {
    s += Text(sx + 18, top + sh / 2 + 4, "0", 10.5, "start", "fill=\"#444\"");
    s += Text(sx + 18, top + sh, CellValue(-vmax, chart.decimals), 10.5, "start", "fill=\"#444\"");
  } else {
    s += Text(sx + 18, top + sh, "0", 10.5, "start", "fill=\"#444\"");
  }
  return s + Close();
}

std::string RenderSvg(const ScatterChart& chart) {
  std::string s = Open(chart.width, chart.height, chart.title);
  double lo_x = std::numeric_limits<double>::infinity(), hi_x = -lo_x;
  double lo_y = lo_x, hi_y = -lo_x;
  MinMax(chart.x, lo_x, hi_x);
  MinMax(chart.y, lo_y, hi_y);
  if (chart.diagonal) {
    // The same range on both axes so that the diagonal is at 45 degrees.
    lo_x = lo_y = std::min(lo_x, lo_y);
    hi_x = hi_y = std::max(hi_x, hi_y);
  }
  if (chart.hline) {
    lo_y = std::min(lo_y, *chart.hline);
    hi_y = std::max(hi_y, *chart.hline);
  }
  Frame f;
  f.top = chart.title.empty() ? 14 : 36;
  f.right = chart.width - 18;
  f.bottom = chart.height - 48;
  f.xt = MakeTicks(lo_x, hi_x, chart.x_range);
  f.yt = MakeTicks(lo_y, hi_y, chart.y_range);
  double ymax = std::max(std::fabs(f.yt.lo), std::fabs(f.yt.hi));
  double label_w = 0;
  for (double v : f.yt.values) {
    label_w = std::max(label_w, TextWidth(TickLabel(v, f.yt.step, ymax), 11));
  }
  f.left = std::max(52.0, label_w + 34);
  s += DrawAxes(f, chart.x_label, chart.y_label, chart.height);
  s += OpenClip(f);
  if (chart.diagonal) s += Diagonal(f);
  if (chart.hline) {
    s += Line(f.left, f.Y(*chart.hline), f.right, f.Y(*chart.hline), "#888", 1.2, true);
  }
  size_t n = std::min(chart.x.size(), chart.y.size());
  size_t stride = chart.max_points > 0 ? (n + chart.max_points - 1) / chart.max_points : 1;
  stride = std::max<size_t>(1, stride);
  std::string color = EscapeXml(chart.color);
  s += "<g fill=\"" + color + "\" fill-opacity=\"0.45\">";
  for (size_t i = 0; i < n; i += stride) {
    if (!std::isfinite(chart.x[i]) || !std::isfinite(chart.y[i])) continue;
    s += "<circle cx=\"" + C(f.X(chart.x[i])) + "\" cy=\"" + C(f.Y(chart.y[i])) + "\" r=\"2.3\"/>";
  }
  s += "</g>";
  s += Close();
  return s + Close();
}

}  // namespace mloop::report
