// dcq's commands; each returns the process exit code:
// 0 ok, 1 the server answered an error, 2 usage, 3 cannot connect or timed out.
#pragma once

#include <cstdint>
#include <string>

namespace dcq {

enum Exit { kOk = 0, kServerError = 1, kUsage = 2, kUnreachable = 3 };

struct Settings {
  std::string url;
  std::string token;
  std::string format;  // json, ndjson, table, csv; "" = table on a terminal, JSON when piped
  int timeout_ms = 10000;
  std::uint64_t max_answer_bytes = 64ull << 20;  // --max-answer
  bool analyze = false;  // explain --analyze: run the read, show what each access read
};

// query, mutate, explain: `input` is the JSON text or "-" for stdin; or
// `file` names a file that holds it (-f FILE).
int run_call(const Settings& s, const std::string& command, const std::string& input, const std::string& file = "");
// The schema: every table on a line, or one `table` with its fields' types.
int run_schema(const Settings& s, const std::string& table = "");
// The typed API's header for a schema: from `schema_file` when given, else
// from the server's /v1/schema; to `output` ("" or "-": stdout).
int run_codegen(const Settings& s, const std::string& schema_file, std::string namespace_name, const std::string& output,
                const std::string& lang = "cpp");
// Live results until `count` of them (0: until Ctrl-C).
int run_watch(const Settings& s, const std::string& input, int count, const std::string& file = "");

}  // namespace dcq
