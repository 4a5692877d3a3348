#include "server/backend/embedded/import.hpp"

#include <filesystem>
#include <fstream>

#include "protocol/json_read.hpp"
#include "protocol/value_json.hpp"
#include "server/schema/coerce.hpp"

namespace dc {

namespace {

Error import_error(const std::string& where, const std::string& msg) {
  return Error{ErrorCode::invalid_value, where + ": " + msg, std::nullopt};
}

}  // namespace

Status load_document(Store& store, IdGenerator& ids, const std::string& table_name, Value doc,
                     const std::string& where) {
  Table* table = store.table(table_name);
  if (!table) return import_error(where, "unknown table " + table_name);
  if (!doc.is_object()) return import_error(where, "a document must be an object");
  auto d = std::make_shared<Document>();
  Object fields;
  for (auto& [k, v] : doc.as_object()) {
    if (k == "_id") {
      if (!v.is_string()) return import_error(where, "_id must be a string");
      d->id = v.as_string();
    } else if (k == "_creationTime") {
      if (v.kind() != Value::Kind::float64 || !(v.as_float64() > 0)) {
        return import_error(where, "_creationTime must be a positive number");
      }
      d->creation_time = v.as_float64();
    } else {
      fields.emplace_back(k, std::move(v));
    }
  }
  Value user(std::move(fields));
  // Exports write int64 as plain integers: the validator says which numbers are int64.
  if (!coerce_to(table->def().document, user)) {
    return import_error(where, "document does not match the schema of " + table_name + " (" +
                                   table->def().document.describe() + ")");
  }
  if (d->id.empty()) d->id = ids.next(table->number());
  if (table->get(d->id)) return import_error(where, "duplicate _id " + d->id);
  if (d->creation_time == 0) d->creation_time = store.next_creation_time();
  Object full;
  full.emplace_back("_id", Value(d->id));
  full.emplace_back("_creationTime", Value(d->creation_time));
  for (auto& kv : user.as_object()) full.push_back(std::move(kv));
  d->value = Value(std::move(full));
  store.insert(*table, std::move(d));
  return Ok{};
}

Result<size_t> import_export_dir(Store& store, IdGenerator& ids, const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) return import_error(dir, "not a directory");
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    std::string table = entry.path().filename().string();
    fs::path file = entry.path() / "documents.jsonl";
    if (!fs::exists(file)) continue;
    if (!store.table(table)) {
      if (table.starts_with("_")) continue;  // system tables in a Convex export
      return import_error(file.string(), "table '" + table + "' is not in the schema");
    }
    std::ifstream in(file);
    std::string line;
    size_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string where = file.string() + ":" + std::to_string(lineno);
      auto parsed = read_json(line, JsonLimits{64}, "document");
      if (!parsed) return import_error(where, parsed.error().message);
      const Json& j = *parsed;
      auto v = value_from_json(j, "", ErrorCode::invalid_value);
      if (!v) return import_error(where, v.error().message);
      if (auto st = load_document(store, ids, table, std::move(v).value(), where); !st) return std::move(st).error();
      ++count;
    }
  }
  return count;
}

}  // namespace dc
