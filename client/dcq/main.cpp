// dcq: the command line of drizzle-convex. `dcq --help` lists the commands.
#include <CLI/CLI.hpp>
#include <iostream>

#include "client/dcq/commands.hpp"
#include "protocol/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dcq — query a drizzle-convex server from the shell"};
  app.set_version_flag("--version", std::string("dcq ") + dc::kVersion + " (plan version " + std::to_string(dc::kPlanVersion) + ")",
                       "print the release and the plan version, then exit");
  app.footer(R"(Examples:
  dcq query '{"table":"users","op":"findMany","where":{"role":"admin"},"limit":5}'
  dcq mutate '{"op":"insert","table":"tags","values":{"name":"c++"}}'
  echo '{"table":"posts","op":"count"}' | dcq query - --format json
  dcq watch '{"table":"posts","op":"findMany","orderBy":{"_creationTime":"desc"},"limit":10}'
  dcq schema
  dcq codegen --schema convex/schema.json --namespace app -o app_schema.hpp

Exit codes: 0 ok, 1 the server answered an error, 2 usage, 3 cannot connect or timed out.)");
  app.require_subcommand(1);
  app.fallthrough();

  dcq::Settings s;
  s.url = "http://127.0.0.1:8787";
  app.add_option("--url", s.url, "server URL (http:// or https://)")->envname("DCQ_URL")->capture_default_str();
  app.add_option("--token", s.token, "bearer token or API key")->envname("DCQ_TOKEN");
  app.add_option("--format", s.format, "json, ndjson, table or csv (default: a table on a terminal, JSON when piped)")
      ->check(CLI::IsMember({"json", "ndjson", "table", "csv"}));
  app.add_option("--timeout", s.timeout_ms, "per-call deadline in milliseconds, the whole answer included")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-answer", s.max_answer_bytes, "largest answer body in bytes; past it the call fails (exit 3)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  std::string input, input_file;
  int count = 0;
  auto call = [&](const char* name, const char* what, const char* example) {
    auto* sub = app.add_subcommand(name, what);
    auto* json = sub->add_option("json", input, "the request as JSON, or - to read it from stdin");
    sub->add_option("-f,--file", input_file, "read the request from FILE (a query kept in a file, with line numbers for errors)")
        ->check(CLI::ExistingFile)
        ->excludes(json);
    sub->footer(std::string("Example:\n  ") + example + "\n  dcq " + name + " -f request.json");
    return sub;
  };
  auto* query = call("query", "run a read (findMany, findFirst, paginate, count)",
                     R"(dcq query '{"table":"users","op":"findFirst","where":{"email":"ada@example.com"}}')");
  auto* mutate = call("mutate", "run a mutation (insert, update, delete, transaction)",
                      R"(dcq mutate '{"op":"update","table":"users","set":{"credits":5},"where":{"role":"member"}}')");
  auto* explain = call("explain", "show the plan of a read or mutation; runs nothing",
                       R"(dcq explain '{"table":"posts","op":"findMany","where":{"published":true}}')");
  explain->add_flag("--analyze", s.analyze, "run the read and show the documents each access read (reads only)");
  auto* schema = app.add_subcommand("schema", "print the effective schema (tables, indexes, relations)");
  std::string schema_table;
  schema->add_option("table", schema_table, "one table: its fields with their types, indexes, unique constraints and relations");
  schema->footer("Examples:\n  dcq schema\n  dcq schema users\n  dcq schema --format json");
  std::string schema_file, namespace_name, output;
  auto* codegen = app.add_subcommand("codegen", "write the C++ header of the typed API for a schema");
  codegen->add_option("--schema", schema_file, "a schema JSON file (protocol.md section 8); without it: the server's /v1/schema")
      ->check(CLI::ExistingFile);
  codegen->add_option("--namespace", namespace_name, "the C++ namespace (default: the schema file's folder name, or \"schema\")");
  codegen->add_option("-o,--output", output, "the header (or module) to write (default: stdout)");
  std::string lang = "cpp";
  codegen->add_option("--lang", lang, "cpp: a header for drizzle_convex/typed.hpp; ts: a module exporting `schema` for drizzle-convex-client")
      ->check(CLI::IsMember({"cpp", "ts"}));
  codegen->footer(
      "Examples:\n  dcq codegen --schema tests/conformance/fixtures/blog/schema.json --namespace blog -o blog.hpp\n"
      "  dcq codegen --lang ts --url http://127.0.0.1:8080 -o src/schema.ts");
  auto* watch = call("watch", "follow a live query: print the result now and after every change",
                     R"(dcq watch '{"table":"tags","op":"findMany","orderBy":{"name":"asc"}}' --count 2 --format ndjson)");
  watch->add_option("--count", count, "exit after N results")->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? dcq::kOk : dcq::kUsage;
  }
  bool takes_request = query->parsed() || mutate->parsed() || explain->parsed() || watch->parsed();
  if (takes_request && input.empty() && input_file.empty()) {
    std::cerr << "dcq: give the request as JSON, - to read it from stdin, or -f FILE\n";
    return dcq::kUsage;
  }
  try {
    if (query->parsed()) return dcq::run_call(s, "query", input, input_file);
    if (mutate->parsed()) return dcq::run_call(s, "mutate", input, input_file);
    if (explain->parsed()) return dcq::run_call(s, "explain", input, input_file);
    if (schema->parsed()) return dcq::run_schema(s, schema_table);
    if (watch->parsed()) return dcq::run_watch(s, input, count, input_file);
    if (codegen->parsed()) return dcq::run_codegen(s, schema_file, namespace_name, output, lang);
  } catch (const std::exception& e) {
    // An answer shaped unlike the protocol's (a proxy in between, say).
    std::cerr << "dcq: unexpected answer: " << e.what() << "\n";
    return dcq::kServerError;
  }
  return dcq::kUsage;
}
