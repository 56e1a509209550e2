// HtmlPage: builds one self-contained HTML5 report page (a single inline <style>, no scripts, no
// external fonts, stylesheets or images). The page has a title, a header of key facts, an
// optional table of contents, and sections, each a heading followed by blocks: headline cards,
// tables, paragraphs, notes and charts (inline SVG from svg.h, laid out two per row).
//
// Every caller string (titles, facts, cells, paragraphs, captions) is HTML-escaped; only the
// SVG passed to AddChart / AddCharts is inserted verbatim, as svg.h escapes its own text.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mloop::report {

struct Card {
  std::string label;  // "ROC AUC"
  std::string value;  // "0.987"
  std::string note;   // optional small print under the value
};

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Columns whose cells are right-aligned numbers (indices into header); others are text.
  std::vector<size_t> numeric_columns;
};

class HtmlPage {
 public:
  explicit HtmlPage(std::string title);

  // A key fact shown in the header ("algorithm" -> "xgboost").
  void AddFact(std::string key, std::string value);
  // Starts a new section; the blocks added next belong to it. `id` (letters, digits, '-', '_'
  // only; others are replaced) is the anchor of the table of contents; empty = from heading.
  void BeginSection(std::string heading, std::string id = "");
  // A smaller heading inside the current section.
  void AddSubheading(std::string text);
  void AddParagraph(std::string text);
  // A muted note (e.g. why a chart is missing).
  void AddNote(std::string text);
  void AddCards(const std::vector<Card>& cards);
  void AddTable(const Table& table);
  // A two-column (name, value) table of numbers, values formatted with FormatNumber.
  void AddMetricsTable(const std::vector<std::pair<std::string, double>>& metrics,
                       const std::string& name_header = "metric",
                       const std::string& value_header = "value");
  // One chart (an <svg> from RenderSvg) with an optional caption, full width.
  void AddChart(const std::string& svg, const std::string& caption = "");
  // Charts side by side (two per row on wide screens).
  void AddCharts(const std::vector<std::string>& svgs);
  // Whether to list the sections at the top (default true when there are 3 or more).
  void SetTableOfContents(bool on) { toc_ = on ? 1 : 0; }

  std::string Render() const;

 private:
  struct Section {
    std::string heading;
    std::string id;
    std::string body;
  };
  Section& Current();

  std::string title_;
  std::vector<std::pair<std::string, std::string>> facts_;
  std::vector<Section> sections_;
  int toc_ = -1;  // -1 automatic
};

// HTML-escapes text (the same as EscapeXml).
std::string EscapeHtml(const std::string& text);

}  // namespace mloop::report
