// Relations: rows loaded by `with`, tested by a relation filter (one probe
// per parent row, stopping at the first match), or read by an order key
// through relations. Each is a lookup by the parent's key on an index the
// key leads (or one grouped scan), junction links first for many-to-many.
#include <algorithm>

#include "server/planner/planner_stages.hpp"

namespace dc {

FieldList paired(const FieldList& keys, const FieldList& pairs, const FieldList& chosen) {
  FieldList out;
  for (const auto& k : chosen) out.push_back(pairs[static_cast<size_t>(std::find(keys.begin(), keys.end(), k) - keys.begin())]);
  return out;
}

namespace {

// A relation step's parent fields (and junction target fields), paired with
// the key fields of the lookups as the chosen indexes order them.
void pair_keys(RelationStep& step, const RelationDef& rel) {
  if (rel.through) {
    step.parent_fields = paired(rel.through->from, rel.from, step.junction->key_fields);
    step.through_to = paired(rel.to, rel.through->to, step.node.access.key_fields);
  } else {
    step.parent_fields = paired(rel.to, rel.from, step.node.access.key_fields);
  }
}

}  // namespace

Result<TableAccess> Planner::junction_access(const Through& th, const FieldList& key, const std::string& path) {
  const TableDef& table = *schema_.table(th.table);
  AccessChoice choice = choose_access(table, {}, {}, key);
  TableAccess j;
  j.table = th.table;
  j.key_fields = std::move(choice.key_fields);
  j.source = std::move(choice.source);
  j.warnings = std::move(choice.warnings);
  j.path = path;
  if (rules_) {
    // The junction table needs its own rule, whose filter applies to every link read.
    auto rule = read_rule(table, path);
    if (!rule) return std::move(rule).error();
    auto filter = role_filter(table, **rule);
    if (!filter) return std::move(filter).error();
    if (*filter) {
      if (auto st = plan_exists(**filter); !st) return std::move(st).error();
      j.post_filter = std::move(*filter);
    }
  }
  return j;
}

Result<RelationStep> Planner::relation(const RelationDef& rel, const ReadConfig& cfg) {
  RelationStep step;
  step.name = rel.name;
  step.many = rel.many;
  const TableDef& target = *schema_.table(rel.target);
  // A where (the relation's own or the request's) may leave no row: null then.
  if (!rel.many && !rel.optional && !rel.where && !cfg.where) {
    auto rule = rules_ ? rules_->tables.find(target.name) : ReadRules::Tables::const_iterator{};
    step.required = !rules_ || (rule != rules_->tables.end() && !rule->second.filter);
  }
  if (!rel.many && (cfg.limit || cfg.offset)) {
    return Error::query("limit and offset apply to many relations only", cfg.path);
  }
  if (rel.through) {
    auto j = junction_access(*rel.through, rel.through->from, cfg.path);
    if (!j) return std::move(j).error();
    step.junction = std::move(j).value();
  }
  auto n = node(target, cfg, rel.to, std::nullopt, std::nullopt, &rel);
  if (!n) return std::move(n).error();
  step.node = std::move(n).value();
  pair_keys(step, rel);
  if (!rel.many) step.node.access.limit = 1;
  return step;
}

Result<PlanBox<OrderPath>> Planner::order_path(const TableDef& table, const OrderKey& key) {
  OrderPath path;
  const TableDef* t = &table;
  const RelationDef* rel = nullptr;
  std::string many;  // the first many relation on the way: past it, a key is an aggregate
  for (size_t i = 0; i < key.via.size(); ++i) {
    rel = schema_.relation(t->name, key.via[i]);  // the parser resolved the names
    if (rel->many && many.empty()) many = rel->name;
    ReadConfig cfg;
    cfg.path = key.path;
    if (i + 1 == key.via.size() && !key.field.empty()) {
      // Names the ordering column: an unknown one, or one the caller's rule hides, fails here.
      cfg.columns.mode = ColumnSelection::Mode::include;
      cfg.columns.fields = {key.field};
      cfg.columns.paths = {key.path};
    }
    auto step = relation(*rel, cfg);
    if (!step) return std::move(step).error();
    path.steps.push_back(std::move(step).value());
    t = schema_.table(rel->target);
  }
  if (key.field.empty()) {
    if (!rel->many) {
      return Error::query("'" + rel->name + "' is a one relation: \"asc(count)\" and \"desc(count)\" count the rows of a many relation",
                          key.path);
    }
  } else if (!many.empty() && key.aggregate == OrderAggregate::none) {
    return Error::query("'" + key.field + "' is reached through many relation '" + many +
                            "': order by an aggregate of it, \"asc(<aggregate>)\" or \"desc(<aggregate>)\" with count, min, max, avg or first",
                        key.path);
  } else if (many.empty() && key.aggregate != OrderAggregate::none) {
    return Error::query("'" + key.field + "' is reached through one relations only: order by it with \"asc\" or \"desc\"", key.path);
  } else if (key.aggregate == OrderAggregate::avg) {
    const Validator* type = t->field_type(key.field);
    if (type && !type->admits_kind(Value::Kind::float64) && !type->admits_kind(Value::Kind::int64)) {
      return Error::query("avg needs a number column; '" + key.field + "' holds " + type->describe(), key.path);
    }
  }
  if (key.aggregate == OrderAggregate::first && path.steps.size() == 1 && !path.steps[0].junction) {
    path.steps[0].node.access.limit = 1;  // the first related row in index order is all the key needs
  }
  return PlanBox<OrderPath>(std::move(path));
}

Status Planner::plan_exists(PlanFilter& f) {
  if (f.kind == PlanFilter::Kind::exists) {
    ReadConfig cfg;
    cfg.limit = 1;  // one matching row answers EXISTS
    cfg.path = f.path;
    const TableDef& target = *schema_.table(f.relation_def->target);
    RelationStep step;
    step.name = f.relation_def->name;
    step.many = f.relation_def->many;
    if (f.relation_def->through) {
      auto j = junction_access(*f.relation_def->through, f.relation_def->through->from, f.path);
      if (!j) return std::move(j).error();
      step.junction = std::move(j).value();
      cfg.limit.reset();  // links are followed per parent; the target test stops at the first match
    }
    std::optional<PlanFilter> nested;
    if (!f.children.empty()) nested = std::move(f.children[0]);
    auto n = node(target, cfg, f.relation_def->to, std::nullopt, std::move(nested), f.relation_def);
    if (!n) return std::move(n).error();
    step.node = std::move(n).value();
    pair_keys(step, *f.relation_def);
    f.relation = PlanBox<RelationStep>(std::move(step));
    f.children.clear();
    return Ok{};
  }
  for (auto& c : f.children) {
    if (auto st = plan_exists(c); !st) return st;
  }
  return Ok{};
}

}  // namespace dc
