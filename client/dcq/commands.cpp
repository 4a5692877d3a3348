#include "client/dcq/commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <iostream>
#include <iterator>
#include <mutex>

#include "client/dcq/codegen.hpp"
#include "client/dcq/locate.hpp"
#include "client/dcq/plan_tree.hpp"
#include "client/dcq/table.hpp"
#include "client/dcq/terminal_text.hpp"
#include "drizzle_convex/client.hpp"
#include "protocol/value_json.hpp"
#include "server/schema/load.hpp"

namespace dcq {

namespace dz = drizzle_convex;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

struct Input {
  std::string text;
  bool from_command_line = false;
  std::string file;  // -f FILE: errors name FILE:LINE before pointing into it

  // Where `at` is, for a request read from a file.
  std::string where(size_t at) const {
    if (file.empty()) return "";
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(std::min(at, text.size())), '\n'));
    return "  at " + terminal_safe(file) + ":" + std::to_string(line) + "\n";
  }
};

std::string format_of(const Settings& s) {
  if (!s.format.empty()) return s.format;
  return ::isatty(STDOUT_FILENO) ? "table" : "json";
}

dz::ClientOptions options_of(const Settings& s) {
  dz::ClientOptions o;
  o.url = s.url;
  o.token = s.token;
  o.timeout = std::chrono::milliseconds(s.timeout_ms);
  o.max_answer_bytes = s.max_answer_bytes;
  return o;
}

// The JSON of a command, or an exit code after saying what is wrong with it.
std::optional<Json> read_json(const std::string& arg, const std::string& file, Input& in) {
  if (!file.empty()) {
    std::ifstream f(file, std::ios::binary);
    in.text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (!f.good() && !f.eof()) {
      std::cerr << "dcq: cannot read " << file << "\n";
      return std::nullopt;
    }
    in.from_command_line = true;  // errors point into it, as into a query typed in
    in.file = file;
  } else if (arg == "-") {
    in.text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    in.text = arg;
    in.from_command_line = true;
  }
  try {
    return Json::parse(in.text);
  } catch (const Json::parse_error& e) {
    // nlohmann's text after its "[json.exception.parse_error.N] " tag: where, and what it expected.
    std::string what = e.what();
    if (auto tag = what.find("] "); what.rfind("[json.exception", 0) == 0 && tag != std::string::npos) what = what.substr(tag + 2);
    std::cerr << "dcq: the query is not valid JSON: " << what << "\n";
    if (in.from_command_line && e.byte > 0) {
      size_t at = std::min<size_t>(e.byte - 1, in.text.size() ? in.text.size() - 1 : 0);
      std::cerr << in.where(at) << point_at(in.text, {at, at + 1}) << "\n";
    }
    return std::nullopt;
  }
}

int report(const dz::Error& e, const Input* in) {
  std::cerr << "dcq: " << terminal_safe(e.describe()) << "\n";
  if (in && in->from_command_line && e.path && !e.path->empty()) {
    if (auto span = locate(in->text, *e.path)) std::cerr << in->where(span->first) << point_at(in->text, *span) << "\n";
  }
  switch (e.kind) {
    case dz::Error::Kind::connection:
    case dz::Error::Kind::timeout: return kUnreachable;
    case dz::Error::Kind::usage: return kUsage;
    default: return kServerError;
  }
}

// A paginate answer's cursor, on stderr: stdout stays rows (NDJSON, CSV),
// and the way to the next page goes beside them.
void cursor_beside(const Json& data) {
  if (data.is_object() && data.contains("page") && data["page"].is_array() && data.contains("continueCursor")) {
    std::cerr << "continueCursor: " << terminal_json(data["continueCursor"]) << "\n";
  }
}

void print(const Json& data, const std::string& format) {
  if (format == "table") {
    std::cout << render_table(data);
  } else if (format == "csv") {
    cursor_beside(data);
    std::cout << render_csv(data);
  } else if (format == "ndjson") {
    const Json* rows = &data;
    cursor_beside(data);
    if (data.is_object() && data.contains("page") && data["page"].is_array()) rows = &data["page"];
    if (rows->is_array()) {
      for (const auto& row : *rows) std::cout << terminal_json(row) << "\n";
    } else {
      std::cout << terminal_json(data) << "\n";
    }
  } else {
    std::cout << terminal_json(data, 2) << "\n";
  }
  std::cout.flush();
}

}  // namespace

int run_call(const Settings& s, const std::string& command, const std::string& arg, const std::string& file) {
  Input in;
  auto body = read_json(arg, file, in);
  if (!body) return kUsage;
  if (command == "explain" && s.analyze && body->is_object()) (*body)["analyze"] = true;
  dz::Client client(options_of(s));
  dz::Result<Json> r = command == "query"  ? client.query(*body)
                       : command == "mutate" ? client.mutate(*body)
                                             : client.explain(*body);
  if (!r) return report(r.error(), &in);
  // explain answers a plan: drawn as a tree on a terminal (a table would
  // flatten it); a mutation's plan, and every plan piped, as JSON.
  if (command == "explain" && format_of(s) == "table") {
    if (auto tree = render_plan_tree(*r)) {
      std::cout << *tree;
      std::cout.flush();
      return kOk;
    }
  }
  // A plan is no table of rows: JSON for every format but the tree.
  print(*r, command == "explain" && format_of(s) != "ndjson" ? "json" : format_of(s));
  return kOk;
}

namespace {

// A field's type as TypeScript writes it: `"admin" | "editor"`, `id<users>`,
// `string[]`, `{ city: string; zip?: string }`.
std::string type_text(const dc::Validator& v) {
  using K = dc::Validator::Kind;
  switch (v.kind) {
    case K::null_: return "null";
    case K::float64: return v.integer ? "integer" : "number";
    case K::int64: return "int64";
    case K::boolean: return "boolean";
    case K::string: return "string";
    case K::bytes: return "bytes";
    case K::any: return "any";
    case K::literal: return dc::to_json(v.literal).dump();
    case K::id: return "id<" + v.table + ">";
    case K::array: {
      std::string item = v.items.empty() ? "any" : type_text(v.items[0]);
      return (item.find(' ') != std::string::npos ? "(" + item + ")" : item) + "[]";
    }
    case K::record: return "record<" + (v.items.size() > 1 ? type_text(v.items[0]) + ", " + type_text(v.items[1]) : "any") + ">";
    case K::object: {
      std::string out;
      for (const auto& f : v.fields) {
        if (!out.empty()) out += "; ";
        out += f.name + (f.optional ? "?: " : ": ") + type_text(f.type);
      }
      return "{ " + out + " }";
    }
    case K::union_: {
      std::string out;
      for (const auto& m : v.items) {
        if (!out.empty()) out += " | ";
        out += type_text(m);
      }
      return out;
    }
  }
  return v.describe();
}

std::string fields_text(const dc::FieldList& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ", ") + f;
  return out;
}

// One table of a schema: its fields with their types (as the server's
// errors word them), then indexes, unique constraints and relations.
int print_table_schema(const Json& raw, const std::string& name, const std::string& format) {
  auto schema = dc::load_schema(raw);
  if (!schema) {
    std::cerr << "dcq: the server's schema is not valid: " << terminal_safe(schema.error().message) << "\n";
    return kServerError;
  }
  const dc::TableDef* t = schema->table(name);
  if (!t) {
    std::string names;
    for (const auto& [n, _] : raw["tables"].items()) names += (names.empty() ? "" : ", ") + n;
    std::cerr << "dcq: no table '" << terminal_safe(name) << "'; the tables are " << terminal_safe(names) << "\n";
    return kUsage;
  }
  if (format == "json" || format == "ndjson") {
    Json out = {{"table", name}, {"definition", raw["tables"][name]}};
    if (raw.contains("relations") && raw["relations"].contains(name)) out["relations"] = raw["relations"][name];
    std::cout << terminal_json(out, format == "json" ? 2 : -1) << "\n";
    return kOk;
  }
  Json rows = Json::array();
  if (t->document.kind == dc::Validator::Kind::object) {
    for (const auto& f : t->document.fields) {
      Json row = {{"field", f.name}, {"type", type_text(f.type)}, {"optional", f.optional ? "yes" : ""}};
      if (f.default_value) {
        row["default"] = f.default_value->kind == dc::FieldDefault::Kind::now    ? "now"
                         : f.default_value->kind == dc::FieldDefault::Kind::uuid ? "uuid"
                                                                                 : dc::to_json(f.default_value->literal).dump();
      }
      rows.push_back(std::move(row));
    }
  } else {
    rows.push_back({{"field", "(document)"}, {"type", type_text(t->document)}});
  }
  if (format == "csv") {
    std::cout << render_csv(rows);
    return kOk;
  }
  std::string out = terminal_safe(name) + "\n" + render_rows_whole(rows);
  std::string indexes;
  for (const auto& ix : t->indexes) {
    if (ix.fields.empty()) continue;  // by_creation_time: every table has it
    indexes += (indexes.empty() ? "" : ", ") + ix.name + " (" + fields_text(ix.fields) + ")";
  }
  out += "indexes: " + terminal_safe(indexes) + "\n";
  for (const auto& u : t->unique) out += "unique: " + terminal_safe(fields_text(u)) + "\n";
  if (auto rels = schema->relations.find(name); rels != schema->relations.end()) {
    for (const auto& r : rels->second) {
      std::string line = r.name + ": " + (r.many ? "many " : "one ") + r.target + " (" + fields_text(r.from) + " → " +
                         (r.through ? r.through->table + " → " : std::string()) + fields_text(r.to) + ")";
      out += "relation " + terminal_safe(line) + "\n";
    }
  }
  std::cout << out;
  return kOk;
}

}  // namespace

int run_schema(const Settings& s, const std::string& table) {
  dz::Client client(options_of(s));
  auto r = client.schema();
  if (!r) return report(r.error(), nullptr);
  std::string format = format_of(s);
  if (!table.empty()) return print_table_schema(*r, table, format);
  if ((format == "table" || format == "csv") && r->is_object() && r->contains("tables") && (*r)["tables"].is_object()) {
    // One line per table: its fields, indexes and relations, for a person; JSON has the rest.
    Json rows = Json::array();
    for (const auto& [name, t] : (*r)["tables"].items()) {
      Json row = {{"table", name}};
      std::string fields, indexes, relations;
      if (t.contains("documentType") && t["documentType"].contains("value"))
        for (const auto& [f, _] : t["documentType"]["value"].items()) fields += (fields.empty() ? "" : ", ") + f;
      if (t.contains("indexes"))
        for (const auto& ix : t["indexes"]) indexes += (indexes.empty() ? "" : ", ") + ix.value("indexDescriptor", std::string("?"));
      if (r->contains("relations") && (*r)["relations"].contains(name))
        for (const auto& [rel, _] : (*r)["relations"][name].items()) relations += (relations.empty() ? "" : ", ") + rel;
      row["fields"] = fields;
      row["indexes"] = indexes;
      row["relations"] = relations;
      rows.push_back(std::move(row));
    }
    std::cout << (format == "csv" ? render_csv(rows) : render_rows_whole(rows));
    return kOk;
  }
  print(*r, format == "table" ? "json" : format);
  return kOk;
}

int run_watch(const Settings& s, const std::string& arg, int count, const std::string& file) {
  Input in;
  auto body = read_json(arg, file, in);
  if (!body) return kUsage;
  std::string format = format_of(s);
  bool redraw = format == "table" && ::isatty(STDOUT_FILENO);

  std::mutex mutex;
  std::condition_variable changed;
  int results = 0;
  std::optional<dz::Error> failure;
  Json previous;
  bool have_previous = false;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  dz::Client client(options_of(s));
  dz::Subscription sub = client.watch(
      *body,
      [&](const Json& result) {
        std::lock_guard lock(mutex);
        if (count > 0 && results >= count) return;
        ++results;
        if (redraw) {
          std::time_t now = std::time(nullptr);
          char clock[16];
          std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&now));
          // Home and clear, then the table: the screen always shows the current result.
          std::cout << "\x1b[H\x1b[2J" << "dcq watch · result " << results << " at " << clock
                    << " · changed cells marked * · Ctrl-C to stop\n\n"
                    << render_table(result, have_previous ? &previous : nullptr, have_previous);
        } else if (format == "table") {
          std::cout << render_table(result) << "\n";
        } else if (format == "csv") {
          std::cout << render_csv(result) << "\r\n";  // each result whole, a blank line between
        } else if (format == "json") {
          // Piped: one result per line, so each line is one whole result.
          std::cout << (::isatty(STDOUT_FILENO) ? terminal_json(result, 2) : terminal_json(result)) << "\n";
        } else {
          std::cout << terminal_json(result) << "\n";
        }
        std::cout.flush();
        previous = result;
        have_previous = true;
        changed.notify_all();
      },
      [&](const dz::Error& e) {
        std::lock_guard lock(mutex);
        failure = e;
        changed.notify_all();
      });

  auto first_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(s.timeout_ms);
  std::unique_lock lock(mutex);
  for (;;) {
    if (g_interrupted) break;
    if (failure) {
      lock.unlock();
      sub.complete();
      return report(*failure, &in);
    }
    if (count > 0 && results >= count) break;
    if (results == 0 && std::chrono::steady_clock::now() > first_deadline) {
      lock.unlock();
      sub.complete();
      std::cerr << "dcq: no result from " << s.url << "/v1/live within " << s.timeout_ms
                << " ms (cannot connect, or the server does not answer)\n";
      return kUnreachable;
    }
    changed.wait_for(lock, std::chrono::milliseconds(100));
  }
  lock.unlock();
  sub.complete();
  return kOk;
}

int run_codegen(const Settings& s, const std::string& schema_file, std::string namespace_name, const std::string& output,
                const std::string& lang) {
  // The same loader as the server's, so a file yields the relations the server would infer.
  dc::Result<dc::Schema> schema = dc::Error::query("no schema", "");
  std::string source;
  if (!schema_file.empty()) {
    schema = dc::load_schema_file(schema_file);
    source = std::filesystem::path(schema_file).filename().string();
    if (namespace_name.empty()) namespace_name = cpp_identifier(std::filesystem::path(schema_file).parent_path().filename().string());
  } else {
    dz::Client client(options_of(s));
    auto r = client.schema();
    if (!r) return report(r.error(), nullptr);
    schema = dc::load_schema(*r);
    source = "the /v1/schema of a server";
  }
  if (!schema) {
    const dc::Error& e = schema.error();
    std::cerr << "dcq: the schema is not valid: " << terminal_safe(e.message + (e.path && !e.path->empty() ? " at " + *e.path : std::string())) << "\n";
    return kUsage;
  }
  CodegenOptions o;
  o.namespace_name = namespace_name.empty() || namespace_name == "_" ? "schema" : cpp_identifier(namespace_name);
  o.source = source;
  std::string header = lang == "ts" ? generate_ts_module(*schema, source) : generate_header(*schema, o);
  if (output.empty() || output == "-") {
    std::cout << header;
    return kOk;
  }
  // Written aside and renamed: a failed write never leaves half a header
  // that a build would take for a fresh one.
  const std::string partial = output + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    file << header;
    if (!file.flush()) {
      file.close();
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
      std::cerr << "dcq: cannot write " << output << "\n";
      return kUsage;
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, output, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    std::cerr << "dcq: cannot write " << output << "\n";
    return kUsage;
  }
  return kOk;
}

}  // namespace dcq
