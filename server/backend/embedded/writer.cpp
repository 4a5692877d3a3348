#include "server/backend/embedded/writer.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/filter_eval.hpp"
#include "server/schema/validate.hpp"

namespace dc {

namespace {

Error conflict(std::string message, const std::string& path) {
  return Error{ErrorCode::conflict, std::move(message), path};
}

std::string list(const std::vector<std::string>& fields) {
  std::string s;
  for (const auto& f : fields) s += (s.empty() ? "" : ", ") + f;
  return s;
}

Object user_fields(const Document& d) {
  Object out;
  for (const auto& [k, v] : d.value.as_object()) {
    if (k != "_id" && k != "_creationTime") out.emplace_back(k, v);
  }
  return out;
}

DocPtr make_doc(const std::string& id, double creation_time, Object fields) {
  auto d = std::make_shared<Document>();
  d->id = id;
  d->creation_time = creation_time;
  Object full;
  full.emplace_back("_id", Value(id));
  full.emplace_back("_creationTime", Value(creation_time));
  for (auto& f : fields) full.push_back(std::move(f));
  d->value = Value(std::move(full));
  return d;
}

// Checks and upsert filters use no relation filters (the planner refuses them).
const ExistsFn& no_relations() {
  static const ExistsFn none = [](const RelationStep&, const Value&) { return false; };
  return none;
}

// A written row against a rule's check (auth.md: one violation refuses the
// whole request; the caller rolls back). Checks use no relation filters.
Status check_row(const std::optional<PlanFilter>& check, const Document& d, const std::string& role, const std::string& table,
                 const std::string& path) {
  if (!check) return Ok{};
  if (eval_filter(*check, d.value, no_relations()) == Truth::true_) return Ok{};
  return Error{ErrorCode::forbidden, "the row written to '" + table + "' does not pass the check of role '" + role + "'", path};
}

}  // namespace

void Writer::put(Table& table, DocPtr before, DocPtr after) {
  // Room first: the push below cannot throw once the store has the change.
  if (undo_.size() == undo_.capacity()) undo_.reserve(std::max<size_t>(8, undo_.capacity() * 2));
  store_.put(table, before, after);
  undo_.push_back(Undo{&table, std::move(before), std::move(after)});
}

void Writer::rollback() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) store_.put(*it->table, it->after, it->before);
  undo_.clear();
}

std::vector<Change> Writer::changes() const {
  std::vector<Change> out;
  std::map<std::pair<std::string, std::string>, size_t> pos;
  for (const auto& u : undo_) {
    const DocPtr& any = u.after ? u.after : u.before;
    auto key = std::make_pair(u.table->def().name, any->id);
    auto [it, fresh] = pos.emplace(key, out.size());
    if (fresh) out.push_back(Change{key.first, key.second, u.after, u.before});
    else out[it->second].after = u.after;
  }
  return out;
}

double Writer::next_creation_time() {
  double now = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  return store_.next_creation_time(now);
}

std::vector<DocPtr> Writer::find_equal(const Table& table, const std::vector<std::string>& fields,
                                       const std::vector<Value>& values) {
  // The index with the longest prefix among `fields`; the rest is checked per row.
  const IndexDef* best = nullptr;
  size_t best_len = 0;
  for (const auto& idx : table.def().indexes) {
    size_t n = 0;
    while (n < idx.fields.size() && std::find(fields.begin(), fields.end(), idx.fields[n]) != fields.end()) ++n;
    if (n > best_len) {
      best = &idx;
      best_len = n;
    }
  }
  auto matches = [&](const Document& d) {
    for (size_t i = 0; i < fields.size(); ++i) {
      const Value* v = lookup_path(d.value, fields[i]);
      if (!v || compare(*v, values[i]) != 0) return false;
    }
    return true;
  };
  std::vector<DocPtr> out;
  auto visit = [&](const DocPtr& d) {
    ++reads_;
    if (matches(*d)) out.push_back(d);
    return true;
  };
  if (best) {
    std::vector<Value> prefix;
    for (size_t i = 0; i < best_len; ++i) {
      auto at = std::find(fields.begin(), fields.end(), best->fields[i]) - fields.begin();
      prefix.push_back(values[static_cast<size_t>(at)]);
    }
    table.index(best->name)->scan(Interval{Bound{prefix, true}, Bound{prefix, true}}, false, visit);
  } else {
    table.scan_all(visit);
  }
  return out;
}

const TableRules& Writer::rules(const Table& table) const {
  static const TableRules none;
  auto it = plan_->rules->find(table.def().name);
  return it == plan_->rules->end() ? none : it->second;
}

Status Writer::check_unique(Table& table, const Document& doc, const std::string& path) {
  for (const auto& u : rules(table).unique) {
    std::vector<Value> values;
    bool has_null = false;
    for (const auto& f : u) {
      const Value* v = lookup_path(doc.value, f);
      if (!v || v->is_nullish()) has_null = true;  // SQL: NULLs never conflict
      values.push_back(v ? *v : Value());
    }
    if (has_null) continue;
    for (const auto& other : find_equal(table, u, values)) {
      if (other->id != doc.id) {
        return conflict("unique constraint " + table.def().name + "(" + list(u) + ") is violated: " +
                            (plan_->name_rows ? "row " + other->id : std::string("another row")) + " has the same values",
                        pointer_append(path, u[0]));
      }
    }
  }
  return Ok{};
}

Status Writer::check_references(const Table& table, const Document& doc, const std::string& path) {
  for (const auto& ref : rules(table).references) {
    const Value* v = doc.value.field(ref.field);
    if (!v || !v->is_string()) continue;
    const Table* t = store_.table(ref.target);
    ++reads_;
    if (!t || !t->get(v->as_string())) {
      return Error{ErrorCode::invalid_value, "no row of '" + ref.target + "' has _id '" + v->as_string() + "'",
                   pointer_append(path, ref.field)};
    }
  }
  return Ok{};
}

Result<DocPtr> Writer::insert_row(Table& table, const Value& fields, const std::string& path) {
  std::string id = ids_.next(table.number());
  while (table.get(id)) id = ids_.next(table.number());  // 128 random bits: a repeat means a reused seed
  DocPtr d = make_doc(id, next_creation_time(), fields.as_object());
  if (auto st = check_references(table, *d, path); !st) return std::move(st).error();
  if (auto st = check_unique(table, *d, path); !st) return std::move(st).error();
  put(table, nullptr, d);
  return d;
}

Result<DocPtr> Writer::update_row(Table& table, const DocPtr& row, const std::vector<FieldAssignment>& set,
                                  const std::string& path) {
  Value fields(user_fields(*row));
  for (const auto& a : set) {
    if (a.value) {
      fields.set_field(a.field, *a.value);
    } else {
      auto& obj = fields.as_object();
      std::erase_if(obj, [&](const auto& kv) { return kv.first == a.field; });
    }
  }
  if (auto st = validate_document(table.def(), fields, path); !st) return std::move(st).error();
  DocPtr d = make_doc(row->id, row->creation_time, std::move(fields).as_object());
  if (auto st = check_references(table, *d, path); !st) return std::move(st).error();
  if (auto st = check_unique(table, *d, path); !st) return std::move(st).error();
  put(table, row, d);
  return d;
}

Status Writer::delete_row(Table& table, const DocPtr& row, const std::string& path, int depth) {
  if (!table.get(row->id)) return Ok{};  // already removed by an earlier cascade
  if (depth > 64) return conflict("onDelete rules nest deeper than 64 levels", path);
  put(table, row, nullptr);
  for (const ReferenceRule& r : rules(table).on_delete) {
    const Value* key = lookup_path(row->value, r.to);
    if (!key || key->is_nullish()) continue;
    Table& child = *store_.table(r.table);
    for (const auto& ref : find_equal(child, {r.field}, {*key})) {
      if (!child.get(ref->id)) continue;
      switch (r.rule) {
        case OnDelete::restrict_:
          if (!plan_->name_rows) {
            return conflict("cannot delete a row of " + table.def().name + ": a row of " + r.table + " references it through '" +
                                r.field + "' (onDelete: restrict)",
                            path);
          }
          return conflict("cannot delete " + table.def().name + " " + row->id + ": " + r.table + " " + ref->id +
                              " references it through '" + r.field + "' (onDelete: restrict)",
                          path);
        case OnDelete::cascade:
          if (auto st = delete_row(child, ref, path, depth + 1); !st) return st;
          break;
        case OnDelete::set_null: {
          Value fields(user_fields(*ref));
          if (r.nullable) {
            fields.set_field(r.field, Value(nullptr));
          } else {
            std::erase_if(fields.as_object(), [&](const auto& kv) { return kv.first == r.field; });
          }
          DocPtr updated = make_doc(ref->id, ref->creation_time, std::move(fields).as_object());
          // The field may be required (setNull declared on a required reference): validate like any write.
          Value user(user_fields(*updated));
          if (auto st = validate_document(child.def(), user, path); !st) {
            return conflict("cannot set " + r.table + "." + r.field + " to null: " + st.error().message, path);
          }
          put(child, ref, updated);
          break;
        }
      }
    }
  }
  return Ok{};
}

Result<Value> Writer::apply(const MutationStep& step, uint64_t budget) {
  Table& table = *store_.table(step.table);
  std::vector<DocPtr> affected;
  std::vector<std::string> ids;
  size_t count = 0;
  switch (step.kind) {
    case MutationOp::Kind::insert:
      for (size_t i = 0; i < step.rows.size(); ++i) {
        const std::string& path = step.row_paths[i];
        if (step.conflict_target) {
          std::vector<Value> values;
          bool has_null = false;
          for (const auto& f : *step.conflict_target) {
            const Value* v = step.rows[i].field(f);
            has_null = has_null || !v || v->is_nullish();
            values.push_back(v ? *v : Value());
          }
          std::vector<DocPtr> existing;
          if (!has_null) existing = find_equal(table, *step.conflict_target, values);
          if (!existing.empty()) {
            if (!step.conflict_update) continue;  // do nothing: not inserted, not counted
            if (step.update_filter && eval_filter(*step.update_filter, existing[0]->value, no_relations()) != Truth::true_) {
              return Error{ErrorCode::forbidden,
                           "the row of '" + step.table + "' this insert conflicts with is outside what role '" + plan_->role + "' may update",
                           path};
            }
            auto d = update_row(table, existing[0], step.conflict_set, path);
            if (!d) return std::move(d).error();
            if (auto st = check_row(step.update_check, **d, plan_->role, step.table, path); !st) return std::move(st).error();
            affected.push_back(*d);
            ++count;
            continue;
          }
        }
        auto d = insert_row(table, step.rows[i], path);
        if (!d) return std::move(d).error();
        if (auto st = check_row(step.check, **d, plan_->role, step.table, path); !st) return std::move(st).error();
        ids.push_back((*d)->id);
        affected.push_back(*d);
        ++count;
      }
      break;
    case MutationOp::Kind::update:
    case MutationOp::Kind::delete_: {
      Executor ex(store_, budget, limits_);
      auto rows = ex.rows(*step.target);
      reads_ += ex.docs_read();
      if (!rows) return std::move(rows).error();
      for (const auto& row : *rows) {
        if (step.kind == MutationOp::Kind::update) {
          auto d = update_row(table, row, step.set, step.path + "/set");
          if (!d) return std::move(d).error();
          if (auto st = check_row(step.check, **d, plan_->role, step.table, step.path + "/set"); !st) return std::move(st).error();
          affected.push_back(*d);
        } else {
          if (!table.get(row->id)) continue;
          if (auto st = delete_row(table, row, step.path + "/where", 0); !st) return std::move(st).error();
          affected.push_back(row);
        }
        ++count;
      }
      break;
    }
  }
  if (step.returning.enabled) {
    Array out;
    for (const auto& d : affected) out.push_back(project(*d, step.returning.columns));
    return Value(std::move(out));
  }
  Object o;
  o.emplace_back("rowsAffected", Value(static_cast<double>(count)));
  if (step.kind == MutationOp::Kind::insert) {
    Array a;
    for (auto& id : ids) a.emplace_back(std::move(id));
    o.emplace_back("ids", Value(std::move(a)));
  }
  return Value(std::move(o));
}

Result<Value> Writer::run(const MutationPlan& plan) {
  plan_ = &plan;
  Array results;
  for (const auto& step : plan.steps) {
    auto r = apply(step, plan.budget);
    if (!r) {
      rollback();
      return std::move(r).error();
    }
    results.push_back(std::move(r).value());
  }
  if (!plan.transaction) return std::move(results[0]);
  return Value(std::move(results));
}

}  // namespace dc
