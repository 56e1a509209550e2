#include "mloop/batch/json_path.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "mloop/core/error.h"
#include "mloop/io/json_error.h"
#include "mloop/io/jsonl_writer.h"

namespace mloop {

namespace dom = simdjson::dom;

namespace {

class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  std::vector<JsonPath::Step> Parse() {
    std::vector<JsonPath::Step> steps;
    SkipSpaces();
    if (!Eat('$')) Fail("a path starts with '$'");
    while (true) {
      SkipSpaces();
      if (pos_ == text_.size()) break;
      if (!steps.empty() && steps.back().multi) {
        Fail("only the last step may select several values");
      }
      if (Eat('.')) {
        if (Peek() == '.') Fail("'..' (recursive descent) is not supported");
        JsonPath::Step step;
        JsonPath::Selector s;
        if (Eat('*')) {
          s.kind = JsonPath::Selector::Kind::kWildcard;
          step.multi = true;
        } else {
          s.name = Name();
        }
        step.selectors.push_back(std::move(s));
        steps.push_back(std::move(step));
      } else if (Eat('[')) {
        steps.push_back(Bracket());
      } else {
        Fail("expected '.' or '['");
      }
    }
    return steps;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw InvalidArgument(
        "JSONPath '" + std::string(text_) + "': at " + std::to_string(pos_ + 1) + ": " + what,
        "supported: $, $.name, $.a.b, $['a','b'], $[0], $[-1], $[0,2], $[1:3], "
        "$[1:], $[*]");
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  void SkipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  static bool NameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  std::string Name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && NameChar(text_[pos_])) ++pos_;
    if (pos_ == start) Fail("expected a member name");
    return std::string(text_.substr(start, pos_ - start));
  }
  bool Int(int64_t* out) {
    const size_t start = pos_;
    if (Peek() == '-') ++pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ == start) return false;
    auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, *out);
    if (ec == std::errc::result_out_of_range) {
      pos_ = start;
      Fail("the index " + std::string(text_.substr(start, ptr - text_.data() - start)) +
           " is out of range");
    }
    if (ec != std::errc() || ptr != text_.data() + pos_) {
      pos_ = start;
      Fail("expected an integer");
    }
    return true;
  }

  JsonPath::Step Bracket() {
    JsonPath::Step step;
    bool names = false, positions = false;
    while (true) {
      SkipSpaces();
      JsonPath::Selector s;
      const char c = Peek();
      if (c == '\'' || c == '"') {
        ++pos_;
        const size_t end = text_.find(c, pos_);
        if (end == std::string_view::npos) Fail("unterminated quoted name");
        s.name = std::string(text_.substr(pos_, end - pos_));
        if (s.name.empty()) Fail("an empty name");
        pos_ = end + 1;
        names = true;
      } else if (Eat('*')) {
        s.kind = JsonPath::Selector::Kind::kWildcard;
        positions = true;
      } else {
        int64_t a = 0;
        const bool has_a = Int(&a);
        SkipSpaces();
        if (Eat(':')) {
          s.kind = JsonPath::Selector::Kind::kSlice;
          s.has_start = has_a;
          s.start = a;
          SkipSpaces();
          s.has_end = Int(&s.end);
          SkipSpaces();
          if (Peek() == ':') Fail("slice steps ([start:end:step]) are not supported");
        } else if (has_a) {
          s.kind = JsonPath::Selector::Kind::kIndex;
          s.index = a;
        } else {
          Fail("expected a quoted name, an index, a slice or '*'");
        }
        positions = true;
      }
      step.selectors.push_back(std::move(s));
      SkipSpaces();
      if (Eat(']')) break;
      if (!Eat(',')) Fail("expected ',' or ']'");
    }
    if (names && positions) Fail("names and indexes cannot be mixed in one step");
    step.multi = step.selectors.size() > 1 ||
                 step.selectors[0].kind == JsonPath::Selector::Kind::kSlice ||
                 step.selectors[0].kind == JsonPath::Selector::Kind::kWildcard;
    return step;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Python's slice bounds for a sequence of `width`.
void SliceBounds(const JsonPath::Selector& s, int64_t width, int64_t* begin, int64_t* end) {
  auto clamp = [&](int64_t v) {
    if (v < 0) v += width;
    return std::max<int64_t>(0, std::min(v, width));
  };
  *begin = s.has_start ? clamp(s.start) : 0;
  *end = s.has_end ? clamp(s.end) : width;
}

}  // namespace

JsonPath JsonPath::Parse(std::string_view text) {
  JsonPath p;
  p.text_ = std::string(text);
  p.steps_ = PathParser(text).Parse();
  return p;
}

bool JsonPath::selects_names() const {
  return !steps_.empty() && steps_[0].selectors[0].kind == Selector::Kind::kName;
}

namespace {

using Selector = JsonPath::Selector;

bool SelectFromStep(const JsonPath::Step& step, int64_t width,
                    const std::vector<std::string>* names, std::vector<int>* out,
                    std::string* error) {
  out->clear();
  for (const Selector& s : step.selectors) {
    switch (s.kind) {
      case Selector::Kind::kName: {
        if (!names) {
          *error = "'" + s.name + "' is a name, and these records have no column names";
          return false;
        }
        int found = -1;
        for (size_t i = 0; i < names->size(); ++i) {
          if ((*names)[i] == s.name) {
            found = static_cast<int>(i);
            break;
          }
        }
        if (found < 0) {
          *error = "no column '" + s.name + "'";
          return false;
        }
        if (std::find(names->begin() + found + 1, names->end(), s.name) != names->end()) {
          *error = "the header names column '" + s.name + "' twice: which one is meant?";
          return false;
        }
        out->push_back(found);
        break;
      }
      case Selector::Kind::kIndex: {
        const int64_t i = s.index < 0 ? s.index + width : s.index;
        if (i < 0 || i >= width) {
          *error = "index " + std::to_string(s.index) + " is outside the record's " +
                   std::to_string(width) + " value" + (width == 1 ? "" : "s");
          return false;
        }
        out->push_back(static_cast<int>(i));
        break;
      }
      case Selector::Kind::kSlice: {
        int64_t b = 0, e = 0;
        SliceBounds(s, width, &b, &e);
        for (int64_t i = b; i < e; ++i) out->push_back(static_cast<int>(i));
        break;
      }
      case Selector::Kind::kWildcard:
        for (int64_t i = 0; i < width; ++i) out->push_back(static_cast<int>(i));
        break;
    }
  }
  return true;
}

}  // namespace

bool JsonPath::SelectIndexes(int64_t width, const std::vector<std::string>* names,
                             std::vector<int>* out, std::string* error) const {
  if (steps_.empty()) {
    out->clear();
    for (int64_t i = 0; i < width; ++i) out->push_back(static_cast<int>(i));
    return true;
  }
  if (!SelectFromStep(steps_[0], width, names, out, error)) return false;
  if (out->empty()) {  // an empty slice ($[9:] of 2 values): the output would be blank lines
    *error = "selects none of the record's " + std::to_string(width) + " value" +
             (width == 1 ? "" : "s");
    return false;
  }
  return true;
}

// --- JsonPathEvaluator --------------------------------------------------------------------------

struct JsonPathEvaluator::Impl {
  dom::parser parser;
};

JsonPathEvaluator::JsonPathEvaluator() : impl_(std::make_unique<Impl>()) {}
JsonPathEvaluator::~JsonPathEvaluator() = default;

namespace {

std::string Where(const std::string& at) {
  return at == "$" ? "the record" : "'" + at + "'";
}

}  // namespace

bool JsonPathEvaluator::Apply(const JsonPath& path, std::string_view json, std::string* out,
                              std::string* error) {
  dom::element e;
  if (auto err = impl_->parser.parse(json.data(), json.size()).get(e)) {
    *error = "malformed JSON: " + JsonErrorText(err, json);
    return false;
  }
  std::string at = "$";
  for (const JsonPath::Step& step : path.steps()) {
    if (!step.multi) {
      const JsonPath::Selector& s = step.selectors[0];
      if (s.kind == JsonPath::Selector::Kind::kName) {
        dom::object o;
        if (e.get_object().get(o)) {
          *error = Where(at) + " is not an object (for '" + s.name + "')";
          return false;
        }
        if (o.at_key(s.name).get(e)) {
          *error = "no member '" + s.name + "' in " + Where(at);
          return false;
        }
        at += "." + s.name;
      } else {
        dom::array a;
        if (e.get_array().get(a)) {
          *error = Where(at) + " is not an array (for [" + std::to_string(s.index) + "])";
          return false;
        }
        const int64_t n = static_cast<int64_t>(a.size());
        const int64_t i = s.index < 0 ? s.index + n : s.index;
        if (i < 0 || i >= n || a.at(static_cast<size_t>(i)).get(e)) {
          *error = "index " + std::to_string(s.index) + " is outside " + Where(at) + " (" +
                   std::to_string(n) + " elements)";
          return false;
        }
        at += "[" + std::to_string(s.index) + "]";
      }
      continue;
    }
    // The last step: several values.
    const JsonPath::Selector& first = step.selectors[0];
    if (first.kind == JsonPath::Selector::Kind::kName) {
      dom::object o;
      if (e.get_object().get(o)) {
        *error = Where(at) + " is not an object";
        return false;
      }
      *out += '{';
      bool comma = false;
      for (const JsonPath::Selector& s : step.selectors) {
        dom::element v;
        if (o.at_key(s.name).get(v)) {
          *error = "no member '" + s.name + "' in " + Where(at);
          return false;
        }
        if (comma) *out += ',';
        comma = true;
        AppendJsonString(*out, s.name);
        *out += ':';
        *out += simdjson::minify(v);
      }
      *out += '}';
      return true;
    }
    std::vector<dom::element> items;
    if (e.is_object() && step.selectors.size() == 1 &&
        first.kind == JsonPath::Selector::Kind::kWildcard) {
      for (auto field : dom::object(e)) items.push_back(field.value);
    } else {
      dom::array a;
      if (e.get_array().get(a)) {
        *error = Where(at) + " is not an array";
        return false;
      }
      for (dom::element v : a) items.push_back(v);
    }
    std::vector<int> picks;
    if (!SelectFromStep(step, static_cast<int64_t>(items.size()), nullptr, &picks, error)) {
      *error += " (" + Where(at) + ")";
      return false;
    }
    *out += '[';
    for (size_t k = 0; k < picks.size(); ++k) {
      if (k) *out += ',';
      *out += simdjson::minify(items[static_cast<size_t>(picks[k])]);
    }
    *out += ']';
    return true;
  }
  *out += simdjson::minify(e);
  return true;
}

}  // namespace mloop
