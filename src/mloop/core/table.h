// Schema and Table: the one frame type every stage takes and returns.
//
// A Table is a Schema plus one Column per field, all of the same length. Tables are immutable
// values: copying one copies column pointers, and Slice/Select share the underlying values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/column.h"
#include "mloop/core/types.h"

namespace mloop {

struct Field {
  std::string name;
  DataType type = DataType::kFloat64;
  Role role = Role::kFeature;

  bool operator==(const Field&) const = default;
};

class Schema {
 public:
  Schema() = default;
  // Throws InvalidArgument on an empty or duplicate field name.
  explicit Schema(std::vector<Field> fields);

  const std::vector<Field>& fields() const { return fields_; }
  int size() const { return static_cast<int>(fields_.size()); }
  const Field& field(int i) const { return fields_[i]; }
  // Index of the field called `name`, or -1.
  int IndexOf(std::string_view name) const;
  // Like IndexOf, but throws NotFound naming the nearest field when there is none.
  int Require(std::string_view name) const;
  std::vector<std::string> names() const;

  // The column declared with role `target` (at import, or by a schema file), else empty.
  std::string DeclaredTarget() const;
  // A copy with field `name`'s role set (throws NotFound for an unknown name).
  Schema WithRole(std::string_view name, Role role) const;

  bool operator==(const Schema&) const = default;

 private:
  std::vector<Field> fields_;
};

class Table {
 public:
  Table() = default;
  // Throws InvalidArgument when the column count, a column's type or a column's length does not
  // match the schema.
  Table(Schema schema, std::vector<Column> columns);

  const Schema& schema() const { return schema_; }
  int64_t num_rows() const { return num_rows_; }
  int num_columns() const { return schema_.size(); }
  const Column& column(int i) const { return columns_[i]; }
  const Column& column(std::string_view name) const { return columns_[schema_.Require(name)]; }
  const std::vector<Column>& columns() const { return columns_; }

  // Rows [offset, offset + length), sharing values.
  Table Slice(int64_t offset, int64_t length) const;
  // The rows at `indices` (in that order; repeats allowed), copied into new columns.
  Table Take(const std::vector<int64_t>& indices) const;
  // The named columns, in the given order, sharing values.
  Table Select(const std::vector<std::string>& names) const;
  Table WithRole(std::string_view name, Role role) const;

  // Bytes held by the column values, bitmaps and dictionaries.
  int64_t MemoryBytes() const;
  // Same schema and equal columns.
  bool Equals(const Table& other) const;

 private:
  Schema schema_;
  std::vector<Column> columns_;
  int64_t num_rows_ = 0;
};

}  // namespace mloop
