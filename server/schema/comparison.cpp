#include "server/schema/comparison.hpp"

#include "server/schema/coerce.hpp"

namespace dc {

namespace {

Error type_error(const std::string& field, const Validator& type, const std::string& path, std::string_view what) {
  return Error::query(std::string(what) + " for field '" + field + "', which holds " + type.describe(), path);
}

}  // namespace

Status check_comparison(const TableDef& table, FilterNode& n) {
  const Validator* type = table.field_type(n.field);
  if (!type) return Error::query("unknown field '" + n.field + "' on table '" + table.name + "'", n.path);
  switch (n.op) {
    case CmpOp::eq:
    case CmpOp::ne:
    case CmpOp::gt:
    case CmpOp::gte:
    case CmpOp::lt:
    case CmpOp::lte:
      if (!coerce_to(*type, n.arg)) return type_error(n.field, *type, n.path, "wrong argument type");
      break;
    case CmpOp::in:
    case CmpOp::not_in:
    case CmpOp::between:
    case CmpOp::not_between: {
      auto& items = n.arg.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].is_null() && (n.op == CmpOp::in || n.op == CmpOp::not_in)) continue;  // never matches; SQL's rule
        if (!coerce_to(*type, items[i])) {
          return type_error(n.field, *type, pointer_append(n.path, i), "wrong argument type");
        }
      }
      break;
    }
    case CmpOp::is_null:
    case CmpOp::is_not_null: break;
    case CmpOp::like:
    case CmpOp::ilike:
    case CmpOp::not_like:
    case CmpOp::not_ilike:
    case CmpOp::starts_with:
    case CmpOp::ends_with:
    case CmpOp::contains:
      if (!type->admits_kind(Value::Kind::string)) {
        return type_error(n.field, *type, n.path, std::string(op_name(n.op)) + " needs a string field");
      }
      break;
    case CmpOp::array_contains:
    case CmpOp::array_contained:
    case CmpOp::array_overlaps: {
      const Validator* elem = type->element();
      if (!elem) return type_error(n.field, *type, n.path, std::string(op_name(n.op)) + " needs an array field");
      auto& items = n.arg.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        if (!coerce_to(*elem, items[i])) {
          return type_error(n.field, *type, pointer_append(n.path, i), "wrong element type");
        }
      }
      break;
    }
  }
  return Ok{};
}

}  // namespace dc
