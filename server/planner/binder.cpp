#include "server/planner/binder.hpp"

namespace dc {

Status check_field(const TableDef& table, const std::string& field, const std::string& path) {
  if (!table.field_type(field)) {
    return Error::query("unknown field '" + field + "' on table '" + table.name + "'", path);
  }
  return Ok{};
}

namespace {

Error type_error(const std::string& field, const Validator& type, const std::string& path, std::string_view what) {
  return Error::query(std::string(what) + " for field '" + field + "', which holds " + type.describe(), path);
}

Result<PlanFilter> bind_cmp(const FilterNode& n, const TableDef& table) {
  bool optional = false;
  const Validator* type = table.field_type(n.field, &optional);
  if (!type) return Error::query("unknown field '" + n.field + "' on table '" + table.name + "'", n.path);
  PlanFilter f;
  f.kind = PlanFilter::Kind::cmp;
  f.field = n.field;
  f.op = n.op;
  f.arg = n.arg;
  f.path = n.path;
  switch (n.op) {
    case CmpOp::eq:
    case CmpOp::ne:
    case CmpOp::gt:
    case CmpOp::gte:
    case CmpOp::lt:
    case CmpOp::lte:
      if (!coerce_to(*type, f.arg)) return type_error(n.field, *type, n.path, "wrong argument type");
      break;
    case CmpOp::in:
    case CmpOp::not_in:
    case CmpOp::between:
    case CmpOp::not_between: {
      auto& items = f.arg.as_array();
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
      auto& items = f.arg.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        if (!coerce_to(*elem, items[i])) {
          return type_error(n.field, *type, pointer_append(n.path, i), "wrong element type");
        }
      }
      break;
    }
  }
  return f;
}

}  // namespace

Result<PlanFilter> bind_filter(const FilterNode& n, const Schema& schema, const TableDef& table) {
  PlanFilter f;
  f.path = n.path;
  switch (n.kind) {
    case FilterNode::Kind::cmp: return bind_cmp(n, table);
    case FilterNode::Kind::constant:
      f.kind = PlanFilter::Kind::constant;
      f.constant = n.constant;
      return f;
    case FilterNode::Kind::and_:
    case FilterNode::Kind::or_:
    case FilterNode::Kind::not_:
      f.kind = n.kind == FilterNode::Kind::and_ ? PlanFilter::Kind::and_
               : n.kind == FilterNode::Kind::or_ ? PlanFilter::Kind::or_
                                                 : PlanFilter::Kind::not_;
      for (const auto& c : n.children) {
        auto b = bind_filter(c, schema, table);
        if (!b) return std::move(b).error();
        f.children.push_back(std::move(b).value());
      }
      return f;
    case FilterNode::Kind::relation: {
      const RelationDef* rel = schema.relation(table.name, n.relation);
      if (!rel) return Error::query("unknown relation '" + n.relation + "' on table '" + table.name + "'", n.path);
      f.kind = PlanFilter::Kind::exists;
      f.relation_def = rel;
      f.negate = !n.exists;
      if (!n.children.empty()) {
        auto b = bind_filter(n.children[0], schema, *schema.table(rel->target));
        if (!b) return std::move(b).error();
        f.children.push_back(std::move(b).value());
      }
      return f;
    }
  }
  return f;
}

}  // namespace dc
