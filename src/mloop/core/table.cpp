#include "mloop/core/table.h"

#include <unordered_set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"

namespace mloop {

Schema::Schema(std::vector<Field> fields) : fields_(std::move(fields)) {
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name.empty()) {
      throw InvalidArgument("field " + std::to_string(i + 1) + " has an empty name");
    }
    if (!seen.insert(fields_[i].name).second) {
      throw InvalidArgument("duplicate field name '" + fields_[i].name + "'");
    }
  }
}

int Schema::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Schema::Require(std::string_view name) const {
  int i = IndexOf(name);
  if (i < 0) {
    throw NotFound("no column '" + std::string(name) + "'" + DidYouMean(name, names()),
                   "columns: " + Join(names(), ", "));
  }
  return i;
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  out.reserve(fields_.size());
  for (const auto& f : fields_) out.push_back(f.name);
  return out;
}

std::string Schema::DeclaredTarget() const {
  for (const Field& f : fields_) {
    if (f.role == Role::kTarget) return f.name;
  }
  return "";
}

Schema Schema::WithRole(std::string_view name, Role role) const {
  Schema out = *this;
  out.fields_[Require(name)].role = role;
  return out;
}

Table::Table(Schema schema, std::vector<Column> columns)
    : schema_(std::move(schema)), columns_(std::move(columns)) {
  if (static_cast<int>(columns_.size()) != schema_.size()) {
    throw InvalidArgument("table has " + std::to_string(columns_.size()) + " columns but its " +
                          "schema has " + std::to_string(schema_.size()) + " fields");
  }
  num_rows_ = columns_.empty() ? 0 : columns_[0].size();
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Field& f = schema_.field(static_cast<int>(i));
    if (columns_[i].type() != f.type) {
      throw InvalidArgument("column '" + f.name + "' holds " +
                            std::string(DataTypeName(columns_[i].type())) +
                            " values but the schema says " + std::string(DataTypeName(f.type)));
    }
    if (columns_[i].size() != num_rows_) {
      throw InvalidArgument("column '" + f.name + "' has " + std::to_string(columns_[i].size()) +
                            " rows, expected " + std::to_string(num_rows_));
    }
  }
}

Table Table::Slice(int64_t offset, int64_t length) const {
  std::vector<Column> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) cols.push_back(c.Slice(offset, length));
  Table out(schema_, std::move(cols));
  out.num_rows_ = length;
  return out;
}

Table Table::Take(const std::vector<int64_t>& indices) const {
  std::vector<Column> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) {
    ColumnBuilder b(c.type());
    b.Reserve(static_cast<int64_t>(indices.size()));
    for (int64_t i : indices) {
      if (i < 0 || i >= num_rows_) throw InvalidArgument("row index out of range");
      if (!c.IsValid(i)) {
        b.AppendNull();
        continue;
      }
      switch (c.type()) {
        case DataType::kFloat64:
          b.AppendDouble(c.f64()[i]);
          break;
        case DataType::kInt64:
        case DataType::kTimestamp:
          b.AppendInt(c.i64()[i]);
          break;
        case DataType::kBool:
          b.AppendBool(c.bools()[i] != 0);
          break;
        case DataType::kString:
          b.AppendString(c.StringAt(i));
          break;
      }
    }
    cols.push_back(b.Finish());
  }
  Table out(schema_, std::move(cols));
  out.num_rows_ = static_cast<int64_t>(indices.size());
  return out;
}

Table Table::Select(const std::vector<std::string>& names) const {
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (const auto& name : names) {
    int i = schema_.Require(name);
    fields.push_back(schema_.field(i));
    cols.push_back(columns_[i]);
  }
  Table out(Schema(std::move(fields)), std::move(cols));
  out.num_rows_ = num_rows_;
  return out;
}

Table Table::WithRole(std::string_view name, Role role) const {
  Table out = *this;
  out.schema_ = schema_.WithRole(name, role);
  return out;
}

int64_t Table::MemoryBytes() const {
  int64_t total = 0;
  for (const auto& c : columns_) total += c.MemoryBytes();
  return total;
}

bool Table::Equals(const Table& other) const {
  if (!(schema_ == other.schema_) || num_rows_ != other.num_rows_) return false;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!columns_[i].Equals(other.columns_[i])) return false;
  }
  return true;
}

}  // namespace mloop
