#include "server/planner/planner.hpp"

#include <algorithm>
#include <cmath>

#include "protocol/json_read.hpp"
#include "protocol/value_json.hpp"
#include "server/planner/binder.hpp"
#include "server/planner/filter_normalize.hpp"
#include "server/planner/index_choice.hpp"
#include "server/planner/plan_json.hpp"

namespace dc {

namespace {

uint64_t sat_add(uint64_t a, uint64_t b) { return a > kUnbounded - b ? kUnbounded : a + b; }
uint64_t sat_mul(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kUnbounded / b ? kUnbounded : a * b;
}

std::optional<PlanFilter> and_of(std::vector<PlanFilter> parts) {
  if (parts.empty()) return std::nullopt;
  if (parts.size() == 1) return std::move(parts[0]);
  PlanFilter f;
  f.kind = PlanFilter::Kind::and_;
  f.children = std::move(parts);
  return f;
}

// `where` AND `extra`, normalized (a relation's where, a rule's row filter).
void and_into(std::optional<PlanFilter>& where, PlanFilter extra) {
  std::vector<PlanFilter> both;
  if (where) both.push_back(std::move(*where));
  both.push_back(std::move(extra));
  where = normalize_filter(and_of(std::move(both)).value_or(PlanFilter{}));
}

Error forbidden(std::string message, std::string path) { return Error{ErrorCode::forbidden, std::move(message), std::move(path)}; }

// `with` levels above an access, from its request path (/with/a/with/b: 2).
int with_depth(const std::string& path) {
  int depth = 0;
  for (size_t at = path.find("/with/"); at != std::string::npos; at = path.find("/with/", at + 1)) ++depth;
  return depth;
}

// The first comparison in `f` (outside relation filters, which are checked
// on their own table) on a column the caller may not see.
const PlanFilter* hidden_column(const PlanFilter& f, const std::set<std::string>& visible) {
  if (f.kind == PlanFilter::Kind::cmp) {
    std::string top = f.field.substr(0, f.field.find('.'));
    return visible.count(top) ? nullptr : &f;
  }
  if (f.kind == PlanFilter::Kind::exists) return nullptr;
  for (const auto& c : f.children) {
    if (const PlanFilter* h = hidden_column(c, visible)) return h;
  }
  return nullptr;
}

// A skip-scan over values observed in the data: as few as a schema domain may have.
constexpr size_t kMaxObservedSkip = 16;

class Planner {
 public:
  Planner(const Schema& schema, const TableStats& stats, const ReadRules* rules = nullptr, uint64_t budget = kUnbounded,
          uint64_t answer_rows = kUnbounded)
      : schema_(schema), stats_(stats), rules_(rules), budget_(budget), answer_rows_(answer_rows) {}

  // `bound`: a filter already bound on `table` (relation filters), used instead of cfg.where.
  // `via`: the relation these rows are reached through; its predefined where applies too.
  Result<ReadNode> node(const TableDef& table, const ReadConfig& cfg, const FieldList& key_fields,
                        const std::optional<SearchSpec>& search, std::optional<PlanFilter> bound = std::nullopt,
                        const RelationDef* via = nullptr);
  Result<RelationStep> relation(const RelationDef& rel, const ReadConfig& cfg);
  Result<std::shared_ptr<const OrderPath>> order_path(const TableDef& table, const OrderKey& key);
  // A relation filter that could drive an access from its selective side.
  struct Drivable {
    size_t conjunct;  // its place among the access's top-level conjuncts
    const RelationDef* rel;
    std::optional<PlanFilter> related_filter;
    std::string path;
  };
  // Replaces the full scan `a` by lookups driven from the best of `drivable`, if one costs less.
  void drive(TableAccess& a, const TableDef& table, const std::vector<const PlanFilter*>& conj, const ReadConfig& cfg,
             const std::vector<Drivable>& drivable);
  // The related side of relation filter `rel` (rows matching `related_filter`), planned to be read first.
  std::shared_ptr<Driver> driver(const RelationDef& rel, std::optional<PlanFilter> related_filter, const std::string& path);
  // Rows of `a` its served filters leave, by default selectivities; kUnbounded when the table size is unknown.
  uint64_t matching_rows(const TableAccess& a) const;
  Status plan_exists(PlanFilter& f);
  uint64_t estimate(ReadNode& node, uint64_t parents, bool is_lookup, int64_t extra_rows);

  struct Contributor {
    uint64_t reads = 0;
    std::string path;
    std::string hint;
  };
  Contributor worst;

 private:
  uint64_t rows(const std::string& table) const {
    auto n = stats_.row_count(table);
    if (!n) unknown_sizes = true;
    return n ? *n : kUnbounded;
  }
  // Rows for weighing one plan against another: exact or observed.
  uint64_t estimated_rows(const std::string& table) const {
    auto n = stats_.estimated_rows(table);
    return n ? *n : kUnbounded;
  }

 public:
  // A paginate reads page by page: its root access stops early like a limit.
  void set_paginated(const ReadConfig* cfg) { paginated_ = cfg; }
  mutable bool unknown_sizes = false;  // some table's size was unknown (Convex keeps no counts we can read)

 private:
  uint64_t estimate_access(TableAccess& a, uint64_t parents, bool is_lookup, int64_t extra_rows);
  uint64_t estimate_filter(PlanFilter& f, uint64_t parents);
  // A relation step's reads for `parents` keys: its junction's, then its target's.
  uint64_t estimate_step(RelationStep& step, uint64_t parents);

  // The junction rows of a many-to-many relation, looked up by parent key;
  // under read rules the junction table needs its own rule, whose filter
  // applies to every link read.
  // `key`: the junction fields the lookup is keyed on (th.from from the
  // parent's side, th.to when a relation filter drives from the target's).
  Result<TableAccess> junction_access(const Through& th, const std::string& path) { return junction_access(th, th.from, path); }
  Result<TableAccess> junction_access(const Through& th, const FieldList& key, const std::string& path) {
    AccessChoice choice = choose_access(*schema_.table(th.table), {}, {}, key);
    TableAccess j;
    j.table = th.table;
    j.key_fields = std::move(choice.key_fields);
    j.source = std::move(choice.source);
    j.warnings = std::move(choice.warnings);
    j.path = path;
    if (rules_) {
      auto rule = read_rule(*schema_.table(th.table), path);
      if (!rule) return std::move(rule).error();
      auto filter = role_filter(*schema_.table(th.table), **rule);
      if (!filter) return std::move(filter).error();
      if (*filter) {
        if (auto st = plan_exists(**filter); !st) return std::move(st).error();
        j.post_filter = std::move(*filter);
      }
    }
    return j;
  }

  // The caller's rule for `table`, or FORBIDDEN at `path`.
  Result<const TableReadRule*> read_rule(const TableDef& table, const std::string& path) const {
    auto it = rules_->tables.find(table.name);
    if (it == rules_->tables.end()) {
      return forbidden("role '" + rules_->role + "' may not read table '" + table.name + "'", path.empty() ? "/table" : path);
    }
    if (it->second.refusal) {
      return forbidden("role '" + rules_->role + "' may not read table '" + table.name + "': " + *it->second.refusal, path.empty() ? "/table" : path);
    }
    return &it->second;
  }

  // The rule's row filter bound on `table`, normalized; nullopt: every row.
  Result<std::optional<PlanFilter>> role_filter(const TableDef& table, const TableReadRule& rule) const {
    if (!rule.filter) return std::optional<PlanFilter>();
    auto b = bind_filter(*rule.filter, schema_, table);
    if (!b) {
      return Error{ErrorCode::internal, "the select filter of role '" + rules_->role + "' on '" + table.name + "' does not bind: " + b.error().message,
                   std::nullopt};
    }
    return std::optional<PlanFilter>(normalize_filter(std::move(b).value()));
  }

  const Schema& schema_;
  const TableStats& stats_;
  const ReadRules* rules_;
  uint64_t budget_;
  uint64_t answer_rows_;
  const ReadConfig* paginated_ = nullptr;  // the root's config when the read is a paginate
  int nesting_ = 0;  // node() calls in progress: rules whose filters probe each other stop here
};

// Does the selection leave no column? Only an explicit `columns` can:
// `columns: {}`, every field `false`, or (under read rules, where exclusions
// become the visible columns minus the excluded ones) every visible one excluded.
bool selects_nothing(const TableDef& table, const ColumnSelection& cols) {
  if (cols.mode == ColumnSelection::Mode::all) return false;
  if (cols.mode == ColumnSelection::Mode::include) return cols.fields.empty();
  if (table.document.kind != Validator::Kind::object) return false;  // a union: fields vary by row
  auto excluded = [&](const std::string& f) { return std::find(cols.fields.begin(), cols.fields.end(), f) != cols.fields.end(); };
  if (!excluded("_id") || !excluded("_creationTime")) return false;
  return std::all_of(table.document.fields.begin(), table.document.fields.end(), [&](const FieldDef& f) { return excluded(f.name); });
}

// `pairs` in the order `chosen` puts `keys` in (pairs[i] goes with keys[i]).
FieldList paired(const FieldList& keys, const FieldList& pairs, const FieldList& chosen) {
  FieldList out;
  for (const auto& k : chosen) out.push_back(pairs[static_cast<size_t>(std::find(keys.begin(), keys.end(), k) - keys.begin())]);
  return out;
}

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

Status check_columns(const TableDef& table, const ColumnSelection& cols) {
  for (size_t i = 0; i < cols.fields.size(); ++i) {
    const auto& f = cols.fields[i];
    if (f.find('.') != std::string::npos || !table.field_type(f)) {
      return Error::query("unknown column '" + f + "' on table '" + table.name + "'", cols.paths[i]);
    }
  }
  return Ok{};
}

Status plan_search(TableAccess& a, const TableDef& table, const SearchSpec& s) {
  const SearchIndexDef* idx = table.search_index(s.index);
  if (!idx) return Error::query("unknown search index '" + s.index + "' on table '" + table.name + "'", s.path + "/index");
  a.source.kind = Source::Kind::search;
  a.source.index = s.index;
  a.source.search_field = idx->search_field;
  a.source.search_query = s.query;
  for (const auto& [f, v] : s.filters) {
    if (std::find(idx->filter_fields.begin(), idx->filter_fields.end(), f) == idx->filter_fields.end()) {
      return Error::query("'" + f + "' is not a filter field of search index '" + s.index + "'",
                          pointer_append(s.path + "/filters", f));
    }
    Value arg = v;
    if (!coerce_to(*table.field_type(f), arg) && !arg.is_null()) {
      return Error::query("wrong argument type for field '" + f + "', which holds " + table.field_type(f)->describe(),
                          pointer_append(s.path + "/filters", f));
    }
    a.source.search_filters.emplace_back(f, std::move(arg));
  }
  return Ok{};
}

Result<ReadNode> Planner::node(const TableDef& table, const ReadConfig& cfg, const FieldList& key_fields,
                               const std::optional<SearchSpec>& search, std::optional<PlanFilter> bound,
                               const RelationDef* via) {
  struct Nesting {
    int& n;
    ~Nesting() { --n; }
  } nesting{++nesting_};
  if (nesting_ > 32) return Error::query("relations and relation filters nest deeper than 32 accesses", cfg.path);
  ReadNode n;
  TableAccess& a = n.access;
  a.table = table.name;
  a.key_fields = key_fields;
  a.path = cfg.path;
  if (auto st = check_columns(table, cfg.columns); !st) return std::move(st).error();
  n.columns = cfg.columns;
  for (const auto& k : cfg.order_by) {
    if (!k.on_row()) continue;  // planned below, through its relations
    if (auto st = check_field(table, k.field, k.path); !st) return std::move(st).error();
  }
  // A limit alone can promise more rows than an answer may hold; more
  // often the rows multiply through relations, counted while the answer is built.
  if (cfg.limit && static_cast<uint64_t>(*cfg.limit) > answer_rows_) {
    return Error::query("limit " + std::to_string(*cfg.limit) + " is over the answer's budget of " + std::to_string(answer_rows_) +
                            " rows (--answer-rows)",
                        cfg.path + "/limit");
  }
  const TableReadRule* rule = nullptr;
  if (rules_) {
    auto r = read_rule(table, cfg.path);
    if (!r) return std::move(r).error();
    rule = *r;
    if (rules_->max_limit && cfg.limit && *cfg.limit > *rules_->max_limit) {
      return forbidden("limit " + std::to_string(*cfg.limit) + " is over the maxLimit of role '" + rules_->role + "' (" +
                           std::to_string(*rules_->max_limit) + ")",
                       cfg.path + "/limit");
    }
    if (rules_->max_depth && with_depth(cfg.path) > *rules_->max_depth) {
      return forbidden("relations nest deeper than the maxDepth of role '" + rules_->role + "' (" + std::to_string(*rules_->max_depth) + ")",
                       cfg.path);
    }
  }
  if (rule && rule->columns) {
    const auto& visible = *rule->columns;
    auto hidden = [&](const std::string& column, const std::string& path) {
      return forbidden("role '" + rules_->role + "' may not read column '" + column + "' of table '" + table.name + "'", path);
    };
    ColumnSelection shown;
    shown.mode = ColumnSelection::Mode::include;
    if (cfg.columns.mode == ColumnSelection::Mode::include) {
      for (size_t i = 0; i < cfg.columns.fields.size(); ++i) {
        if (!visible.count(cfg.columns.fields[i])) return hidden(cfg.columns.fields[i], cfg.columns.paths[i]);
      }
      shown = cfg.columns;
    } else {
      // Everything (but what is excluded) the caller may see.
      for (const auto& c : visible) {
        const auto& ex = cfg.columns.fields;
        if (cfg.columns.mode == ColumnSelection::Mode::all || std::find(ex.begin(), ex.end(), c) == ex.end()) shown.fields.push_back(c);
      }
      shown.paths.assign(shown.fields.size(), cfg.path);
    }
    n.columns = std::move(shown);
    for (const auto& k : cfg.order_by) {
      if (!k.on_row()) continue;  // the related table's rule applies there
      std::string top = k.field.substr(0, k.field.find('.'));
      if (!visible.count(top)) return hidden(top, k.path);
    }
  }
  if (cfg.with.empty() && selects_nothing(table, n.columns)) {
    // Drizzle: "No fields selected" (here after exclusions and the caller's columns).
    return Error::query("no fields selected: every column of '" + table.name + "' is left out and nothing is loaded with 'with'",
                        cfg.path + "/columns");
  }
  std::optional<PlanFilter> where = std::move(bound);
  if (!where && cfg.where) {
    auto b = bind_filter(*cfg.where, schema_, table);
    if (!b) return std::move(b).error();
    where = normalize_filter(std::move(b).value());
  }
  if (rule && rule->columns && where) {
    if (const PlanFilter* h = hidden_column(*where, *rule->columns)) {
      return forbidden("role '" + rules_->role + "' may not read column '" + h->field.substr(0, h->field.find('.')) + "' of table '" +
                           table.name + "'",
                       h->path);
    }
  }
  if (via && via->where) {
    // Part of the schema, not of the request: checked at load, so it binds;
    // it may name columns the caller's rule hides, as a rule's filter may.
    auto b = bind_filter(*via->where, schema_, table);
    if (!b) return Error{ErrorCode::internal, "the where of relation '" + via->name + "' does not bind: " + b.error().message, std::nullopt};
    and_into(where, std::move(b).value());
  }
  if (rule) {
    // The rule's rows only, in every access of the table, before the access path is chosen.
    auto filter = role_filter(table, *rule);
    if (!filter) return std::move(filter).error();
    if (*filter) and_into(where, std::move(**filter));
  }
  // Relation filters that could drive this access from their selective
  // side: top-level EXISTS conjuncts of a scan (not a lookup), kept with their
  // related-row filter before plan_exists turns them into per-row probes.
  std::vector<Drivable> drivable;
  if (where && key_fields.empty() && !search) {
    auto conj = conjuncts(*where);
    for (size_t i = 0; i < conj.size(); ++i) {
      const PlanFilter* c = conj[i];
      if (c->kind != PlanFilter::Kind::exists || c->negate) continue;
      drivable.push_back({i, c->relation_def, c->children.empty() ? std::nullopt : std::optional<PlanFilter>(c->children[0]), c->path});
    }
  }
  if (where) {
    if (auto st = plan_exists(*where); !st) return std::move(st).error();
  }
  a.limit = cfg.limit;
  a.offset = cfg.offset.value_or(0);

  if (where && where->kind == PlanFilter::Kind::constant && !where->constant) {
    a.source.kind = Source::Kind::empty;  // the filter is false for every row: read nothing
    a.warnings.push_back("the filter can never be true; nothing is read");
  } else if (search) {
    if (auto st = plan_search(a, table, *search); !st) return std::move(st).error();
    a.post_filter = where;
  } else {
    std::vector<const PlanFilter*> conj;
    if (where) conj = conjuncts(*where);
    bool stops_early = cfg.limit.has_value() || &cfg == paginated_;
    ObservedValues observed = [&](std::string_view field) { return stats_.leading_values(table.name, field, kMaxObservedSkip); };
    AccessChoice choice = choose_access(table, conj, cfg.order_by, key_fields, true, stops_early, observed);
    if (choice.source.kind == Source::Kind::union_) {
      // A union's worst case reads the table once per branch: keep the scan
      // where that could cross the budget and the scan would not.
      uint64_t n = rows(table.name);
      if (n != kUnbounded && n <= budget_ && sat_mul(n, choice.source.branches.size()) > budget_) {
        choice = choose_access(table, conj, cfg.order_by, key_fields, false, stops_early, observed);
      }
    }
    if (!choice.key_fields.empty()) a.key_fields = std::move(choice.key_fields);
    a.source = std::move(choice.source);
    a.order = std::move(choice.order);
    a.user_order_keys = choice.user_order_keys;
    a.order_source = choice.order_source;
    a.warnings = std::move(choice.warnings);
    std::vector<PlanFilter> rest;
    for (const PlanFilter* c : conj) {
      if (std::find(choice.served.begin(), choice.served.end(), c) != choice.served.end()) {
        a.served.push_back(*c);
      } else {
        rest.push_back(*c);
      }
    }
    a.post_filter = and_of(std::move(rest));
    a.at_most_one_per_range = choice.at_most_one_per_interval;
    if (choice.at_most_one_per_interval) a.warnings.clear();
    bool indexed = a.source.kind == Source::Kind::index && !a.at_most_one_per_range;
    if (!drivable.empty() && (a.source.kind == Source::Kind::full_scan || indexed)) drive(a, table, conj, cfg, drivable);
  }
  for (size_t i = 0; i < cfg.order_by.size(); ++i) {
    if (cfg.order_by[i].on_row()) continue;
    auto path = order_path(table, cfg.order_by[i]);
    if (!path) return std::move(path).error();
    a.order_paths.resize(i + 1);
    a.order_paths[i] = std::move(path).value();
  }
  for (const auto& load : cfg.with) {
    const RelationDef* rel = schema_.relation(table.name, load.name);
    auto step = relation(*rel, *load.config);
    if (!step) return std::move(step).error();
    n.with.push_back(std::move(step).value());
  }
  return n;
}

Result<RelationStep> Planner::relation(const RelationDef& rel, const ReadConfig& cfg) {
  RelationStep step;
  step.name = rel.name;
  step.many = rel.many;
  const TableDef& target = *schema_.table(rel.target);
  if (!rel.many && (cfg.limit || cfg.offset)) {
    return Error::query("limit and offset apply to many relations only", cfg.path);
  }
  if (rel.through) {
    auto j = junction_access(*rel.through, cfg.path);
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

Result<std::shared_ptr<const OrderPath>> Planner::order_path(const TableDef& table, const OrderKey& key) {
  auto path = std::make_shared<OrderPath>();
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
    path->steps.push_back(std::move(step).value());
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
  return std::shared_ptr<const OrderPath>(std::move(path));
}

std::shared_ptr<Driver> Planner::driver(const RelationDef& rel, std::optional<PlanFilter> related_filter, const std::string& path) {
  auto d = std::make_shared<Driver>();
  d->relation = rel.name;
  ReadConfig cfg;
  cfg.path = path;
  // The same rows the EXISTS probe would accept: the filter, the relation's where, the role's rule.
  auto n = node(*schema_.table(rel.target), cfg, {}, std::nullopt, std::move(related_filter), &rel);
  if (!n) return nullptr;  // the probe was planned already: keep it
  d->related = std::move(n).value();
  if (rel.through) {
    auto j = junction_access(*rel.through, rel.through->to, path);
    if (!j) return nullptr;
    d->junction = std::move(j).value();
    d->related_fields = paired(rel.through->to, rel.to, d->junction->key_fields);
  }
  return d;
}

namespace {

// Default selectivities, as System R's: an equality keeps 1/10 of the rows
// (1/n for a field of n known values), a range 1/3.
// Rows holding any of `values` in `field`, when the backend counts every one.
std::optional<uint64_t> counted_rows(const TableStats& stats, const TableDef& table, const std::string& field,
                                     const std::vector<Value>& values) {
  constexpr size_t kMaxProbes = 64;  // planning stays cheap for a long `in` list
  if (values.size() > kMaxProbes) return std::nullopt;
  uint64_t total = 0;
  for (const Value& v : values) {
    auto n = stats.value_count(table.name, field, v);
    if (!n) return std::nullopt;
    total += *n;
  }
  return total;
}

// The share of a table's `n` rows that comparison `c` keeps: counted where
// the backend counts values (equality, `in`, null tests and their negations
// on a field that leads an index, on the engine), else a guess: 1/10 for an
// equality or 1/k for a field of k known values, 1/3 for a range.
double selectivity(const TableStats& stats, const TableDef& table, const PlanFilter& c, uint64_t n) {
  if (c.kind != PlanFilter::Kind::cmp) return 1.0;
  if (n > 0) {
    const std::vector<Value> nulls{Value(nullptr), Value()};  // null, and the field missing
    std::vector<Value> values;
    switch (c.op) {
      case CmpOp::eq: case CmpOp::ne: values = {c.arg}; break;
      case CmpOp::in: case CmpOp::not_in:
        for (const Value& v : c.arg.as_array()) {
          if (!v.is_nullish()) values.push_back(v);
        }
        break;
      default: break;
    }
    auto share = [&](std::optional<uint64_t> rows) { return std::min(1.0, static_cast<double>(*rows) / static_cast<double>(n)); };
    switch (c.op) {
      case CmpOp::eq:
      case CmpOp::in:
        if (auto k = counted_rows(stats, table, c.field, values)) return share(k);
        break;
      case CmpOp::is_null:
        if (auto k = counted_rows(stats, table, c.field, nulls)) return share(k);
        break;
      case CmpOp::is_not_null:
        if (auto k = counted_rows(stats, table, c.field, nulls)) return 1.0 - share(k);
        break;
      case CmpOp::ne:
      case CmpOp::not_in: {
        // Neither the values nor null (SQL's unknown) pass.
        for (const Value& v : nulls) values.push_back(v);
        if (auto k = counted_rows(stats, table, c.field, values)) return 1.0 - share(k);
        break;
      }
      default: break;
    }
  }
  auto domain = finite_domain(table, c.field);
  double eq = domain ? 1.0 / static_cast<double>(domain->size()) : 0.1;
  switch (c.op) {
    case CmpOp::eq: return eq;
    case CmpOp::in: return std::min(1.0, eq * static_cast<double>(c.arg.as_array().size()));
    case CmpOp::is_null: return 0.1;
    case CmpOp::ne:
    case CmpOp::not_in: return 0.9;
    case CmpOp::gt: case CmpOp::gte: case CmpOp::lt: case CmpOp::lte: case CmpOp::between:
    case CmpOp::is_not_null: case CmpOp::like: case CmpOp::starts_with: return 1.0 / 3;
    default: return 1.0;
  }
}

// Without table sizes (Convex), only an equality or `in` on a field of
// unbounded domain (an id, a name) counts as selective.
bool selective_without_sizes(const TableDef& table, const TableAccess& a) {
  if (a.source.kind == Source::Kind::get || a.driver) return true;
  return std::any_of(a.served.begin(), a.served.end(), [&](const PlanFilter& c) {
    return c.kind == PlanFilter::Kind::cmp && (c.op == CmpOp::eq || c.op == CmpOp::in) && !finite_domain(table, c.field);
  });
}

}  // namespace

uint64_t Planner::matching_rows(const TableAccess& a) const {
  uint64_t n = estimated_rows(a.table);
  if (n == kUnbounded) return kUnbounded;
  if (a.source.kind == Source::Kind::get) return std::min<uint64_t>(n, a.source.ids.size());
  if (a.driver) return std::min(n, matching_rows(a.driver->related.access));
  const TableDef& table = *schema_.table(a.table);
  double sel = 1.0;
  for (const auto& c : a.served) sel *= selectivity(stats_, table, c, n);
  return static_cast<uint64_t>(std::ceil(static_cast<double>(n) * sel));
}

void Planner::drive(TableAccess& a, const TableDef& table, const std::vector<const PlanFilter*>& conj, const ReadConfig& cfg,
                    const std::vector<Drivable>& drivable) {
  uint64_t table_rows = estimated_rows(table.name);
  bool scan = a.source.kind == Source::Kind::full_scan;
  if (!scan && table_rows == kUnbounded) return;  // without sizes only a scan is worth replacing
  // The access reads its matching rows and probes the relation for each (at
  // least one read per probe that finds a row); with an early stop, only
  // until `need` rows pass the relation filter.
  uint64_t own_rows = scan ? table_rows : matching_rows(a);
  bool stops_early = !scan && a.limit && a.order_source != OrderSource::sort;
  uint64_t need = stops_early ? static_cast<uint64_t>(*a.limit + a.offset) : 0;
  auto own_cost = [&](uint64_t parent_keys) {
    uint64_t read = own_rows;
    if (stops_early && parent_keys > 0 && parent_keys != kUnbounded) {
      // The share of rows the relation filter keeps: the parents the related side reaches.
      read = std::min(read, sat_mul(need, table_rows) / std::min(parent_keys, table_rows));
    }
    return sat_add(read, read);
  };
  uint64_t scan_cost = own_cost(kUnbounded);
  std::shared_ptr<Driver> best;
  const Drivable* chosen = nullptr;
  uint64_t best_cost = kUnbounded;
  uint64_t best_own = scan_cost;
  for (const auto& d : drivable) {
    auto dr = driver(*d.rel, d.related_filter, d.path);
    if (!dr) continue;
    const TableAccess& ra = dr->related.access;
    if (ra.source.kind == Source::Kind::full_scan || ra.source.kind == Source::Kind::search) continue;  // nothing selective to start from
    uint64_t related = matching_rows(ra);
    uint64_t cost = kUnbounded;
    if (related == kUnbounded || table_rows == kUnbounded) {
      if (!selective_without_sizes(*schema_.table(ra.table), ra)) continue;
    } else {
      // The related rows, their links (a guess of two per row), one lookup per parent key.
      uint64_t keys = d.rel->through ? sat_mul(related, 2) : related;
      cost = sat_add(sat_add(related, d.rel->through ? keys : 0), keys);
      // Selectivities are guesses: drive only when the guess wins by half, so a
      // wrong one (a boolean true for most rows) still rarely reads more than the scan.
      uint64_t own = own_cost(keys);
      if (sat_mul(cost, 2) > own) continue;
      if (!best || cost < best_cost) best_own = own;
    }
    if (!best || cost < best_cost) {
      best = std::move(dr);
      best_cost = cost;
      chosen = &d;
    }
  }
  if (!best) return;
  const RelationDef& rel = *chosen->rel;
  std::vector<const PlanFilter*> rest_conj;
  for (size_t i = 0; i < conj.size(); ++i) {
    if (i != chosen->conjunct) rest_conj.push_back(conj[i]);  // the EXISTS holds by construction
  }
  AccessChoice lookup = choose_access(table, rest_conj, cfg.order_by, rel.from);
  a.key_fields = std::move(lookup.key_fields);
  a.source = std::move(lookup.source);
  a.order = std::move(lookup.order);
  a.user_order_keys = lookup.user_order_keys;
  if (a.order.empty()) a.order = effective_order({});  // the scan's order: the tie-breakers alone
  a.order_source = OrderSource::sort;  // rows come grouped by key
  a.warnings = std::move(lookup.warnings);
  a.served.clear();
  std::vector<PlanFilter> rest;
  for (const PlanFilter* c : rest_conj) {
    if (std::find(lookup.served.begin(), lookup.served.end(), c) != lookup.served.end()) a.served.push_back(*c);
    else rest.push_back(*c);
  }
  a.post_filter = and_of(std::move(rest));
  a.at_most_one_per_range = lookup.at_most_one_per_interval;
  if (rel.through) best->junction_fields = paired(rel.from, rel.through->from, a.key_fields);
  else best->related_fields = paired(rel.from, rel.to, a.key_fields);
  best->estimated_reads = best_cost;
  best->estimated_scan = best_own;
  a.driver = std::move(best);
}

Status Planner::plan_exists(PlanFilter& f) {
  if (f.kind == PlanFilter::Kind::exists) {
    ReadConfig cfg;
    cfg.limit = 1;  // one matching row answers EXISTS
    cfg.path = f.path;
    const TableDef& target = *schema_.table(f.relation_def->target);
    auto step = std::make_shared<RelationStep>();
    step->name = f.relation_def->name;
    step->many = f.relation_def->many;
    if (f.relation_def->through) {
      auto j = junction_access(*f.relation_def->through, f.path);
      if (!j) return std::move(j).error();
      step->junction = std::move(j).value();
      cfg.limit.reset();  // links are followed per parent; the target test stops at the first match
    }
    std::optional<PlanFilter> nested;
    if (!f.children.empty()) nested = std::move(f.children[0]);
    auto n = node(target, cfg, f.relation_def->to, std::nullopt, std::move(nested), f.relation_def);
    if (!n) return std::move(n).error();
    step->node = std::move(n).value();
    pair_keys(*step, *f.relation_def);
    f.relation = step;
    f.children.clear();
    return Ok{};
  }
  for (auto& c : f.children) {
    if (auto st = plan_exists(c); !st) return st;
  }
  return Ok{};
}

uint64_t Planner::estimate_access(TableAccess& a, uint64_t parents, bool is_lookup, int64_t extra_rows) {
  uint64_t table_rows = rows(a.table);
  uint64_t reads = table_rows;
  uint64_t intervals = std::max<uint64_t>(1, a.source.intervals.size());
  bool early_stop = a.limit && !a.post_filter &&
                    (a.order_source == OrderSource::none || a.order_source == OrderSource::index);
  uint64_t per_interval = early_stop ? static_cast<uint64_t>(*a.limit + a.offset + extra_rows) : kUnbounded;
  if (a.at_most_one_per_range) per_interval = 1;
  switch (a.source.kind) {
    case Source::Kind::empty: reads = 0; break;
    case Source::Kind::union_: {
      reads = 0;
      for (const Source& b : a.source.branches) {
        uint64_t branch = b.kind == Source::Kind::get ? b.ids.size() : sat_mul(std::max<size_t>(1, b.intervals.size()), kUnbounded);
        reads = sat_add(reads, std::min(table_rows, branch));
      }
      break;
    }
    case Source::Kind::get:
      reads = std::min(table_rows, is_lookup ? parents : static_cast<uint64_t>(a.source.ids.size()));
      break;
    case Source::Kind::search: reads = std::min<uint64_t>(table_rows, 1024); break;
    case Source::Kind::index:
    case Source::Kind::full_scan: {
      uint64_t lookups = is_lookup ? parents : 1;
      if (is_lookup && a.source.kind == Source::Kind::full_scan) {
        reads = table_rows;  // one scan, grouped by key
        break;
      }
      uint64_t per_lookup = sat_mul(intervals, per_interval);
      if (early_stop && intervals > 1 && a.order_source == OrderSource::index && !a.at_most_one_per_range) {
        per_lookup = std::min(per_lookup, sat_add(per_interval, intervals - 1));  // merged: one look-ahead per range
      }
      reads = std::min(table_rows, sat_mul(lookups, per_lookup));
      break;
    }
  }
  a.max_reads = reads;
  if (a.post_filter) reads = sat_add(reads, estimate_filter(*a.post_filter, reads));
  return reads;
}

uint64_t Planner::estimate_step(RelationStep& step, uint64_t parents) {
  uint64_t total = 0;
  uint64_t keys = parents;
  if (step.junction) {
    total = estimate_access(*step.junction, parents, true, 0);
    keys = step.junction->max_reads;
  }
  return sat_add(total, estimate(step.node, keys, true, 0));
}

uint64_t Planner::estimate_filter(PlanFilter& f, uint64_t parents) {
  if (f.kind == PlanFilter::Kind::exists && f.relation) return estimate_step(const_cast<RelationStep&>(*f.relation), parents);
  uint64_t total = 0;
  for (auto& c : f.children) total = sat_add(total, estimate_filter(c, parents));
  return total;
}

uint64_t Planner::estimate(ReadNode& n, uint64_t parents, bool is_lookup, int64_t extra_rows) {
  uint64_t reads = 0;
  if (n.access.driver) {
    // The related rows first, their links, then a lookup per key they give.
    auto& dr = const_cast<Driver&>(*n.access.driver);
    reads = estimate(dr.related, 1, false, 0);
    uint64_t keys = dr.related.access.max_reads;
    if (dr.junction) {
      reads = sat_add(reads, estimate_access(*dr.junction, keys, true, 0));
      keys = dr.junction->max_reads;
    }
    reads = sat_add(reads, estimate_access(n.access, keys, true, 0));
  } else {
    reads = estimate_access(n.access, parents, is_lookup, extra_rows);
  }
  if (reads > worst.reads || worst.path.empty()) {
    worst.reads = reads;
    worst.path = n.access.path.empty() ? "/where" : n.access.path;
    worst.hint = n.access.warnings.empty() ? "" : n.access.warnings.front();
  }
  uint64_t returned = n.access.max_reads;
  if (n.access.limit) {
    uint64_t per = static_cast<uint64_t>(*n.access.limit + extra_rows);
    returned = std::min(returned, sat_mul(is_lookup ? parents : 1, per));
  }
  for (auto& step : n.with) reads = sat_add(reads, estimate_step(step, returned));
  for (const auto& path : n.access.order_paths) {
    if (!path) continue;
    // Every row the access reads is sorted, so each one walks the relations.
    uint64_t keys = n.access.max_reads;
    for (auto& step : const_cast<OrderPath&>(*path).steps) {
      reads = sat_add(reads, estimate_step(step, keys));
      keys = step.node.access.max_reads;
    }
  }
  return reads;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

constexpr size_t kCursorDepth = 20;

Result<std::vector<Value>> decode_cursor(const std::string& cursor, const std::string& fingerprint) {
  std::string raw;
  auto bad = Error::query("invalid cursor: pass null or the continueCursor of the previous page of this query", "/cursor");
  if (!base64_decode(cursor, raw)) return bad;
  // The cursor comes back from the client: read it as the untrusted text it is.
  // Its sort keys are Convex values (at most 16 deep) inside {"q", "k": [...]}.
  auto parsed = read_json(raw, JsonLimits{kCursorDepth});
  if (!parsed) return bad;
  try {
    const Json& j = *parsed;
    if (!j.is_object() || j.value("q", std::string()) != fingerprint || !j.contains("k") || !j["k"].is_array()) return bad;
    std::vector<Value> key;
    for (const Json& e : j["k"]) {
      if (e.is_object() && e.size() == 1 && e.contains("$undefined")) {
        key.emplace_back();  // a missing field: sorts below null
        continue;
      }
      auto v = value_from_json(e, "/cursor");
      if (!v) return bad;
      key.push_back(std::move(v).value());
    }
    return key;
  } catch (const Json::exception&) {
    return bad;
  }
}

}  // namespace

std::string encode_cursor(const std::string& fingerprint, const std::vector<Value>& key) {
  std::string text = "{\"q\":";
  write_json_string(fingerprint, text);
  text += ",\"k\":[";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i) text += ",";
    // A missing field is not null: it sorts below null, so the next page must know.
    if (key[i].is_undefined()) text += R"({"$undefined":null})";
    else write_json(key[i], text);
  }
  text += "]}";
  return base64_encode(text);
}

namespace {

// Numbers every access of a plan once, in a fixed walk, so that a backend
// can report reads per access (explain's "analyze"). Parts shared through
// shared_ptr belong to this plan alone until it is published.
class AccessNumbering {
 public:
  uint32_t run(ReadNode& root) {
    node(root);
    return next_;
  }

 private:
  void access(TableAccess& a) {
    a.id = next_++;
    if (a.post_filter) filter(*a.post_filter);
    for (auto& f : a.served) filter(f);
    for (const auto& path : a.order_paths) {
      if (!path) continue;
      for (auto& s : const_cast<OrderPath&>(*path).steps) step(s);
    }
    if (a.driver) {
      auto& d = const_cast<Driver&>(*a.driver);
      node(d.related);
      if (d.junction) access(*d.junction);
    }
  }
  void filter(PlanFilter& f) {
    if (f.relation) step(const_cast<RelationStep&>(*f.relation));
    for (auto& c : f.children) filter(c);
  }
  void step(RelationStep& s) {
    if (s.junction) access(*s.junction);
    node(s.node);
  }
  void node(ReadNode& n) {
    access(n.access);
    for (auto& s : n.with) step(s);
  }
  uint32_t next_ = 0;
};

}  // namespace

Result<ReadPlan> plan_read(const ReadQuery& q, const Schema& schema, const TableStats& stats,
                           const PlannerOptions& options) {
  const TableDef* table = schema.table(q.table);
  if (!table) return Error::query("unknown table '" + q.table + "'", "/table");
  Planner planner(schema, stats, options.rules.get(), options.read_budget, options.answer_rows);
  if (q.op == ReadOp::paginate && static_cast<uint64_t>(q.num_items) > options.answer_rows) {
    return Error::query("numItems " + std::to_string(q.num_items) + " is over the answer's budget of " +
                            std::to_string(options.answer_rows) + " rows (--answer-rows)",
                        "/numItems");
  }
  if (options.rules && options.rules->max_limit && q.op == ReadOp::paginate && q.num_items > *options.rules->max_limit) {
    return forbidden("numItems " + std::to_string(q.num_items) + " is over the maxLimit of role '" + options.rules->role + "' (" +
                         std::to_string(*options.rules->max_limit) + ")",
                     "/numItems");
  }
  ReadPlan plan;
  plan.op = q.op;
  plan.budget = options.read_budget;
  plan.answer_rows = options.answer_rows;
  plan.answer_bytes = options.answer_bytes;
  plan.num_items = q.num_items;
  if (q.op == ReadOp::paginate && q.search) {
    return Error::query("paginate with search is not supported yet; use findMany with limit", "/search");
  }
  if (q.op == ReadOp::paginate) {
    for (const auto& k : q.config.order_by) {
      if (!k.on_row()) {
        return Error::query("paginate cannot order by related rows: a cursor holds the last row's own fields; use findMany with limit and offset",
                            k.path);
      }
    }
  }
  if (q.op == ReadOp::paginate) planner.set_paginated(&q.config);
  auto root = planner.node(*table, q.config, {}, q.search);
  if (!root) return std::move(root).error();
  plan.root = std::move(root).value();
  plan.accesses = AccessNumbering().run(plan.root);
  if (q.op == ReadOp::paginate) {
    // Paginate needs a total order so that pages neither skip nor repeat rows.
    TableAccess& a = plan.root.access;
    if (a.order.empty() && a.source.kind != Source::Kind::search) {
      a.order = effective_order({});
      bool served = a.source.kind == Source::Kind::full_scan ||
                    (a.source.kind == Source::Kind::index && a.source.intervals.size() <= 1 &&
                     a.source.index == kByCreationTime);
      a.order_source = served ? OrderSource::index : OrderSource::sort;
    }
  }
  if (q.op == ReadOp::paginate) {
    // Cursors are only valid for the query shape they came from.
    plan.fingerprint = std::to_string(fnv1a(plan_node_to_json(plan.root).dump()));
  }
  if (q.cursor) {
    auto after = decode_cursor(*q.cursor, plan.fingerprint);
    if (!after) return std::move(after).error();
    plan.after = std::move(after).value();
  }
  int64_t extra = 0;
  if (q.op == ReadOp::paginate) {
    plan.root.access.limit = q.num_items;
    extra = 1;  // one more row tells whether the page is the last
  }
  plan.max_reads = planner.estimate(plan.root, 1, false, extra);
  if (q.op == ReadOp::paginate) plan.root.access.limit.reset();
  auto collect = [&](auto& self, const ReadNode& n) -> void {
    for (const auto& w : n.access.warnings) plan.warnings.push_back(n.access.table + ": " + w);
    auto step_warnings = [&](const RelationStep& s) {
      if (s.junction) {
        for (const auto& w : s.junction->warnings) plan.warnings.push_back(s.junction->table + ": " + w);
      }
      self(self, s.node);
    };
    for (const auto& s : n.with) step_warnings(s);
    if (const auto& dr = n.access.driver) {
      if (dr->junction) {
        for (const auto& w : dr->junction->warnings) plan.warnings.push_back(dr->junction->table + ": " + w);
      }
      self(self, dr->related);
    }
    for (const auto& path : n.access.order_paths) {
      if (!path) continue;
      for (const auto& s : path->steps) step_warnings(s);
    }
  };
  collect(collect, plan.root);
  if (plan.max_reads == kUnbounded && planner.unknown_sizes) {
    // No bound can be proven without table sizes; the backend counts reads
    // while the plan runs and fails it past the budget instead.
    plan.warnings.push_back("table sizes are unknown to this backend: the read budget of " + std::to_string(plan.budget) +
                            " is enforced while the plan runs");
  } else if (plan.max_reads > plan.budget) {
    std::string reads = plan.max_reads == kUnbounded ? "an unbounded number of" : "up to " + std::to_string(plan.max_reads);
    std::string msg = "query may read " + reads + " documents, over the read budget of " + std::to_string(plan.budget);
    if (!planner.worst.hint.empty()) msg += "; " + planner.worst.hint;
    return Error::query(msg, planner.worst.path);
  }
  return plan;
}

}  // namespace dc
