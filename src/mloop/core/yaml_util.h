// Reading YAML documents written by users (tuning jobs, endpoint configurations): positions for
// messages, typed scalars with clear errors, unknown-key checks with the nearest valid name.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mloop::yaml {

// "origin:line:column" of a node or mark (just origin when unknown).
std::string Where(const std::string& origin, const YAML::Mark& m);
std::string Where(const std::string& origin, const YAML::Node& n);

// A plain scalar as a number, when all of it reads as one (not "inf" or "nan" words: those stay
// text, so a category named nan is not a NaN). YAML's .inf / -.inf / .nan are numbers.
bool PlainNumber(const std::string& s, nlohmann::json* out);

// A YAML node as JSON: plain scalars become numbers, booleans and null where they read as such;
// quoted scalars stay text.
nlohmann::json ToJson(const YAML::Node& node);

// YAML::Load, refusing a text of several documents (separated by `---`): Load keeps the first
// and silently drops the others. Throws YAML::ParserException at the second document, and at a
// key given twice in one mapping, at any depth (yaml-cpp keeps both, and one is then ignored).
YAML::Node LoadOneYamlDocument(const std::string& text);

// Parses `text`; InvalidArgument with the position on a syntax error.
YAML::Node LoadYaml(const std::string& text, const std::string& origin);

// InvalidArgument for a key of `map` not in `valid` (naming the nearest) or given twice.
// `where_in` completes the message: "in 'train'".
void CheckKeys(const std::string& origin, const YAML::Node& map,
               const std::vector<std::string>& valid, const std::string& where_in);

// Typed scalars; InvalidArgument naming `key` and the position otherwise.
std::string String(const std::string& origin, const YAML::Node& node, const std::string& key);
double Number(const std::string& origin, const YAML::Node& node, const std::string& key);
int64_t Integer(const std::string& origin, const YAML::Node& node, const std::string& key,
                int64_t min, int64_t max = INT64_MAX);

}  // namespace mloop::yaml
