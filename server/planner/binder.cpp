#include "server/planner/binder.hpp"

#include "server/schema/comparison.hpp"

namespace dc {

Status check_field(const TableDef& table, const std::string& field, const std::string& path) {
  if (!table.field_type(field)) {
    return Error::query("unknown field '" + field + "' on table '" + table.name + "'", path);
  }
  return Ok{};
}

namespace {

Result<PlanFilter> bind_cmp(const FilterNode& n, const TableDef& table) {
  FilterNode checked = n;
  if (auto st = check_comparison(table, checked); !st) return std::move(st).error();
  PlanFilter f;
  f.kind = PlanFilter::Kind::cmp;
  f.field = std::move(checked.field);
  f.op = checked.op;
  f.arg = std::move(checked.arg);
  f.path = std::move(checked.path);
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
