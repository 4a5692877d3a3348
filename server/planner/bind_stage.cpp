// Bind: a request part checked against the schema and the caller's rules
// (tables, columns, limits, nesting), its filter bound and normalized with
// the relation's and the role's rows ANDed in before any access is chosen.
#include <algorithm>

#include "server/planner/binder.hpp"
#include "server/planner/filter_normalize.hpp"
#include "server/planner/planner_stages.hpp"

namespace dc {

std::optional<PlanFilter> and_of(std::vector<PlanFilter> parts) {
  if (parts.empty()) return std::nullopt;
  if (parts.size() == 1) return std::move(parts[0]);
  PlanFilter f;
  f.kind = PlanFilter::Kind::and_;
  f.children = std::move(parts);
  return f;
}

void and_into(std::optional<PlanFilter>& where, PlanFilter extra) {
  std::vector<PlanFilter> both;
  if (where) both.push_back(std::move(*where));
  both.push_back(std::move(extra));
  where = normalize_filter(and_of(std::move(both)).value_or(PlanFilter{}));
}

Error forbidden(std::string message, std::string path) { return Error{ErrorCode::forbidden, std::move(message), std::move(path)}; }

namespace {

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

Status check_columns(const TableDef& table, const ColumnSelection& cols) {
  for (size_t i = 0; i < cols.fields.size(); ++i) {
    const auto& f = cols.fields[i];
    if (f.find('.') != std::string::npos || !table.field_type(f)) {
      return Error::query("unknown column '" + f + "' on table '" + table.name + "'", cols.paths[i]);
    }
  }
  return Ok{};
}

}  // namespace

Result<const TableReadRule*> Planner::read_rule(const TableDef& table, const std::string& path) const {
  auto it = rules_->tables.find(table.name);
  if (it == rules_->tables.end()) {
    return forbidden("role '" + rules_->role + "' may not read table '" + table.name + "'", path.empty() ? "/table" : path);
  }
  if (it->second.refusal) {
    return forbidden("role '" + rules_->role + "' may not read table '" + table.name + "': " + *it->second.refusal, path.empty() ? "/table" : path);
  }
  return &it->second;
}

Result<std::optional<PlanFilter>> Planner::role_filter(const TableDef& table, const TableReadRule& rule) const {
  if (!rule.filter) return std::optional<PlanFilter>();
  auto b = bind_filter(*rule.filter, schema_, table);
  if (!b) {
    return Error{ErrorCode::internal, "the select filter of role '" + rules_->role + "' on '" + table.name + "' does not bind: " + b.error().message,
                 std::nullopt};
  }
  return std::optional<PlanFilter>(normalize_filter(std::move(b).value()));
}

Result<BoundNode> Planner::bind(const TableDef& table, const ReadConfig& cfg, const FieldList& key_fields,
                                std::optional<PlanFilter> bound, const RelationDef* via) {
  BoundNode out;
  ReadNode& n = out.node;
  n.access.table = table.name;
  n.access.key_fields = key_fields;
  n.access.path = cfg.path;
  if (auto st = check_columns(table, cfg.columns); !st) return std::move(st).error();
  n.columns = cfg.columns;
  for (const auto& k : cfg.order_by) {
    if (!k.on_row()) continue;  // planned through its relations
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
  std::optional<PlanFilter>& where = out.where;
  where = std::move(bound);
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
  return out;
}

}  // namespace dc
