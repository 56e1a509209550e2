// Dataset references: "name" (the latest version) or "name@3".
#pragma once

#include <cstdint>
#include <string>

namespace mloop {

struct DatasetRef {
  std::string name;
  int64_t version = 0;  // 0: latest
  std::string ToString() const;
};

// Parses "name" or "name@N". Throws InvalidArgument for an invalid name or version.
DatasetRef ParseDatasetRef(const std::string& text);

// Dataset names: 1 to 128 characters from [A-Za-z0-9_.-], starting with a letter or digit.
void ValidateDatasetName(const std::string& name);

// The dataset name a file is imported under when none is given: its name without directory and
// data extensions ("data/churn.csv.gz" -> "churn"), other characters replaced by '_'.
std::string DatasetNameFromFile(const std::string& path);

}  // namespace mloop
