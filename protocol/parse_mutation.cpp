#include "protocol/parse_mutation.hpp"

namespace dc {

std::string_view mutation_kind_name(MutationOp::Kind k) {
  switch (k) {
    case MutationOp::Kind::insert: return "insert";
    case MutationOp::Kind::update: return "update";
    case MutationOp::Kind::delete_: return "delete";
  }
  return "?";
}

bool is_mutation_op(std::string_view op) {
  return op == "insert" || op == "update" || op == "delete" || op == "transaction";
}

namespace {

Result<Returning> parse_returning(const Json& j, const std::string& path) {
  Returning r;
  if (j.is_boolean()) {
    r.enabled = j.get<bool>();
    return r;
  }
  if (!j.is_object()) return Error::query("returning is true or a columns object", path);
  auto cols = parse_columns(j, path, "returning");
  if (!cols) return std::move(cols).error();
  r.enabled = true;
  r.columns = std::move(cols).value();
  return r;
}

Result<std::vector<FieldAssignment>> parse_set(const Json& j, const std::string& path) {
  if (!j.is_object() || j.empty()) return Error::query("set must be a non-empty object of field: value", path);
  std::vector<FieldAssignment> out;
  for (const auto& [k, v] : j.items()) {
    std::string p = pointer_append(path, k);
    if (k.empty()) return Error::query("empty field name", p);
    if (v.is_object() && v.size() == 1 && v.contains("$unset")) {
      if (v["$unset"] != true) return Error::query("$unset takes true", pointer_append(p, "$unset"));
      out.push_back(FieldAssignment{k, std::nullopt, p});
      continue;
    }
    auto value = value_from_json(v, p, ErrorCode::invalid_value);
    if (!value) return std::move(value).error();
    out.push_back(FieldAssignment{k, std::move(value).value(), p});
  }
  return out;
}

Result<MutationOp> parse_op(const Json& j, const RelationResolver& schema, const ParseLimits& limits,
                            const std::string& path) {
  if (!j.is_object()) return Error::query("a mutation must be a JSON object", path);
  MutationOp op;
  op.path = path;
  auto opj = j.find("op");
  if (opj == j.end() || !opj->is_string()) return Error::query("'op' must be insert, update, delete or transaction", path + "/op");
  const std::string& name = opj->get_ref<const std::string&>();
  if (name == "insert") op.kind = MutationOp::Kind::insert;
  else if (name == "update") op.kind = MutationOp::Kind::update;
  else if (name == "delete") op.kind = MutationOp::Kind::delete_;
  else return Error::query("unknown mutation op '" + name + "'", path + "/op");
  auto table = j.find("table");
  if (table == j.end() || !table->is_string()) return Error::query("'table' must name a table", path + "/table");
  op.table = table->get<std::string>();
  if (!schema.has_table(op.table)) return Error::query("unknown table '" + op.table + "'", path + "/table");

  bool has_where = false;
  for (const auto& [key, val] : j.items()) {
    std::string p = pointer_append(path, key);
    if (key == "op" || key == "table") continue;
    if (key == "returning") {
      auto r = parse_returning(val, p);
      if (!r) return std::move(r).error();
      op.returning = std::move(r).value();
    } else if (key == "values" && op.kind == MutationOp::Kind::insert) {
      auto add = [&](const Json& row, const std::string& rp) -> Status {
        if (!row.is_object()) return Error{ErrorCode::invalid_value, "a row must be an object", rp};
        auto v = value_from_json(row, rp, ErrorCode::invalid_value);
        if (!v) return std::move(v).error();
        op.values.push_back(std::move(v).value());
        op.value_paths.push_back(rp);
        return Ok{};
      };
      if (val.is_array()) {
        if (val.empty()) return Error::query("values must hold at least one row", p);
        if (val.size() > 16000) return Error::query("at most 16,000 rows per insert (Convex's write limit)", p);
        for (size_t i = 0; i < val.size(); ++i) {
          if (auto st = add(val[i], pointer_append(p, i)); !st) return std::move(st).error();
        }
      } else {
        if (auto st = add(val, p); !st) return std::move(st).error();
      }
    } else if (key == "onConflict" && op.kind == MutationOp::Kind::insert) {
      if (!val.is_object()) return Error::query("onConflict is {target, do, set?}", p);
      OnConflict oc;
      oc.path = p;
      for (const auto& [k, v] : val.items()) {
        std::string kp = pointer_append(p, k);
        if (k == "target") {
          if (v.is_string()) {
            oc.target.push_back(v.get<std::string>());
          } else if (v.is_array() && !v.empty()) {
            for (size_t i = 0; i < v.size(); ++i) {
              if (!v[i].is_string()) return Error::query("target names fields", pointer_append(kp, i));
              oc.target.push_back(v[i].get<std::string>());
            }
          } else {
            return Error::query("target is a field name or a list of them", kp);
          }
        } else if (k == "do") {
          if (v == "nothing") oc.do_update = false;
          else if (v == "update") oc.do_update = true;
          else return Error::query("do is \"nothing\" or \"update\"", kp);
        } else if (k == "set") {
          auto s = parse_set(v, kp);
          if (!s) return std::move(s).error();
          oc.set = std::move(s).value();
        } else {
          return Error::query("unknown key '" + k + "' in onConflict", kp);
        }
      }
      if (oc.target.empty()) return Error::query("onConflict needs a target (a unique constraint)", p + "/target");
      if (!val.contains("do")) return Error::query("onConflict needs do", p + "/do");
      if (oc.do_update && oc.set.empty()) return Error::query("do: update needs set", p + "/set");
      if (!oc.do_update && !oc.set.empty()) return Error::query("set goes with do: update", p + "/set");
      op.on_conflict = std::move(oc);
    } else if (key == "set" && op.kind == MutationOp::Kind::update) {
      auto s = parse_set(val, p);
      if (!s) return std::move(s).error();
      op.set = std::move(s).value();
    } else if (key == "where" && op.kind != MutationOp::Kind::insert) {
      has_where = true;
      auto f = parse_filter(val, op.table, schema, limits, p);
      if (!f) return std::move(f).error();
      op.where = std::move(f).value();
    } else {
      return Error::query("'" + key + "' is not allowed in " + name, p);
    }
  }
  if (op.kind == MutationOp::Kind::insert && op.values.empty()) return Error::query("insert needs values", path + "/values");
  if (op.kind == MutationOp::Kind::update && op.set.empty()) return Error::query("update needs set", path + "/set");
  if (op.kind != MutationOp::Kind::insert && !has_where) {
    return Error::query(name + " needs a where; use \"where\": {} to touch every row", path + "/where");
  }
  return op;
}

}  // namespace

Result<Mutation> parse_mutation(const Json& j, const RelationResolver& schema, const ParseLimits& limits) {
  if (!j.is_object()) return Error::query("a mutation must be a JSON object", "");
  Mutation m;
  if (j.value("op", Json()) == "transaction") {
    m.transaction = true;
    for (const auto& [key, val] : j.items()) {
      if (key != "op" && key != "ops") return Error::query("'" + key + "' is not allowed in transaction", pointer_append("", key));
    }
    auto ops = j.find("ops");
    if (ops == j.end() || !ops->is_array() || ops->empty()) return Error::query("transaction needs a non-empty ops array", "/ops");
    if (ops->size() > 1000) return Error::query("at most 1,000 ops in one transaction", "/ops");
    for (size_t i = 0; i < ops->size(); ++i) {
      std::string p = pointer_append("/ops", i);
      if ((*ops)[i].is_object() && (*ops)[i].value("op", Json()) == "transaction") {
        return Error::query("transactions do not nest", p + "/op");
      }
      auto op = parse_op((*ops)[i], schema, limits, p);
      if (!op) return std::move(op).error();
      m.ops.push_back(std::move(op).value());
    }
    return m;
  }
  auto op = parse_op(j, schema, limits, "");
  if (!op) return std::move(op).error();
  m.ops.push_back(std::move(op).value());
  return m;
}

}  // namespace dc
