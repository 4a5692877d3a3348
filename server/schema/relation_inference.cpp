#include "server/schema/relation_inference.hpp"

#include <map>

namespace dc {

namespace {

// The target table when `v` is v.id(t), optional or unioned with null.
const Validator* id_of(const Validator& v) {
  if (v.kind == Validator::Kind::id) return &v;
  if (v.kind == Validator::Kind::union_) {
    const Validator* found = nullptr;
    for (const auto& m : v.items) {
      if (m.kind == Validator::Kind::null_) continue;
      if (m.kind != Validator::Kind::id || found) return nullptr;
      found = &m;
    }
    return found;
  }
  return nullptr;
}

bool name_taken(const Schema& s, const std::string& table, const std::string& name) {
  return s.table(table)->field_type(name) != nullptr || s.relation(table, name) != nullptr;
}

bool covered(const Schema& s, const std::string& table, const std::string& field) {
  auto it = s.relations.find(table);
  if (it == s.relations.end()) return false;
  for (const auto& r : it->second) {
    if (r.from == FieldList{field} && !r.through) return true;
  }
  return false;
}

}  // namespace

void infer_relations(Schema& schema) {
  struct Candidate {
    std::string table, field, target;
  };
  std::vector<Candidate> found;
  for (const auto& [name, t] : schema.tables) {
    if (t.document.kind != Validator::Kind::object) continue;
    for (const auto& f : t.document.fields) {
      if (const Validator* id = id_of(f.type)) found.push_back({name, f.name, id->table});
    }
  }
  // An inverse is ambiguous when the target is referenced twice from one table.
  std::map<std::pair<std::string, std::string>, int> refs;
  for (const auto& c : found) ++refs[{c.target, c.table}];

  for (const auto& c : found) {
    if (covered(schema, c.table, c.field)) continue;
    std::string one = c.field;
    if (one.size() > 2 && one.ends_with("Id")) one.resize(one.size() - 2);
    else continue;  // no natural name
    if (!name_taken(schema, c.table, one)) {
      RelationDef r;
      r.name = one;
      r.target = c.target;
      r.from = {c.field};
      r.to = {"_id"};
      r.inferred = true;
      schema.relations[c.table].push_back(std::move(r));
    }
    if (refs[{c.target, c.table}] != 1) continue;
    bool inverse_declared = false;
    if (auto it = schema.relations.find(c.target); it != schema.relations.end()) {
      for (const auto& r : it->second) {
        if (r.target == c.table && r.to == FieldList{c.field}) inverse_declared = true;
      }
    }
    if (inverse_declared || name_taken(schema, c.target, c.table)) continue;
    RelationDef inv;
    inv.name = c.table;
    inv.many = true;
    inv.target = c.table;
    inv.from = {"_id"};
    inv.to = {c.field};
    inv.inferred = true;
    schema.relations[c.target].push_back(std::move(inv));
  }
}

}  // namespace dc
