#include "server/schema/load.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "server/schema/comparison.hpp"
#include "server/schema/field_default.hpp"
#include "server/schema/relation_inference.hpp"

namespace dc {

namespace {

Error schema_error(std::string message, std::string path) {
  return Error{ErrorCode::invalid_query, "schema: " + std::move(message), std::move(path)};
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Unknown keys are refused (a misspelt "indexes" must not leave a table
// without indexes): `what` names the object in the message.
Status known_keys(const Json& j, std::initializer_list<std::string_view> known, std::string_view what,
                  const std::string& path) {
  if (!j.is_object()) return Ok{};
  for (const auto& [key, val] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return schema_error("unknown " + std::string(what) + " key '" + key + "'", pointer_append(path, key));
    }
  }
  return Ok{};
}

Result<std::vector<std::string>> string_list(const Json& j, const std::string& path) {
  if (!j.is_array()) return schema_error("expected an array of strings", path);
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) return schema_error("expected a string", pointer_append(path, i));
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

Result<Validator> document_validator_from_json(const Json& j, const std::string& path);
Status convex_only_indexes(const Json& table, const std::string& path);

Result<TableDef> table_from_json(const std::string& name, const Json& j, const std::string& path) {
  if (!is_identifier(name) || name[0] == '_') return schema_error("invalid table name '" + name + "'", path);
  if (!j.is_object()) return schema_error("a table must be an object", path);
  // Section 8's keys and every key Convex's own TableDefinition.export() writes.
  if (auto st = known_keys(j, {"tableName", "documentType", "indexes", "searchIndexes", "vectorIndexes", "unique",
                               "stagedDbIndexes", "stagedSearchIndexes", "stagedVectorIndexes", "stagedDocumentType"},
                           "table", path);
      !st) {
    return std::move(st).error();
  }
  if (auto st = convex_only_indexes(j, path); !st) return std::move(st).error();
  TableDef t;
  t.name = name;
  t.id_validator.kind = Validator::Kind::id;
  t.id_validator.table = name;
  t.creation_time_validator.kind = Validator::Kind::float64;
  if (auto doc = j.find("documentType"); doc != j.end() && !doc->is_null()) {
    auto v = document_validator_from_json(*doc, pointer_append(path, "documentType"));
    if (!v) return std::move(v).error();
    t.document = std::move(v).value();
  } else {
    t.document.kind = Validator::Kind::any;  // Convex: a table without a validator holds anything
  }
  if (auto idx = j.find("indexes"); idx != j.end()) {
    std::string ip = pointer_append(path, "indexes");
    if (!idx->is_array()) return schema_error("indexes must be an array", ip);
    for (size_t i = 0; i < idx->size(); ++i) {
      const Json& e = (*idx)[i];
      std::string ep = pointer_append(ip, i);
      if (!e.is_object() || !e.contains("indexDescriptor") || !e["indexDescriptor"].is_string()) {
        return schema_error("an index needs indexDescriptor and fields", ep);
      }
      if (auto st = known_keys(e, {"indexDescriptor", "fields"}, "index", ep); !st) return std::move(st).error();
      IndexDef d;
      d.name = e["indexDescriptor"].get<std::string>();
      if (d.name == kByCreationTime || d.name == "by_id" || t.index(d.name)) {
        return schema_error("index name '" + d.name + "' is reserved or repeated", pointer_append(ep, "indexDescriptor"));
      }
      auto fields = string_list(e.value("fields", Json::array()), pointer_append(ep, "fields"));
      if (!fields) return std::move(fields).error();
      d.fields = std::move(fields).value();
      if (d.fields.empty() || d.fields.size() > 15) {
        return schema_error("an index has 1 to 15 fields", pointer_append(ep, "fields"));
      }
      for (size_t k = 0; k < d.fields.size(); ++k) {
        if (d.fields[k].starts_with("_") || !t.field_type(d.fields[k])) {
          return schema_error("index field '" + d.fields[k] + "' is not a field of " + name,
                              pointer_append(pointer_append(ep, "fields"), k));
        }
      }
      t.indexes.push_back(std::move(d));
    }
  }
  t.indexes.push_back(IndexDef{std::string(kByCreationTime), {}});
  if (auto sidx = j.find("searchIndexes"); sidx != j.end()) {
    std::string sp = pointer_append(path, "searchIndexes");
    if (!sidx->is_array()) return schema_error("searchIndexes must be an array", sp);
    for (size_t i = 0; i < sidx->size(); ++i) {
      const Json& e = (*sidx)[i];
      std::string ep = pointer_append(sp, i);
      if (!e.is_object() || !e.value("indexDescriptor", Json()).is_string() || !e.value("searchField", Json()).is_string()) {
        return schema_error("a search index needs indexDescriptor and searchField", ep);
      }
      if (auto st = known_keys(e, {"indexDescriptor", "searchField", "filterFields"}, "search index", ep); !st) {
        return std::move(st).error();
      }
      SearchIndexDef d;
      d.name = e["indexDescriptor"].get<std::string>();
      d.search_field = e["searchField"].get<std::string>();
      auto ff = string_list(e.value("filterFields", Json::array()), pointer_append(ep, "filterFields"));
      if (!ff) return std::move(ff).error();
      d.filter_fields = std::move(ff).value();
      if (!t.field_type(d.search_field)) {
        return schema_error("search field '" + d.search_field + "' is not a field of " + name,
                            pointer_append(ep, "searchField"));
      }
      t.search_indexes.push_back(std::move(d));
    }
  }
  if (auto uq = j.find("unique"); uq != j.end()) {
    std::string up = pointer_append(path, "unique");
    if (!uq->is_array()) return schema_error("unique must be an array of field lists", up);
    for (size_t i = 0; i < uq->size(); ++i) {
      auto fields = string_list((*uq)[i], pointer_append(up, i));
      if (!fields) return std::move(fields).error();
      if (fields->empty()) return schema_error("a unique constraint names at least one field", pointer_append(up, i));
      for (const auto& f : *fields) {
        if (!t.field_type(f)) return schema_error("unique field '" + f + "' is not a field of " + name, pointer_append(up, i));
      }
      t.unique.push_back(std::move(fields).value());
    }
  }
  // Defaults are checked against their fields once the table exists.
  if (t.document.kind == Validator::Kind::object) {
    std::string fp = pointer_append(pointer_append(path, "documentType"), "value");
    for (auto& f : t.document.fields) {
      std::string p = pointer_append(fp, f.name);
      if (f.default_value) {
        if (auto st = check_field_default(t, f, *f.default_value, pointer_append(p, "default")); !st) return std::move(st).error();
      }
      if (f.on_update) {
        if (auto st = check_field_default(t, f, *f.on_update, pointer_append(p, "onUpdate")); !st) return std::move(st).error();
      }
    }
  }
  return t;
}

using RelationRef = std::pair<std::string, std::string>;  // (table, relation name)

// Checks a parsed filter on `table`: comparisons against their columns'
// validators, relation filters against the relations' target tables; notes
// in `used` every relation it uses, at any depth.
Status check_filter(const Schema& s, const TableDef& table, FilterNode& n, std::vector<RelationRef>& used) {
  if (n.kind == FilterNode::Kind::cmp) return check_comparison(table, n);
  const TableDef* inner = &table;
  if (n.kind == FilterNode::Kind::relation) {
    used.emplace_back(table.name, n.relation);
    inner = s.table(s.relation(table.name, n.relation)->target);
  }
  for (auto& c : n.children) {
    if (auto st = check_filter(s, *inner, c, used); !st) return st;
  }
  return Ok{};
}

// Every relation's predefined `where`, once all relations (declared and
// inferred) are known: parsed in the request grammar on the target table,
// names and argument types checked, and no cycle of wheres that use each
// other's relations (planning them would never end).
Status load_relation_wheres(Schema& s) {
  std::map<RelationRef, std::vector<RelationRef>> uses;  // a relation's where → the relations it uses
  for (auto& [table, rels] : s.relations) {
    for (auto& r : rels) {
      if (r.where_json.is_null()) continue;
      std::string path = "/relations/" + table + "/" + r.name + "/where";
      auto f = parse_filter(r.where_json, r.target, s, ParseLimits{}, path);
      if (!f) return schema_error("relation where: " + f.error().message, f.error().path.value_or(path));
      if (auto st = check_filter(s, *s.table(r.target), *f, uses[{table, r.name}]); !st) {
        return schema_error("relation where: " + st.error().message, st.error().path.value_or(path));
      }
      r.where = std::move(f).value();
    }
  }
  // Depth-first search over "this relation's where uses that relation".
  std::map<RelationRef, int> state;  // 1: on the path, 2: done
  std::vector<RelationRef> path;
  std::function<Status(const std::string&, const std::string&)> visit = [&](const std::string& table, const std::string& name) -> Status {
    auto key = std::make_pair(table, name);
    if (state[key] == 2) return Ok{};
    if (state[key] == 1) {
      std::string chain;
      for (const auto& [t, n] : path) chain += t + "." + n + " → ";
      return schema_error("relation wheres use each other in a cycle: " + chain + table + "." + name,
                          "/relations/" + path.front().first + "/" + path.front().second + "/where");
    }
    state[key] = 1;
    path.push_back(key);
    for (const auto& [t, n] : uses[key]) {
      if (auto st = visit(t, n); !st) return st;
    }
    path.pop_back();
    state[key] = 2;
    return Ok{};
  };
  for (const auto& [table, rels] : s.relations) {
    for (const auto& r : rels) {
      if (auto st = visit(table, r.name); !st) return st;
    }
  }
  return Ok{};
}

// A relation's `from`/`to`: one field name or a non-empty array of them,
// each a field of `table`; `_id` when absent.
Result<FieldList> field_list(const Json& j, const char* key, const TableDef& table, const std::string& path) {
  std::string p = pointer_append(path, key);
  auto it = j.find(key);
  if (it == j.end()) return FieldList{"_id"};
  FieldList out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
  } else if (it->is_array() && !it->empty()) {
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return schema_error("expected a field name", pointer_append(p, i));
      out.push_back((*it)[i].get<std::string>());
    }
  } else {
    return schema_error(std::string(key) + " names a field or a non-empty array of fields", p);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    std::string fp = out.size() == 1 && it->is_string() ? p : pointer_append(p, i);
    if (!table.field_type(out[i])) return schema_error("'" + out[i] + "' is not a field of " + table.name, fp);
    if (std::find(out.begin(), out.begin() + static_cast<long>(i), out[i]) != out.begin() + static_cast<long>(i)) {
      return schema_error("'" + out[i] + "' is named twice", fp);
    }
  }
  return out;
}

Result<RelationDef> relation_from_json(const Schema& s, const std::string& table, const std::string& name,
                                       const Json& j, const std::string& path) {
  if (!j.is_object()) return schema_error("a relation must be an object", path);
  RelationDef r;
  r.name = name;
  if (j.contains("one") == j.contains("many")) return schema_error("a relation has exactly one of 'one' or 'many'", path);
  r.many = j.contains("many");
  const Json& target = r.many ? j["many"] : j["one"];
  if (!target.is_string() || !s.table(target.get<std::string>())) {
    return schema_error("relation target is not a table", pointer_append(path, r.many ? "many" : "one"));
  }
  r.target = target.get<std::string>();
  auto from = field_list(j, "from", *s.table(table), path);
  if (!from) return std::move(from).error();
  r.from = std::move(from).value();
  auto to = field_list(j, "to", *s.table(r.target), path);
  if (!to) return std::move(to).error();
  r.to = std::move(to).value();
  if (auto th = j.find("through"); th != j.end()) {
    std::string tp = pointer_append(path, "through");
    if (!th->is_object() || !th->value("table", Json()).is_string() || !th->contains("from") || !th->contains("to")) {
      return schema_error("through needs table, from and to", tp);
    }
    if (auto st = known_keys(*th, {"table", "from", "to"}, "through", tp); !st) return std::move(st).error();
    const TableDef* jt = s.table((*th)["table"].get<std::string>());
    if (!jt) return schema_error("through table '" + (*th)["table"].get<std::string>() + "' does not exist", pointer_append(tp, "table"));
    Through t;
    t.table = jt->name;
    auto jf = field_list(*th, "from", *jt, tp);
    if (!jf) return std::move(jf).error();
    auto jto = field_list(*th, "to", *jt, tp);
    if (!jto) return std::move(jto).error();
    t.from = std::move(jf).value();
    t.to = std::move(jto).value();
    // Pairwise: the source's from[i] meets the junction's from[i]; the junction's to[i] meets the target's to[i].
    if (t.from.size() != r.from.size()) return schema_error("through.from needs as many fields as from", pointer_append(tp, "from"));
    if (t.to.size() != r.to.size()) return schema_error("through.to needs as many fields as to", pointer_append(tp, "to"));
    r.through = std::move(t);
  } else if (r.from.size() != r.to.size()) {
    return schema_error("from and to need as many fields each (they are matched pairwise)", pointer_append(path, "to"));
  }
  if (auto od = j.find("onDelete"); od != j.end()) {
    std::string v = od->is_string() ? od->get<std::string>() : "";
    if (v == "cascade") r.on_delete = OnDelete::cascade;
    else if (v == "restrict") r.on_delete = OnDelete::restrict_;
    else if (v == "setNull") r.on_delete = OnDelete::set_null;
    else return schema_error("onDelete is cascade, restrict or setNull", pointer_append(path, "onDelete"));
    if (r.from.size() > 1) {
      return schema_error("onDelete needs a one-field reference; a relation over several fields is a join", pointer_append(path, "onDelete"));
    }
  }
  if (auto w = j.find("where"); w != j.end()) {
    // Parsed and checked once every relation is known (load_relation_wheres).
    if (!w->is_object()) return schema_error("relation where: a filter must be an object", pointer_append(path, "where"));
    r.where_json = *w;
  }
  if (auto op = j.find("optional"); op != j.end()) {
    if (!op->is_boolean()) return schema_error("optional is true or false", pointer_append(path, "optional"));
    std::string opath = pointer_append(path, "optional");
    if (r.many && !op->get<bool>()) return schema_error("optional: false applies to a one relation", opath);
    if (!op->get<bool>()) {
      // The relation then never yields null: refused where null is a normal answer.
      if (j.contains("where")) return schema_error("optional: false cannot go with a where (the where may leave no row)", opath);
      const TableDef& source = *s.table(table);
      for (const auto& f : r.from) {
        bool missing = false;
        const Validator* type = source.field_type(f, &missing);
        if (missing || (type && type->admits_kind(Value::Kind::null))) {
          return schema_error("optional: false needs '" + f + "' to be required and not nullable", opath);
        }
      }
    }
    r.optional = op->get<bool>();
  }
  if (auto inf = j.find("inferred"); inf != j.end()) {
    // /v1/schema marks relations it inferred; its output loads back unchanged.
    if (!inf->is_boolean()) return schema_error("inferred is true or false", pointer_append(path, "inferred"));
    r.inferred = inf->get<bool>();
  }
  if (auto st = known_keys(j, {"one", "many", "from", "to", "through", "onDelete", "where", "optional", "inferred"}, "relation", path);
      !st) {
    return std::move(st).error();
  }
  return r;
}

}  // namespace

namespace {

// Marks the float64s a field's value may be (itself, a union's members, an
// array's elements) as integral; false when there is none.
bool mark_integer(Validator& v) {
  if (v.kind == Validator::Kind::float64) return v.integer = true;
  bool any = false;
  if (v.kind == Validator::Kind::union_ || v.kind == Validator::Kind::array) {
    for (auto& m : v.items) any = mark_integer(m) || any;
  }
  return any;
}

// `table_fields`: `j` is a table's document type, whose object fields may
// carry defaults and onUpdate (top-level fields only, protocol.md section 8).
Result<Validator> parse_validator(const Json& j, const std::string& path, bool table_fields) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return schema_error("a validator is an object with a 'type'", path);
  }
  if (auto st = known_keys(j, {"type", "value", "tableName", "keys", "values"}, "validator", path); !st) {
    return std::move(st).error();
  }

  const std::string type = j["type"].get<std::string>();
  Validator v;
  std::string vp = pointer_append(path, "value");
  if (type == "null") v.kind = Validator::Kind::null_;
  else if (type == "number" || type == "float64") v.kind = Validator::Kind::float64;
  else if (type == "bigint" || type == "int64") v.kind = Validator::Kind::int64;
  else if (type == "boolean") v.kind = Validator::Kind::boolean;
  else if (type == "string") v.kind = Validator::Kind::string;
  else if (type == "bytes") v.kind = Validator::Kind::bytes;
  else if (type == "any") v.kind = Validator::Kind::any;
  else if (type == "literal") {
    v.kind = Validator::Kind::literal;
    if (!j.contains("value")) return schema_error("literal needs a value", path);
    auto lit = value_from_json(j["value"], vp);
    if (!lit) return std::move(lit).error();
    v.literal = std::move(lit).value();
  } else if (type == "id") {
    v.kind = Validator::Kind::id;
    if (!j.value("tableName", Json()).is_string()) return schema_error("id needs tableName", path);
    v.table = j["tableName"].get<std::string>();
  } else if (type == "array") {
    v.kind = Validator::Kind::array;
    auto e = parse_validator(j.value("value", Json()), vp, false);
    if (!e) return std::move(e).error();
    v.items.push_back(std::move(e).value());
  } else if (type == "object") {
    v.kind = Validator::Kind::object;
    const Json& fields = j.value("value", Json::object());
    if (!fields.is_object()) return schema_error("object value must map field names to {fieldType, optional}", vp);
    for (const auto& [name, f] : fields.items()) {
      std::string fp = pointer_append(vp, name);
      if (name.empty() || name[0] == '$' || name[0] == '_') return schema_error("invalid field name '" + name + "'", fp);
      if (!f.is_object()) return schema_error("expected {fieldType, optional}", fp);
      if (auto st = known_keys(f, {"fieldType", "optional", "default", "onUpdate", "integer"}, "field", fp); !st) {
        return std::move(st).error();
      }
      auto ft = parse_validator(f.value("fieldType", Json()), pointer_append(fp, "fieldType"), false);
      if (!ft) return std::move(ft).error();
      FieldDef def{name, std::move(ft).value(), f.value("optional", false), std::nullopt, std::nullopt};
      if (auto in = f.find("integer"); in != f.end()) {
        if (!in->is_boolean()) return schema_error("integer is true or false", pointer_append(fp, "integer"));
        if (in->get<bool>() && !mark_integer(def.type)) {
          return schema_error("integer applies to a number field", pointer_append(fp, "integer"));
        }
      }
      for (const char* key : {"default", "onUpdate"}) {
        auto d = f.find(key);
        if (d == f.end()) continue;
        std::string dp = pointer_append(fp, key);
        if (!table_fields) return schema_error(std::string(key) + " applies to a table's top-level fields only", dp);
        auto parsed = field_default_from_json(*d, dp);
        if (!parsed) return std::move(parsed).error();
        (std::string_view(key) == "default" ? def.default_value : def.on_update) = std::move(parsed).value();
      }
      v.fields.push_back(std::move(def));
    }
  } else if (type == "record") {
    v.kind = Validator::Kind::record;
    auto k = parse_validator(j.value("keys", Json()), pointer_append(path, "keys"), false);
    if (!k) return std::move(k).error();
    const Json& values = j.value("values", Json());
    bool wrapped = values.is_object() && values.contains("fieldType");
    if (wrapped) {
      if (auto st = known_keys(values, {"fieldType", "optional"}, "record values", pointer_append(path, "values")); !st) {
        return std::move(st).error();
      }
    }
    auto val = parse_validator(wrapped ? values["fieldType"] : values,
                               wrapped ? pointer_append(pointer_append(path, "values"), "fieldType") : pointer_append(path, "values"), false);
    if (!val) return std::move(val).error();
    v.items.push_back(std::move(k).value());
    v.items.push_back(std::move(val).value());
  } else if (type == "union") {
    v.kind = Validator::Kind::union_;
    const Json& members = j.value("value", Json());
    if (!members.is_array() || members.empty()) return schema_error("union needs a non-empty value array", vp);
    for (size_t i = 0; i < members.size(); ++i) {
      auto m = parse_validator(members[i], pointer_append(vp, i), false);
      if (!m) return std::move(m).error();
      v.items.push_back(std::move(m).value());
    }
  } else {
    return schema_error("unknown validator type '" + type + "'", pointer_append(path, "type"));
  }
  return v;
}

Result<Validator> document_validator_from_json(const Json& j, const std::string& path) {
  return parse_validator(j, path, true);
}

// Convex's vector and staged indexes: the proxy does not use them, but their
// keys are checked like every other part of the file.
Status convex_only_indexes(const Json& table, const std::string& path) {
  struct Kind {
    const char* key;
    std::initializer_list<std::string_view> fields;
  };
  static const Kind kinds[] = {
      {"vectorIndexes", {"indexDescriptor", "vectorField", "dimensions", "filterFields"}},
      {"stagedVectorIndexes", {"indexDescriptor", "vectorField", "dimensions", "filterFields"}},
      {"stagedDbIndexes", {"indexDescriptor", "fields"}},
      {"stagedSearchIndexes", {"indexDescriptor", "searchField", "filterFields"}},
  };
  for (const auto& k : kinds) {
    auto it = table.find(k.key);
    if (it == table.end() || it->is_null()) continue;
    std::string p = pointer_append(path, k.key);
    if (!it->is_array()) return schema_error(std::string(k.key) + " must be an array", p);
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_object()) return schema_error("an index is an object", pointer_append(p, i));
      if (auto st = known_keys((*it)[i], k.fields, "index", pointer_append(p, i)); !st) return st;
    }
  }
  if (auto sd = table.find("stagedDocumentType"); sd != table.end() && !sd->is_null()) {
    if (auto v = parse_validator(*sd, pointer_append(path, "stagedDocumentType"), false); !v) return std::move(v).error();
  }
  return Ok{};
}

}  // namespace

Result<Validator> validator_from_json(const Json& j, const std::string& path) { return parse_validator(j, path, false); }

namespace {
Result<Schema> load_schema_checked(const Json& j);
}  // namespace

// A schema comes from an operator's file or from Convex's describe: a value
// of the wrong type anywhere is a schema error, never an exception.
Result<Schema> load_schema(const Json& j) {
  try {
    return load_schema_checked(j);
  } catch (const Json::exception& e) {
    return Error{ErrorCode::invalid_value, std::string("schema: a value has the wrong type (") + e.what() + ")", std::string()};
  }
}

namespace {
Result<Schema> load_schema_checked(const Json& j) {
  if (!j.is_object() || !j.contains("tables")) return schema_error("expected an object with 'tables'", "");
  // schemaValidation: written by Convex's SchemaDefinition.export().
  if (auto st = known_keys(j, {"tables", "relations", "schemaValidation"}, "schema", ""); !st) return std::move(st).error();
  Schema s;
  const Json& tables = j["tables"];
  if (tables.is_object()) {
    for (const auto& [name, t] : tables.items()) {
      auto td = table_from_json(name, t, pointer_append("/tables", name));
      if (!td) return std::move(td).error();
      s.tables.emplace(name, std::move(td).value());
    }
  } else if (tables.is_array()) {  // Convex's own export(): [{tableName, ...}]
    for (size_t i = 0; i < tables.size(); ++i) {
      const Json& t = tables[i];
      std::string p = pointer_append("/tables", i);
      if (!t.is_object() || !t.value("tableName", Json()).is_string()) return schema_error("a table needs tableName", p);
      auto td = table_from_json(t["tableName"].get<std::string>(), t, p);
      if (!td) return std::move(td).error();
      s.tables.emplace(td->name, std::move(td).value());
    }
  } else {
    return schema_error("tables must be an object or an array", "/tables");
  }
  for (const auto& [name, t] : s.tables) {
    // id fields must point at known tables.
    std::vector<const Validator*> stack{&t.document};
    while (!stack.empty()) {
      const Validator* v = stack.back();
      stack.pop_back();
      if (v->kind == Validator::Kind::id && !s.table(v->table)) {
        return schema_error("v.id(\"" + v->table + "\") in " + name + " names no table", pointer_append("/tables", name));
      }
      for (const auto& c : v->items) stack.push_back(&c);
      for (const auto& f : v->fields) stack.push_back(&f.type);
    }
  }
  if (auto rel = j.find("relations"); rel != j.end() && !rel->is_null()) {
    if (!rel->is_object()) return schema_error("relations must be an object", "/relations");
    for (const auto& [table, defs] : rel->items()) {
      std::string tp = pointer_append("/relations", table);
      if (!s.table(table)) return schema_error("relations for unknown table '" + table + "'", tp);
      if (!defs.is_object()) return schema_error("expected an object of relations", tp);
      for (const auto& [name, d] : defs.items()) {
        std::string rp = pointer_append(tp, name);
        if (s.table(table)->field_type(name)) return schema_error("relation '" + name + "' has the name of a field", rp);
        if (name == "_count") return schema_error("'_count' is reserved for relation counts (protocol.md section 11)", rp);
        auto r = relation_from_json(s, table, name, d, rp);
        if (!r) return std::move(r).error();
        s.relations[table].push_back(std::move(r).value());
      }
    }
  }
  infer_relations(s);
  if (auto st = load_relation_wheres(s); !st) return std::move(st).error();
  return s;
}

}  // namespace

Result<Schema> load_schema_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Error{ErrorCode::invalid_query, "cannot read schema file " + file, std::nullopt};
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return load_schema(Json::parse(ss.str()));
  } catch (const Json::exception& e) {
    return Error{ErrorCode::invalid_query, "schema file " + file + " is not JSON: " + e.what(), std::nullopt};
  }
}

}  // namespace dc
