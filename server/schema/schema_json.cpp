#include "server/schema/schema_json.hpp"

#include "server/schema/field_default.hpp"

namespace dc {

namespace {

// A field is declared integral where its value may be a float64 (itself, a
// union's member, an array's element): the loader marks them all together.
bool integral(const Validator& v) {
  if (v.kind == Validator::Kind::float64) return v.integer;
  if (v.kind == Validator::Kind::union_ || v.kind == Validator::Kind::array) {
    for (const auto& m : v.items) {
      if (integral(m)) return true;
    }
  }
  return false;
}

}  // namespace

Json validator_to_json(const Validator& v) {
  Json j = Json::object();
  switch (v.kind) {
    case Validator::Kind::null_: j["type"] = "null"; break;
    case Validator::Kind::float64: j["type"] = "number"; break;
    case Validator::Kind::int64: j["type"] = "bigint"; break;
    case Validator::Kind::boolean: j["type"] = "boolean"; break;
    case Validator::Kind::string: j["type"] = "string"; break;
    case Validator::Kind::bytes: j["type"] = "bytes"; break;
    case Validator::Kind::any: j["type"] = "any"; break;
    case Validator::Kind::literal:
      j["type"] = "literal";
      j["value"] = to_json(v.literal);
      break;
    case Validator::Kind::id:
      j["type"] = "id";
      j["tableName"] = v.table;
      break;
    case Validator::Kind::array:
      j["type"] = "array";
      j["value"] = validator_to_json(v.items[0]);
      break;
    case Validator::Kind::object: {
      j["type"] = "object";
      Json fields = Json::object();
      for (const auto& f : v.fields) {
        Json fj{{"fieldType", validator_to_json(f.type)}, {"optional", f.optional}};
        if (integral(f.type)) fj["integer"] = true;
        if (f.default_value) fj["default"] = field_default_to_json(*f.default_value);
        if (f.on_update) fj["onUpdate"] = field_default_to_json(*f.on_update);
        fields[f.name] = std::move(fj);
      }
      j["value"] = std::move(fields);
      break;
    }
    case Validator::Kind::record:
      j["type"] = "record";
      j["keys"] = validator_to_json(v.items[0]);
      j["values"] = Json{{"fieldType", validator_to_json(v.items[1])}, {"optional", false}};
      break;
    case Validator::Kind::union_: {
      j["type"] = "union";
      Json members = Json::array();
      for (const auto& m : v.items) members.push_back(validator_to_json(m));
      j["value"] = std::move(members);
      break;
    }
  }
  return j;
}

Json fields_json(const FieldList& f) { return f.size() == 1 ? Json(f[0]) : Json(f); }

Json schema_to_json(const Schema& s) {
  Json tables = Json::object();
  for (const auto& [name, t] : s.tables) {
    Json indexes = Json::array();
    for (const auto& i : t.indexes) {
      if (i.name == kByCreationTime) continue;  // implicit, as in Convex's export
      indexes.push_back(Json{{"indexDescriptor", i.name}, {"fields", i.fields}});
    }
    Json search = Json::array();
    for (const auto& i : t.search_indexes) {
      search.push_back(Json{{"indexDescriptor", i.name}, {"searchField", i.search_field}, {"filterFields", i.filter_fields}});
    }
    tables[name] = Json{{"documentType", validator_to_json(t.document)},
                        {"indexes", std::move(indexes)},
                        {"searchIndexes", std::move(search)},
                        {"unique", t.unique}};
  }
  Json relations = Json::object();
  for (const auto& [table, defs] : s.relations) {
    Json rj = Json::object();
    for (const auto& r : defs) {
      Json d = Json::object();
      d[r.many ? "many" : "one"] = r.target;
      d["from"] = fields_json(r.from);
      d["to"] = fields_json(r.to);
      if (r.through) {
        d["through"] = Json{{"table", r.through->table}, {"from", fields_json(r.through->from)}, {"to", fields_json(r.through->to)}};
      }
      if (r.on_delete) {
        d["onDelete"] = *r.on_delete == OnDelete::cascade ? "cascade" : *r.on_delete == OnDelete::set_null ? "setNull" : "restrict";
      }
      if (r.where) d["where"] = r.where_json;
      if (!r.many && !r.optional) d["optional"] = false;
      if (r.inferred) d["inferred"] = true;
      rj[r.name] = std::move(d);
    }
    relations[table] = std::move(rj);
  }
  return Json{{"tables", std::move(tables)}, {"relations", std::move(relations)}};
}

}  // namespace dc
