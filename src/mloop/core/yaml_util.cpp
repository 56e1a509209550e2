#include "mloop/core/yaml_util.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"

namespace mloop::yaml {

std::string Where(const std::string& origin, const YAML::Mark& m) {
  if (m.line < 0) return origin;
  return origin + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::string Where(const std::string& origin, const YAML::Node& n) {
  return Where(origin, n.Mark());
}

bool PlainNumber(const std::string& s, nlohmann::json* out) {
  if (s.empty()) return false;
  if (s == ".inf" || s == "+.inf" || s == ".Inf" || s == ".INF") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  const char c = s[0];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.')) {
    return false;
  }
  for (char ch : s) {
    if (!(std::isdigit(static_cast<unsigned char>(ch)) || ch == '-' || ch == '+' || ch == '.' ||
          ch == 'e' || ch == 'E' || ch == '_')) {
      return false;
    }
  }
  std::string t;
  for (char ch : s) {
    if (ch != '_') t += ch;
  }
  const bool integral = t.find_first_of(".eE") == std::string::npos;
  errno = 0;
  char* end = nullptr;
  if (integral) {
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (end == t.c_str() + t.size() && errno == 0) {
      *out = static_cast<int64_t>(v);
      return true;
    }
    errno = 0;
  }
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || t.find_first_of("0123456789") == std::string::npos) {
    return false;
  }
  *out = d;
  return true;
}

nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : node) a.push_back(ToJson(item));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : node) o[kv.first.as<std::string>()] = ToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;  // quoted or explicitly tagged: text
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  nlohmann::json number;
  if (PlainNumber(s, &number)) return number;
  return s;
}

namespace {

// yaml-cpp keeps both entries of a key given twice, and lookups find the first while loops see
// both: whichever a reader uses, one of the two values is silently ignored.
void RefuseDuplicateKeys(const YAML::Node& node, int depth = 0) {
  if (depth > 200) return;  // yaml-cpp's own nesting limit is lower
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second) {
        throw YAML::ParserException(kv.first.Mark(),
                                    "duplicate key '" + Printable(kv.first.Scalar()) + "'");
      }
      RefuseDuplicateKeys(kv.second, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) RefuseDuplicateKeys(item, depth + 1);
  }
}

}  // namespace

YAML::Node LoadOneYamlDocument(const std::string& text) {
  std::vector<YAML::Node> docs = YAML::LoadAll(text);
  if (docs.size() > 1) {
    throw YAML::ParserException(docs[1].Mark(), "the file holds " + std::to_string(docs.size()) +
                                                    " YAML documents (separated by '---'); "
                                                    "mloop reads one");
  }
  if (docs.empty()) return YAML::Node();
  RefuseDuplicateKeys(docs[0]);
  return docs[0];
}

YAML::Node LoadYaml(const std::string& text, const std::string& origin) {
  try {
    return LoadOneYamlDocument(text);
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(Where(origin, e.mark) + ": invalid YAML: " + e.msg);
  }
}

void CheckKeys(const std::string& origin, const YAML::Node& map,
               const std::vector<std::string>& valid, const std::string& where_in) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      throw InvalidArgument(Where(origin, kv.first) + ": keys " + where_in + " must be names");
    }
    const std::string key = kv.first.Scalar();
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      throw InvalidArgument(Where(origin, kv.first) + ": unknown key '" + Printable(key) + "' " +
                                where_in + DidYouMean(key, valid),
                            "valid keys " + where_in + ": " + Join(valid, ", "));
    }
    if (!seen.insert(key).second) {
      throw InvalidArgument(Where(origin, kv.first) + ": duplicate key '" + key + "'");
    }
  }
}

namespace {

// What a value that is not the scalar expected is, for an error: 'text', nothing (an empty or
// null value: `weight:`, `weight: ~`), a mapping or a sequence.
std::string Shown(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + Printable(node.Scalar()) + "'";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  return "nothing (an empty value)";
}

}  // namespace

std::string String(const std::string& origin, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be a non-empty string, got " +
                          (node.IsScalar() ? std::string("''") : Shown(node)));
  }
  return node.Scalar();
}

namespace {

// A quoted "10" is text in YAML (ToJson keeps it a string): a number is written without quotes.
void RefuseQuoted(const std::string& origin, const YAML::Node& node, const std::string& key,
                  const char* what) {
  if (node.IsScalar() && node.Tag() == "!") {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be " + what +
                              ", not the quoted text \"" + Printable(node.Scalar()) + "\"",
                          "write numbers without quotes; quotes keep a value text");
  }
}

}  // namespace

double Number(const std::string& origin, const YAML::Node& node, const std::string& key) {
  RefuseQuoted(origin, node, key, "a number");
  nlohmann::json j;
  if (!node.IsScalar() || !PlainNumber(node.Scalar(), &j) || !std::isfinite(j.get<double>())) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be a finite number, got " +
                          Shown(node));
  }
  return j.get<double>();
}

int64_t Integer(const std::string& origin, const YAML::Node& node, const std::string& key,
                int64_t min, int64_t max) {
  RefuseQuoted(origin, node, key, "an integer");
  nlohmann::json j;
  if (!node.IsScalar() || !PlainNumber(node.Scalar(), &j) || !j.is_number_integer()) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be an integer, got " +
                          Shown(node));
  }
  const int64_t v = j.get<int64_t>();
  if (v < min) {
    throw InvalidArgument(Where(origin, node) + ": '" + key +
                          "' must be >= " + std::to_string(min) + ", got " + std::to_string(v));
  }
  if (v > max) {
    throw InvalidArgument(Where(origin, node) + ": '" + key +
                          "' must be <= " + std::to_string(max) + ", got " + std::to_string(v));
  }
  return v;
}

}  // namespace mloop::yaml
