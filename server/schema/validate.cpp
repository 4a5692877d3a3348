#include "server/schema/validate.hpp"

#include <cmath>

#include "protocol/value_json.hpp"
#include "server/schema/coerce.hpp"

namespace dc {

namespace {

Error invalid(std::string message, const std::string& path) {
  return Error{ErrorCode::invalid_value, std::move(message), path};
}

std::string got(const Value& v) { return std::string(kind_name(v.kind())); }

class Checker {
 public:
  explicit Checker(const DocumentLimits& limits) : limits_(limits) {}

  // Checks `v` against `type`, coercing numbers to int64 where that is the only fit.
  Status check(const Validator& type, Value& v, const std::string& path, size_t depth) {
    // Levels are containers (objects and arrays); the document itself is level 1.
    if ((v.is_array() || v.is_object()) && depth > limits_.max_depth) {
      return invalid("nested deeper than " + std::to_string(limits_.max_depth) + " levels", path);
    }
    if (v.is_array() && v.as_array().size() > limits_.max_array_items) {
      return invalid("arrays hold at most " + std::to_string(limits_.max_array_items) + " items", path);
    }
    if (v.is_object() && v.as_object().size() > limits_.max_object_fields) {
      return invalid("objects hold at most " + std::to_string(limits_.max_object_fields) + " fields", path);
    }
    switch (type.kind) {
      case Validator::Kind::any: return check_any(v, path, depth);
      case Validator::Kind::array: {
        if (!v.is_array()) return mismatch(type, v, path);
        auto& items = v.as_array();
        for (size_t i = 0; i < items.size(); ++i) {
          if (auto st = check(type.items[0], items[i], pointer_append(path, i), depth + 1); !st) return st;
        }
        return Ok{};
      }
      case Validator::Kind::object: {
        if (!v.is_object()) return mismatch(type, v, path);
        for (auto& [name, fv] : v.as_object()) {
          const FieldDef* def = nullptr;
          for (const auto& f : type.fields) {
            if (f.name == name) def = &f;
          }
          std::string fp = pointer_append(path, name);
          if (!def) return invalid("unknown field '" + name + "'", fp);
          if (auto st = check(def->type, fv, fp, depth + 1); !st) return st;
        }
        for (const auto& f : type.fields) {
          if (!f.optional && !v.field(f.name)) {
            return invalid("missing required field '" + f.name + "' (" + f.type.describe() + ")", pointer_append(path, f.name));
          }
        }
        return Ok{};
      }
      case Validator::Kind::record: {
        if (!v.is_object()) return mismatch(type, v, path);
        for (auto& [name, fv] : v.as_object()) {
          std::string fp = pointer_append(path, name);
          if (!type.items[0].accepts(Value(name))) return invalid("key '" + name + "' is not a " + type.items[0].describe(), fp);
          if (auto st = check(type.items[1], fv, fp, depth + 1); !st) return st;
        }
        return Ok{};
      }
      case Validator::Kind::union_: {
        for (const auto& m : type.items) {
          Value copy = v;
          Checker probe(limits_);
          if (probe.check(m, copy, path, depth)) {
            v = std::move(copy);
            return Ok{};
          }
        }
        return mismatch(type, v, path);
      }
      default:
        if (!coerce_to(type, v)) return mismatch(type, v, path);
        // "integer": true refuses non-integral writes; filters compare with any number.
        if (type.kind == Validator::Kind::float64 && type.integer) {
          double d = v.as_float64();
          if (!std::isfinite(d) || std::trunc(d) != d) return invalid("expected an integral float64, got " + to_json_text(v), path);
        }
        return Ok{};
    }
  }

 private:
  Status mismatch(const Validator& type, const Value& v, const std::string& path) {
    return invalid("expected " + type.describe() + ", got " + got(v), path);
  }
  Status check_any(const Value& v, const std::string& path, size_t depth) {
    if (v.is_undefined()) return invalid("expected a value", path);
    if (v.is_array()) {
      const auto& items = v.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        Value copy = items[i];
        if (auto st = check(Validator{}, copy, pointer_append(path, i), depth + 1); !st) return st;
      }
    } else if (v.is_object()) {
      for (const auto& [name, fv] : v.as_object()) {
        Value copy = fv;
        if (auto st = check(Validator{}, copy, pointer_append(path, name), depth + 1); !st) return st;
      }
    }
    return Ok{};
  }

  const DocumentLimits& limits_;
};

Status check_top_level_name(const std::string& name, const std::string& path) {
  if (name.empty() || name[0] == '_') {
    return invalid("field names starting with '_' are reserved for system fields", path);
  }
  return Ok{};
}

}  // namespace

Status validate_document(const TableDef& table, Value& fields, const std::string& path, const DocumentLimits& limits) {
  if (!fields.is_object()) return invalid("a row must be an object", path);
  for (const auto& [name, v] : fields.as_object()) {
    if (auto st = check_top_level_name(name, pointer_append(path, name)); !st) return st;
  }
  Checker checker(limits);
  if (auto st = checker.check(table.document, fields, path, 1); !st) return st;
  if (to_json_text(fields).size() > limits.max_bytes) {
    return invalid("a document is at most " + std::to_string(limits.max_bytes) + " bytes", path);
  }
  return Ok{};
}

Status validate_assignment(const TableDef& table, const std::string& field, Value* value, const std::string& path,
                           const DocumentLimits& limits) {
  if (auto st = check_top_level_name(field, path); !st) {
    return Error{ErrorCode::invalid_query, "system fields cannot be set", path};
  }
  bool optional = false;
  const Validator* type = field.find('.') == std::string::npos ? table.field_type(field, &optional) : nullptr;
  if (!type) return Error::query("unknown field '" + field + "' on table '" + table.name + "'", path);
  if (!value) {
    if (!optional) return invalid("'" + field + "' is required (" + type->describe() + ") and cannot be unset", path);
    return Ok{};
  }
  Checker checker(limits);
  return checker.check(*type, *value, path, 2);
}

}  // namespace dc
