#include "mloop/report/html.h"

#include <algorithm>
#include <cctype>

#include "mloop/report/svg.h"

namespace mloop::report {

namespace {

constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d1f23;font:14px/1.45 Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:0 20px 40px}
header{background:#1f2a3a;color:#fff;padding:22px 20px 16px}
header .inner{max-width:1180px;margin:0 auto;padding:0 20px}
header h1{margin:0 0 10px;font-size:24px;font-weight:600}
.facts{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0;font-size:13px}
.facts div{min-width:0;overflow-wrap:anywhere}.facts dt{display:inline;color:#aeb8c6}
.facts dd{display:inline;margin:0 0 0 5px;font-weight:600}
nav{margin:14px 0 0;font-size:13px;line-height:1.8}nav a{color:#2a5d9f;margin-right:14px;text-decoration:none}
section{background:#fff;border:1px solid #dfe2e6;border-radius:6px;margin:18px 0;padding:14px 20px}
h2{font-size:18px;margin:4px 0 12px;font-weight:600}h3{font-size:15px;margin:16px 0 8px}
h1,h2,h3,p,figcaption,.card .value,.card .note{overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 150px;border:1px solid #dfe2e6;border-radius:6px;padding:10px 14px}
.card{background:#fafbfc}
.card .label{font-size:12px;color:#5b6470;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:24px;font-weight:600;margin-top:2px}
.card .note{font-size:12px;color:#5b6470}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{padding:4px 12px;border-bottom:1px solid #e6e8eb;text-align:left;vertical-align:top}
.long{display:inline-block;max-width:34em;overflow-wrap:anywhere}
th{background:#f0f2f4;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:14px}
figure{margin:0}figure svg,.charts svg{width:100%;height:auto;display:block}
figure.wide{max-width:760px}figcaption{font-size:12px;color:#5b6470;margin-top:4px}
p.note{color:#5b6470;font-size:13px;font-style:italic}
footer{color:#8a929c;font-size:12px;text-align:center;margin-top:10px}
)css";

std::string SanitizeId(const std::string& text) {
  std::string id;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') {
      id += static_cast<char>(std::tolower(u));
    } else if (!id.empty() && id.back() != '-') {
      id += '-';
    }
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id.empty() ? "section" : id;
}

}  // namespace

std::string EscapeHtml(const std::string& text) {
  return EscapeXml(text);
}

HtmlPage::HtmlPage(std::string title) : title_(std::move(title)) {}

void HtmlPage::AddFact(std::string key, std::string value) {
  facts_.emplace_back(std::move(key), std::move(value));
}

void HtmlPage::BeginSection(std::string heading, std::string id) {
  Section s;
  s.id = SanitizeId(id.empty() ? heading : id);
  // Keep anchors unique.
  std::string base = s.id;
  for (int k = 2; std::any_of(sections_.begin(), sections_.end(),
                              [&](const Section& o) { return o.id == s.id; });
       ++k) {
    s.id = base + "-" + std::to_string(k);
  }
  s.heading = std::move(heading);
  sections_.push_back(std::move(s));
}

HtmlPage::Section& HtmlPage::Current() {
  if (sections_.empty()) sections_.push_back(Section{"", "top", ""});
  return sections_.back();
}

void HtmlPage::AddSubheading(std::string text) {
  Current().body += "<h3>" + EscapeXml(text) + "</h3>\n";
}

void HtmlPage::AddParagraph(std::string text) {
  Current().body += "<p>" + EscapeXml(text) + "</p>\n";
}

void HtmlPage::AddNote(std::string text) {
  Current().body += "<p class=\"note\">" + EscapeXml(text) + "</p>\n";
}

void HtmlPage::AddCards(const std::vector<Card>& cards) {
  std::string& b = Current().body;
  b += "<div class=\"cards\">";
  for (const Card& c : cards) {
    b += "<div class=\"card\"><div class=\"label\">" + EscapeXml(c.label) +
         "</div><div class=\"value\">" + EscapeXml(c.value) + "</div>";
    if (!c.note.empty()) b += "<div class=\"note\">" + EscapeXml(c.note) + "</div>";
    b += "</div>";
  }
  b += "</div>\n";
}

void HtmlPage::AddTable(const Table& table) {
  auto numeric = [&](size_t col) {
    return std::find(table.numeric_columns.begin(), table.numeric_columns.end(), col) !=
           table.numeric_columns.end();
  };
  std::string& b = Current().body;
  b += "<table>";
  if (!table.header.empty()) {
    b += "<thead><tr>";
    for (size_t j = 0; j < table.header.size(); ++j) {
      b += numeric(j) ? "<th class=\"num\">" : "<th>";
      b += EscapeXml(table.header[j]) + "</th>";
    }
    b += "</tr></thead>";
  }
  b += "<tbody>";
  for (const auto& row : table.rows) {
    b += "<tr>";
    for (size_t j = 0; j < row.size(); ++j) {
      b += numeric(j) ? "<td class=\"num\">" : "<td>";
      // Long text (a 300-character column name, a message) wraps within a bounded width
      // instead of stretching the table past the page.
      if (row[j].size() > 40) {
        b += "<span class=\"long\">" + EscapeXml(row[j]) + "</span></td>";
      } else {
        b += EscapeXml(row[j]) + "</td>";
      }
    }
    b += "</tr>";
  }
  b += "</tbody></table>\n";
}

void HtmlPage::AddMetricsTable(const std::vector<std::pair<std::string, double>>& metrics,
                               const std::string& name_header, const std::string& value_header) {
  Table t;
  t.header = {name_header, value_header};
  t.numeric_columns = {1};
  for (const auto& [name, value] : metrics) t.rows.push_back({name, FormatNumber(value, 6)});
  AddTable(t);
}

void HtmlPage::AddChart(const std::string& svg, const std::string& caption) {
  std::string& b = Current().body;
  b += "<figure class=\"wide\">" + svg;
  if (!caption.empty()) b += "<figcaption>" + EscapeXml(caption) + "</figcaption>";
  b += "</figure>\n";
}

void HtmlPage::AddCharts(const std::vector<std::string>& svgs) {
  std::string& b = Current().body;
  b += "<div class=\"charts\">";
  for (const auto& svg : svgs) b += "<figure>" + svg + "</figure>";
  b += "</div>\n";
}

std::string HtmlPage::Render() const {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + EscapeXml(title_) + "</title>\n<style>" + kStyle + "</style>\n</head>\n";
  out += "<body>\n<header><div class=\"inner\"><h1>" + EscapeXml(title_) + "</h1>";
  if (!facts_.empty()) {
    out += "<dl class=\"facts\">";
    for (const auto& [k, v] : facts_) {
      out += "<div><dt>" + EscapeXml(k) + "</dt><dd>" + EscapeXml(v) + "</dd></div>";
    }
    out += "</dl>";
  }
  out += "</div></header>\n<main>\n";
  bool toc = toc_ == 1 || (toc_ == -1 && sections_.size() >= 3);
  if (toc) {
    out += "<nav>";
    for (const Section& s : sections_) {
      if (s.heading.empty()) continue;
      // A space between links lets a long contents bar wrap instead of overflowing.
      out += "<a href=\"#" + s.id + "\">" + EscapeXml(s.heading) + "</a> ";
    }
    out += "</nav>\n";
  }
  for (const Section& s : sections_) {
    out += "<section id=\"" + s.id + "\">";
    if (!s.heading.empty()) out += "<h2>" + EscapeXml(s.heading) + "</h2>\n";
    out += s.body + "</section>\n";
  }
  out += "<footer>Generated by mloop. Self-contained: no scripts, no network.</footer>\n";
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace mloop::report
