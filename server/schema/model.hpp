// The schema model: tables in Convex's shape (validators, indexes, search
// indexes) plus what Convex does not know (unique constraints, relations).
// Immutable once loaded; shared read-only by every request.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/parse.hpp"
#include "protocol/value.hpp"

namespace dc {

struct FieldDef;

struct Validator {
  enum class Kind { null_, float64, int64, boolean, string, bytes, any, literal, id, array, object, record, union_ };
  Kind kind = Kind::any;
  bool integer = false;          // float64: only integral values are accepted (a field's "integer": true)
  Value literal;                 // literal
  std::string table;             // id
  std::vector<Validator> items;  // array: {element}; union: members; record: {keys, values}
  std::vector<FieldDef> fields;  // object

  // Does `v` conform? On failure `why` says what was expected.
  bool accepts(const Value& v) const;
  // Human-readable type, e.g. "string | null".
  std::string describe() const;
  // Could a value of this validator be of kind k (used for operator checks)?
  bool admits_kind(Value::Kind k) const;
  // The element validator when this is (or unions) an array type.
  const Validator* element() const;
};

// A value the server writes itself (protocol.md section 8): a literal, or a
// function evaluated once per request.
struct FieldDefault {
  enum class Kind { literal, now, uuid };
  Kind kind = Kind::literal;
  Value literal;
};

struct FieldDef {
  std::string name;
  Validator type;
  bool optional = false;
  // Top-level fields of a table only (the loader refuses them deeper).
  std::optional<FieldDefault> default_value;  // on insert, when absent
  std::optional<FieldDefault> on_update;      // on update, when the update does not set it
};

struct IndexDef {
  std::string name;
  std::vector<std::string> fields;  // declared fields; _creationTime and _id follow implicitly
};

struct SearchIndexDef {
  std::string name;
  std::string search_field;
  std::vector<std::string> filter_fields;
};

enum class OnDelete { restrict_, cascade, set_null };

// Relation keys are lists of fields, matched pairwise: one field for a
// reference, several for a join on a composite key (Drizzle's `from: [a, b]`).
using FieldList = std::vector<std::string>;

struct Through {
  std::string table;
  FieldList from;  // junction fields matching the source's `from`
  FieldList to;    // junction fields matching the target's `to`
};

struct RelationDef {
  std::string name;
  bool many = false;
  std::string target;
  FieldList from;  // fields on the source table
  FieldList to;    // fields on the target table
  std::optional<Through> through;
  std::optional<OnDelete> on_delete;  // as declared; the default depends on optionality
  bool inferred = false;
  // A `one` relation declared `"optional": false` never yields null: a
  // missing target is an upstream error, and typed clients rely on it.
  bool optional = true;
  // Drizzle's predefined relation filter on the target's rows (relation
  // filters allowed, cycles refused): checked at load, ANDed into every load
  // of the relation and every relation filter on it.
  std::optional<FilterNode> where;
  Json where_json;  // as declared (null: none), for /v1/schema
};

struct TableDef {
  std::string name;
  Validator document;  // object (or union of objects)
  std::vector<IndexDef> indexes;  // declared ones, then by_creation_time
  std::vector<SearchIndexDef> search_indexes;
  std::vector<std::vector<std::string>> unique;

  // The validator of a (dotted) field path, including system fields; nullptr when unknown.
  // `optional` is set when the field (or any step to it) may be missing.
  const Validator* field_type(std::string_view path, bool* optional = nullptr) const;
  const IndexDef* index(std::string_view name) const;
  const SearchIndexDef* search_index(std::string_view name) const;
  // The table's top-level fields (empty unless the document is an object).
  const std::vector<FieldDef>& top_fields() const;

  Validator id_validator;            // v.id(this table), for _id
  Validator creation_time_validator; // float64
};

class Schema : public RelationResolver {
 public:
  std::map<std::string, TableDef, std::less<>> tables;
  std::map<std::string, std::vector<RelationDef>, std::less<>> relations;  // by source table

  const TableDef* table(std::string_view name) const;
  const RelationDef* relation(std::string_view table, std::string_view name) const;

  std::optional<std::string> relation_target(std::string_view table, std::string_view name) const override;
  bool has_table(std::string_view table) const override { return this->table(table) != nullptr; }
};

// Name of the implicit creation-time index every table has.
inline constexpr std::string_view kByCreationTime = "by_creation_time";

}  // namespace dc
