// The JSONPath subset of SageMaker batch transform's InputFilter and OutputFilter.
//
//   $                 the whole record
//   $.name  $.a.b     a member of an object (names of letters, digits, '_' and '-')
//   $['a','b']        several members: an object holding just those, in that order
//   $[2]  $[-1]       an element of an array (negative: from the end)
//   $[0,2]  $[1:3]    several elements (indexes, slices [start:end] with either end optional and
//   $[1:]  $[0,5:]    negative ends counted from the end, mixed freely): an array, in that order
//   $[*]  $.*         every element (of an object: its values, as an array)
// Only the last step may select several values. A CSV record is an array of its fields; with a
// header row (or for a dataset's columns) names select fields by column name too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mloop {

class JsonPath {
 public:
  // One step of a path: a single member or element, or (last step only) a selection of several.
  struct Selector {
    enum class Kind { kName, kIndex, kSlice, kWildcard };
    Kind kind = Kind::kName;
    std::string name;   // kName
    int64_t index = 0;  // kIndex
    bool has_start = false, has_end = false;
    int64_t start = 0, end = 0;  // kSlice
  };
  struct Step {
    std::vector<Selector> selectors;  // one, unless the step selects several values
    bool multi = false;               // a bracket list, a slice or a wildcard
  };

  JsonPath() : text_("$") {}
  // Throws InvalidArgument naming the position of the first problem ("$[1:": at 4: expected ']').
  static JsonPath Parse(std::string_view text);

  const std::string& text() const { return text_; }
  const std::vector<Step>& steps() const { return steps_; }
  bool is_root() const { return steps_.empty(); }
  // A path of at most one step (what CSV fields and a dataset's columns can take).
  bool is_flat() const { return steps_.size() <= 1; }
  // Its one step selects by name.
  bool selects_names() const;

  // The positions a flat path selects in a record of `width` values, in selection order
  // (duplicates kept); names are looked up in `names` (the header) when given. False with
  // *error set when an index is outside the record or a name is unknown.
  bool SelectIndexes(int64_t width, const std::vector<std::string>* names, std::vector<int>* out,
                     std::string* error) const;

 private:
  std::string text_;
  std::vector<Step> steps_;
};

// Applies paths to JSON text. Holds a parser: one per thread.
class JsonPathEvaluator {
 public:
  JsonPathEvaluator();
  ~JsonPathEvaluator();
  JsonPathEvaluator(const JsonPathEvaluator&) = delete;
  JsonPathEvaluator& operator=(const JsonPathEvaluator&) = delete;

  // Appends to *out the JSON text (minified) of what `path` selects in the JSON document `json`.
  // False with *error set when `json` is malformed, or a member or element the path names is
  // not there.
  bool Apply(const JsonPath& path, std::string_view json, std::string* out, std::string* error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mloop
