#include "server/schema/model.hpp"

#include <cmath>

namespace dc {

namespace {

const FieldDef* find_field(const std::vector<FieldDef>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

bool Validator::accepts(const Value& v) const {
  switch (kind) {
    case Kind::any: return !v.is_undefined();
    case Kind::null_: return v.is_null();
    case Kind::float64: return v.kind() == Value::Kind::float64;  // `integer` binds writes only (validate.cpp)
    case Kind::int64: return v.kind() == Value::Kind::int64;
    case Kind::boolean: return v.kind() == Value::Kind::boolean;
    case Kind::string: return v.is_string();
    case Kind::id: return v.is_string();
    case Kind::bytes: return v.kind() == Value::Kind::bytes;
    case Kind::literal: return compare(v, literal) == 0;
    case Kind::array:
      if (!v.is_array()) return false;
      for (const auto& e : v.as_array()) {
        if (!items[0].accepts(e)) return false;
      }
      return true;
    case Kind::object: {
      if (!v.is_object()) return false;
      for (const auto& [name, fv] : v.as_object()) {
        if (!find_field(fields, name)) return false;
      }
      for (const auto& f : fields) {
        const Value* fv = v.field(f.name);
        if (fv == nullptr || fv->is_undefined()) {
          if (!f.optional) return false;
        } else if (!f.type.accepts(*fv)) {
          return false;
        }
      }
      return true;
    }
    case Kind::record:
      if (!v.is_object()) return false;
      for (const auto& [name, fv] : v.as_object()) {
        if (!items[0].accepts(Value(name)) || !items[1].accepts(fv)) return false;
      }
      return true;
    case Kind::union_:
      for (const auto& m : items) {
        if (m.accepts(v)) return true;
      }
      return false;
  }
  return false;
}

bool Validator::admits_kind(Value::Kind k) const {
  switch (kind) {
    case Kind::any: return true;
    case Kind::null_: return k == Value::Kind::null;
    case Kind::float64: return k == Value::Kind::float64;
    case Kind::int64: return k == Value::Kind::int64;
    case Kind::boolean: return k == Value::Kind::boolean;
    case Kind::string:
    case Kind::id: return k == Value::Kind::string;
    case Kind::bytes: return k == Value::Kind::bytes;
    case Kind::literal: return literal.kind() == k;
    case Kind::array: return k == Value::Kind::array;
    case Kind::object:
    case Kind::record: return k == Value::Kind::object;
    case Kind::union_:
      for (const auto& m : items) {
        if (m.admits_kind(k)) return true;
      }
      return false;
  }
  return false;
}

const Validator* Validator::element() const {
  if (kind == Kind::array) return &items[0];
  if (kind == Kind::any) return this;
  if (kind == Kind::union_) {
    for (const auto& m : items) {
      if (const Validator* e = m.element()) return e;
    }
  }
  return nullptr;
}

std::string Validator::describe() const {
  switch (kind) {
    case Kind::any: return "any";
    case Kind::null_: return "null";
    case Kind::float64: return integer ? "integral float64" : "float64";
    case Kind::int64: return "int64";
    case Kind::boolean: return "boolean";
    case Kind::string: return "string";
    case Kind::bytes: return "bytes";
    case Kind::id: return "id(\"" + table + "\")";
    case Kind::literal: {
      std::string s = "literal ";
      if (literal.is_string()) return s + "\"" + literal.as_string() + "\"";
      return s + std::string(kind_name(literal.kind()));
    }
    case Kind::array: return "array of " + items[0].describe();
    case Kind::object: return "object";
    case Kind::record: return "record";
    case Kind::union_: {
      std::string s;
      for (const auto& m : items) {
        if (!s.empty()) s += " | ";
        s += m.describe();
      }
      return s;
    }
  }
  return "?";
}

const Validator* TableDef::field_type(std::string_view path, bool* optional) const {
  if (optional) *optional = false;
  if (path == "_id") return &id_validator;
  if (path == "_creationTime") return &creation_time_validator;
  const Validator* cur = &document;
  bool opt = false;
  while (true) {
    auto dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    const Validator* next = nullptr;
    auto visit = [&](const Validator& obj) {
      if (obj.kind == Validator::Kind::object) {
        if (const FieldDef* f = find_field(obj.fields, step)) {
          next = &f->type;
          opt = opt || f->optional;
        }
      } else if (obj.kind == Validator::Kind::record) {
        next = &obj.items[1];
        opt = true;
      } else if (obj.kind == Validator::Kind::any) {
        next = &obj;
        opt = true;
      }
    };
    if (cur->kind == Validator::Kind::union_) {
      // A union of objects: the field is known if any member has it, and may be missing otherwise.
      for (const auto& m : cur->items) {
        const Validator* before = next;
        visit(m);
        if (next == before) opt = true;
      }
    } else {
      visit(*cur);
    }
    if (next == nullptr) return nullptr;
    cur = next;
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  if (optional) *optional = opt;
  return cur;
}

const IndexDef* TableDef::index(std::string_view name) const {
  for (const auto& i : indexes) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const SearchIndexDef* TableDef::search_index(std::string_view name) const {
  for (const auto& i : search_indexes) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const std::vector<FieldDef>& TableDef::top_fields() const {
  static const std::vector<FieldDef> none;
  return document.kind == Validator::Kind::object ? document.fields : none;
}

const TableDef* Schema::table(std::string_view name) const {
  auto it = tables.find(name);
  return it == tables.end() ? nullptr : &it->second;
}

const RelationDef* Schema::relation(std::string_view table, std::string_view name) const {
  auto it = relations.find(table);
  if (it == relations.end()) return nullptr;
  for (const auto& r : it->second) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::optional<std::string> Schema::relation_target(std::string_view table, std::string_view name) const {
  const RelationDef* r = relation(table, name);
  if (!r) return std::nullopt;
  return r->target;
}

}  // namespace dc
