// Server configuration: command-line flags (design.md, "Names and commands"),
// the environment (CONVEX_URL, CONVEX_DEPLOY_KEY, DC_AUTH_FILE) and a TOML
// file (--config) holding any of the flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/parse.hpp"
#include "server/pipeline/front_door.hpp"

namespace dc {

struct Config {
  std::string config_file;    // --config: a TOML file of the flags
  bool check_config = false;  // --check-config: print the effective configuration and exit
  std::string host = "127.0.0.1";
  std::vector<std::string> cors_origins;  // browser origins allowed to call (protocol.md section 10)
  uint16_t port = 8787;
  std::string schema_file;
  std::string import_dir;
  bool demo = false;
  std::string auth_file;          // --auth / DC_AUTH_FILE: roles, keys and rules (auth.md)
  bool insecure_no_auth = false;  // serve without auth on a non-loopback address
  std::string data_dir;
  bool recover_truncate = false;  // --data-dir: cut a corrupt log instead of refusing to start
  unsigned threads = 0;  // 0 = one per core
  uint64_t match_budget = 64ull << 20;  // text bytes one embedded read's string patterns may scan
  unsigned engine_threads = 2;  // the embedded engine's threads for larger reads and live evaluations
  std::string convex_url;
  std::string convex_deploy_key;  // never logged
  std::string convex_module = "drizzle";     // the adapter's module: <module>:execute, :mutate, :describe
  std::chrono::milliseconds convex_timeout{10000};  // whole deadline of one Convex call, retries included
  size_t convex_connections = 32;            // keep-alive connections to Convex, at most
  std::string convex_ca_file;                // extra CA certificates (PEM) to trust for https://
  bool access_log = true;
  std::string log_format = "text";  // --log-format: text, or json (one JSON object per line)
  std::string log_level = "info";   // --log-level: trace, debug, info, warn, error; SIGHUP re-reads it
  std::vector<std::string> command_line;  // the flags as given, to re-read --config on SIGHUP
  size_t plan_cache_entries = 1024;  // 0 turns the read-plan cache off
  uint64_t result_cache_bytes = 64ull << 20;  // 0 turns the read-result cache off
  uint64_t snapshot_every = 10000;  // --data-dir: log records between snapshots
  size_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_connections = 30000;  // open HTTP + live connections; more wait in the listen backlog
  std::chrono::seconds read_timeout{30};
  std::chrono::milliseconds request_timeout{5000};  // embedded engine: a request's work stops here (504)
  uint64_t read_budget = 32000;
  bool explain_unredacted = false;      // explain shows every caller its plan whole (--explain-unredacted)
  uint64_t answer_rows = 100000;        // rows one answer may hold, at every depth (--answer-rows)
  uint64_t answer_bytes = 64ull << 20;  // bytes of JSON one answer may hold (--answer-bytes)
  ParseLimits limits;
  // /v1/live (docs/live.md)
  size_t live_max_connections = 20000;        // open live sockets per process
  size_t live_max_subscriptions = 100;        // per connection
  size_t live_outbox = 64;                    // queued messages per connection before patches collapse
  std::chrono::milliseconds live_init_timeout{10000};   // connection_init must arrive within this
  uint64_t live_outbox_bytes = 32ull << 20;   // bytes one live connection's outbox may hold (--live-outbox-bytes)
  uint64_t live_memory_budget = 512ull << 20;  // bytes all live outboxes may hold together
  std::chrono::milliseconds live_stuck_timeout{10000};  // an overflowed outbox must drain within this
  std::chrono::seconds live_idle_timeout{60};           // nothing received (pongs count): close
};

// Defaults, then the --config file, then CONVEX_URL / CONVEX_DEPLOY_KEY /
// DC_AUTH_FILE, then the flags; `help` is set when --help was given. A bad
// key in the file fails with its path ("/convex/timeout").
Result<Config> parse_config(int argc, char** argv, bool* help);
std::string usage();
// Every option as TOML (a valid --config file), the deploy key masked.
std::string describe_config(const Config& c);
// SIGHUP: the --config file, the environment and the flags again.
Result<Config> reread_config(const Config& running);
// The options (by name) whose values differ.
std::vector<std::string> changed_options(const Config& before, const Config& after);

// A flag that takes no value (--demo, --no-access-log, ...).
bool is_switch_flag(std::string_view flag);

}  // namespace dc
