#include "server/app/config.hpp"

#include <sstream>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "protocol/value_json.hpp"
#include "server/app/config_file.hpp"

namespace dc {

std::string usage() {
  return "usage: drizzle-convex-server [options]\n"
         "Every option also reads an environment variable, DC_ and its name in capitals\n"
         "(--live-outbox N: DC_LIVE_OUTBOX=N; a switch: DC_DEMO=1), except --auth (DC_AUTH_FILE),\n"
         "--convex-url (CONVEX_URL or CONVEX_SELF_HOSTED_URL) and --convex-deploy-key (CONVEX_DEPLOY_KEY\n"
         "or CONVEX_SELF_HOSTED_ADMIN_KEY); DC_CONFIG names the --config file. Flags override them.\n"
         "  --config FILE         a TOML file of these options (key = the flag's name: port = 8787,\n"
         "                        convex-url = \"...\"; a [convex] table means convex-*); flags, then the\n"
         "                        environment, override it (docs/deployment.md, \"Configuration\")\n"
         "  --check-config        print the effective configuration (secrets masked) and exit: 0 when valid,\n"
         "                        2 with the bad key's path when not\n"
         "  --port N              listen port (0 = any free port; default 8787)\n"
         "  --host ADDR           listen address (default 127.0.0.1); on a loopback address only Host\n"
         "                        localhost, 127.0.0.1 and [::1] are answered (DNS rebinding)\n"
         "  --cors-origins LIST   comma-separated browser origins allowed to call, e.g. https://app.example.com;\n"
         "                        a request with any other Origin gets 403 (default: none)\n"
         "  --auth FILE           roles, JWT keys, API keys and per-role rules (docs/auth.md; env DC_AUTH_FILE);\n"
         "                        SIGHUP reloads it. Without it every caller is admin, which is allowed only\n"
         "                        on a loopback --host, with --demo, or with --insecure-no-auth\n"
         "  --insecure-no-auth    serve without --auth on a non-loopback address: anyone who reaches it reads\n"
         "                        and writes everything\n"
         "  --explain-unredacted  explain shows every role its plan whole, indexes over columns it cannot see\n"
         "                        included (for debugging rules and for tests that run plans; not in production)\n"
         "  --schema FILE         schema JSON (protocol.md section 8)\n"
         "  --import DIR          load a Convex snapshot export into the embedded engine\n"
         "  --demo                demo blog schema and data (when no --schema is given)\n"
         "  --data-dir DIR        durable embedded engine: write-ahead log + snapshots in DIR\n"
         "  --snapshot-every N    with --data-dir: log records between snapshots (default 10000)\n"
         "  --recover-truncate    with --data-dir: if the log is corrupt (a damaged record with whole ones after it),\n"
         "                        cut it at the damage and start, keeping the original as wal.log.corrupt-<time>;\n"
         "                        without it the server refuses to start rather than lose acknowledged writes\n"
         "  --threads N           I/O threads (default: one per core)\n"
         "  --engine-threads N    embedded engine threads for reads of more than 64 documents and live\n"
         "                        evaluations, so they never hold a socket thread (default 2)\n"
         "  --match-budget BYTES  embedded engine: text one read's like/ilike/contains patterns may scan in all,\n"
         "                        summed over documents and patterns; past it the read is a 400 (default 67108864)\n"
         "  --read-timeout D      time a client may take to send a request or read a reply (default 30s)\n"
         "  --request-timeout D   a request's work stops after this, answered 504 (default 5000ms); on Convex\n"
         "                        each call also stops at --convex-timeout, whichever comes first\n"
         "  --convex-url URL      Convex deployment, http:// or https:// (env CONVEX_URL); without it the\n"
         "                        embedded engine serves\n"
         "  --convex-deploy-key K deploy or admin key (env CONVEX_DEPLOY_KEY; never logged)\n"
         "  --convex-module M     the adapter's module in the Convex project (default drizzle)\n"
         "  --convex-timeout D    deadline of one Convex call, retries included (default 10000ms)\n"
         "  --convex-connections N keep-alive connections to Convex, at most (default 32)\n"
         "  --convex-ca-file FILE PEM certificates to trust for an https:// Convex URL, besides the system's\n"
         "  --no-access-log       do not log one line per request\n"
         "  --log-level L         trace, debug, info (default), warn or error; SIGHUP re-reads it from --config\n"
         "  --log-format F        text (default) or json: every log line one JSON object {time, level, message},\n"
         "                        an access line with its own fields (event, requestId, method, path, status, us)\n"
         "  --plan-cache N        read plans cached by request body (default 1024; 0 = off)\n"
         "  --result-cache BYTES  read answers kept until a write changes what they read (embedded engine;\n"
         "                        default 67108864; 0 = off)\n"
         "  --max-body BYTES      request body limit (default 8 MiB)\n"
         "  --max-connections N   open connections, HTTP and live together (default 30000); beyond it new\n"
         "                        connections wait in the listen backlog until one closes\n"
         "  --read-budget N       worst-case documents one request may read (default 32000)\n"
         "  --max-limit N         largest limit/numItems accepted (default 1000)\n"
         "  --answer-rows N       rows one answer may hold, nested rows included, each time it appears\n"
         "                        (env DC_ANSWER_ROWS; default 100000); past it the read is a 400\n"
         "  --answer-bytes BYTES  bytes of JSON one answer may hold (env DC_ANSWER_BYTES; default 67108864)\n"
         "  --live-max-connections N      open /v1/live sockets, at most (default 20000)\n"
         "  --live-max-subscriptions N    subscriptions per live socket, at most (default 100)\n"
         "  --live-outbox N       messages queued per live socket before pending patches collapse (default 64)\n"
         "  --live-init-timeout D         connection_init deadline (default 10000ms)\n"
         "  --live-outbox-bytes BYTES     bytes one live socket's outbox may hold; past it pending results\n"
         "                        collapse, and if still past it the socket closes with 4008 (default 33554432)\n"
         "  --live-memory-budget BYTES    bytes all of live may hold: the topics' results and every outbox;\n"
         "                        past it new subscriptions get UNAVAILABLE and the connections holding the\n"
         "                        most are closed with 4008 first (default 536870912)\n"
         "  --live-stuck-timeout D        an overflowed live socket must drain within this, else close 4008 (default 10000ms)\n"
         "  --live-idle-timeout D         close a live socket that sent nothing, not even a pong (default 60s)\n"
         "\n"
         "A duration D is a whole number with ms, s or m (500ms, 10s, 2m); a bare number keeps the flag's\n"
         "unit: seconds for --read-timeout and --live-idle-timeout, milliseconds for the others.\n";
}

namespace {

// The flags that take no value, and what each sets (the --config file's
// `demo = true` is --demo: config_file.cpp asks is_switch_flag).
struct Switch {
  std::string_view flag;
  bool Config::*field;
  bool value;
};
constexpr Switch kSwitches[] = {
    {"--demo", &Config::demo, true},
    {"--recover-truncate", &Config::recover_truncate, true},
    {"--no-access-log", &Config::access_log, false},
    {"--insecure-no-auth", &Config::insecure_no_auth, true},
    {"--explain-unredacted", &Config::explain_unredacted, true},
};

const Switch* switch_named(std::string_view flag) {
  for (const Switch& s : kSwitches) {
    if (s.flag == flag) return &s;
  }
  return nullptr;
}

}  // namespace

bool is_switch_flag(std::string_view flag) { return switch_named(flag) != nullptr; }

namespace {

// Every flag the usage text names (its lines start with "  --name").
std::vector<std::string> known_flags() {
  std::vector<std::string> out;
  std::istringstream lines(usage());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  --", 0) != 0) continue;
    size_t end = line.find_first_of(" =", 2);
    out.push_back(line.substr(2, end == std::string::npos ? std::string::npos : end - 2));
  }
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unknown flag: --prot (did you mean --port?)": the nearest known flag, if near.
std::string unknown_flag(std::string_view flag) {
  std::string best;
  size_t best_distance = 3;  // at most two edits away
  for (const auto& known : known_flags()) {
    size_t d = edit_distance(flag, known);
    if (d < best_distance) {
      best_distance = d;
      best = known;
    }
  }
  return "unknown flag: " + std::string(flag) + (best.empty() ? "" : " (did you mean " + best + "?)");
}

// Applies flags (as on the command line) to `c`, later ones over earlier ones.
Status apply_flags(Config& c, const std::vector<std::string>& args, bool* help) {
  const int argc = static_cast<int>(args.size());
  auto bad = [](std::string msg) { return Error{ErrorCode::invalid_query, std::move(msg), std::nullopt}; };
  auto number = [&](std::string_view flag, const char* text, uint64_t max) -> Result<uint64_t> {
    char* end = nullptr;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v > max) return bad(std::string(flag) + " takes a number up to " + std::to_string(max));
    return static_cast<uint64_t>(v);
  };
  // A number from 1 up to `max`; `unit` ("seconds") names what it counts in the message.
  auto positive = [&](std::string_view flag, const char* text, uint64_t max, std::string_view unit = "") -> Result<uint64_t> {
    auto n = number(flag, text, max);
    if (!n) return n;
    if (*n == 0) return bad(std::string(flag) + " takes a number " + (unit.empty() ? "" : "of " + std::string(unit) + " ") + "from 1");
    return n;
  };
  // A duration: a whole number with `ms`, `s` or `m`, or bare in the flag's
  // own unit (`base_ms`: 1000 for a flag that counts seconds), from 1 unit up
  // to `max` of them; given in the flag's unit, rounded never.
  auto duration = [&](std::string_view flag, std::string_view text, uint64_t base_ms, uint64_t max) -> Result<uint64_t> {
    std::string_view unit_name = base_ms == 1000 ? "seconds" : "milliseconds";
    auto refuse = [&] {
      return bad(std::string(flag) + " takes a duration: a whole number with ms, s or m (" + (base_ms == 1000 ? "30s, 2m" : "500ms, 10s") +
                 "), or a bare number of " + std::string(unit_name) + "; not '" + std::string(text) + "'");
    };
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    std::string_view suffix = text.substr(digits);
    if (digits == 0 || digits > 12) return refuse();
    uint64_t n = std::stoull(std::string(text.substr(0, digits)));
    uint64_t scale = suffix.empty() ? base_ms : suffix == "ms" ? 1 : suffix == "s" ? 1000 : suffix == "m" ? 60000 : 0;
    if (scale == 0) return refuse();
    uint64_t ms = n * scale;
    if (ms % base_ms != 0) return bad(std::string(flag) + " counts whole " + std::string(unit_name) + ": '" + std::string(text) + "' is not");
    uint64_t in_unit = ms / base_ms;
    if (in_unit == 0 || in_unit > max) {
      return bad(std::string(flag) + " takes from 1 to " + std::to_string(max) + " " + std::string(unit_name) + "; '" + std::string(text) + "' is " +
                 std::to_string(in_unit));
    }
    return in_unit;
  };
  for (int i = 0; i < argc; ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      *help = true;
      return Ok{};
    }
    if (const Switch* s = switch_named(a)) {
      c.*(s->field) = s->value;
      continue;
    }
    if (i + 1 >= argc) {
      auto known = known_flags();
      if (std::find(known.begin(), known.end(), a) == known.end()) return bad(unknown_flag(a));
      return bad(std::string(a) + " needs a value");
    }
    const char* v = args[++i].c_str();
    if (a == "--port") {
      auto n = number(a, v, 65535);
      if (!n) return std::move(n).error();
      c.port = static_cast<uint16_t>(*n);
    } else if (a == "--host") {
      c.host = v;
    } else if (a == "--log-level") {
      std::string_view l = v;
      if (l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error") {
        return bad("--log-level takes trace, debug, info, warn or error");
      }
      c.log_level = v;
    } else if (a == "--log-format") {
      if (std::string_view(v) != "text" && std::string_view(v) != "json") return bad("--log-format takes text or json");
      c.log_format = v;
    } else if (a == "--cors-origins") {
      auto origins = parse_cors_origins(v);
      if (!origins) return std::move(origins).error();
      c.cors_origins = std::move(origins).value();
    } else if (a == "--auth") {
      c.auth_file = v;
    } else if (a == "--schema") {
      c.schema_file = v;
    } else if (a == "--import") {
      c.import_dir = v;
    } else if (a == "--data-dir") {
      c.data_dir = v;
    } else if (a == "--snapshot-every") {
      auto n = positive(a, v, uint64_t{1} << 32);
      if (!n) return std::move(n).error();
      c.snapshot_every = *n;
    } else if (a == "--plan-cache") {
      auto n = number(a, v, 1u << 20);
      if (!n) return std::move(n).error();
      c.plan_cache_entries = *n;
    } else if (a == "--result-cache") {
      auto n = number(a, v, uint64_t{1} << 40);
      if (!n) return std::move(n).error();
      c.result_cache_bytes = *n;
    } else if (a == "--read-timeout") {
      auto n = duration(a, v, 1000, 3600);
      if (!n) return std::move(n).error();
      c.read_timeout = std::chrono::seconds(*n);
    } else if (a == "--request-timeout") {
      auto n = duration(a, v, 1, 3600000);
      if (!n) return std::move(n).error();
      c.request_timeout = std::chrono::milliseconds(*n);
    } else if (a == "--match-budget") {
      auto n = positive(a, v, uint64_t{1} << 40, "bytes");
      if (!n) return std::move(n).error();
      c.match_budget = *n;
    } else if (a == "--engine-threads") {
      auto n = positive(a, v, 256);
      if (!n) return std::move(n).error();
      c.engine_threads = static_cast<unsigned>(*n);
    } else if (a == "--threads") {
      auto n = number(a, v, 256);
      if (!n) return std::move(n).error();
      c.threads = static_cast<unsigned>(*n);
    } else if (a == "--convex-url") {
      c.convex_url = v;
    } else if (a == "--convex-deploy-key") {
      c.convex_deploy_key = v;
    } else if (a == "--convex-ca-file") {
      c.convex_ca_file = v;
    } else if (a == "--convex-module") {
      c.convex_module = v;
    } else if (a == "--convex-timeout") {
      auto n = duration(a, v, 1, 600000);
      if (!n) return std::move(n).error();
      c.convex_timeout = std::chrono::milliseconds(*n);
    } else if (a == "--convex-connections") {
      auto n = positive(a, v, 4096);
      if (!n) return std::move(n).error();
      c.convex_connections = *n;
    } else if (a == "--max-connections") {
      auto n = positive(a, v, 10000000);
      if (!n) return std::move(n).error();
      c.max_connections = *n;
    } else if (a == "--max-body") {
      auto n = number(a, v, uint64_t{1} << 30);
      if (!n) return std::move(n).error();
      c.max_body_bytes = *n;
    } else if (a == "--read-budget") {
      auto n = number(a, v, uint64_t{1} << 40);
      if (!n) return std::move(n).error();
      c.read_budget = *n;
    } else if (a == "--answer-rows") {
      auto n = positive(a, v, uint64_t{1} << 32);
      if (!n) return std::move(n).error();
      c.answer_rows = *n;
    } else if (a == "--answer-bytes") {
      auto n = positive(a, v, uint64_t{1} << 40, "bytes");
      if (!n) return std::move(n).error();
      c.answer_bytes = *n;
    } else if (a == "--max-limit") {
      auto n = number(a, v, 1000000);
      if (!n) return std::move(n).error();
      c.limits.max_limit = static_cast<int64_t>(*n);
    } else if (a == "--live-outbox-bytes") {
      auto n = positive(a, v, uint64_t{1} << 40, "bytes");
      if (!n) return std::move(n).error();
      c.live_outbox_bytes = *n;
    } else if (a == "--live-memory-budget") {
      auto n = positive(a, v, uint64_t{1} << 44, "bytes");
      if (!n) return std::move(n).error();
      c.live_memory_budget = *n;
    } else if (a == "--live-max-connections" || a == "--live-max-subscriptions" || a == "--live-outbox") {
      auto n = positive(a, v, 10000000);
      if (!n) return std::move(n).error();
      if (a == "--live-max-connections") c.live_max_connections = *n;
      if (a == "--live-max-subscriptions") c.live_max_subscriptions = *n;
      if (a == "--live-outbox") c.live_outbox = *n;
    } else if (a == "--live-init-timeout" || a == "--live-stuck-timeout") {
      auto n = duration(a, v, 1, 10000000);
      if (!n) return std::move(n).error();
      if (a == "--live-init-timeout") c.live_init_timeout = std::chrono::milliseconds(*n);
      if (a == "--live-stuck-timeout") c.live_stuck_timeout = std::chrono::milliseconds(*n);
    } else if (a == "--live-idle-timeout") {
      auto n = duration(a, v, 1000, 10000000);
      if (!n) return std::move(n).error();
      c.live_idle_timeout = std::chrono::seconds(*n);
    } else {
      return bad(unknown_flag(a));
    }
  }
  return Ok{};
}

}  // namespace

namespace {

// A flag's environment variable: DC_ and its name in capitals
// (--live-outbox → DC_LIVE_OUTBOX); three keep the names operators know.
std::string env_name(std::string_view flag) {
  if (flag == "--convex-url") return "CONVEX_URL";
  if (flag == "--convex-deploy-key") return "CONVEX_DEPLOY_KEY";
  if (flag == "--auth") return "DC_AUTH_FILE";
  std::string out = "DC_";
  for (char ch : flag.substr(2)) out.push_back(ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  return out;
}

// One variable per setting (env_name), read after the --config file and
// before the flags. A switch takes 1/true/yes or 0/false/no (or empty).
// Convex's own self-hosting names stand in when ours are unset.
Status apply_environment(Config& c) {
  for (const auto& flag : known_flags()) {
    if (flag == "--config" || flag == "--check-config") continue;
    std::string name = env_name(flag);
    const char* v = std::getenv(name.c_str());
    if (!v && flag == "--convex-url") v = std::getenv("CONVEX_SELF_HOSTED_URL");
    if (!v && flag == "--convex-deploy-key") v = std::getenv("CONVEX_SELF_HOSTED_ADMIN_KEY");
    if (!v) continue;
    std::vector<std::string> args;
    if (is_switch_flag(flag)) {
      std::string_view on = v;
      if (on == "1" || on == "true" || on == "yes") args = {flag};
      else if (!(on.empty() || on == "0" || on == "false" || on == "no"))
        return Error{ErrorCode::invalid_query, name + ": takes 1, true or yes (or 0, false, no)", std::nullopt};
    } else {
      args = {flag, v};
    }
    bool ignored = false;
    if (auto st = apply_flags(c, args, &ignored); !st) {
      return Error{ErrorCode::invalid_query, name + ": " + st.error().message, std::nullopt};
    }
  }
  return Ok{};
}

}  // namespace

// Defaults, then the --config file, then the environment, then the flags.
Result<Config> parse_config(int argc, char** argv, bool* help) {
  Config c;
  *help = false;
  std::vector<std::string> flags;
  for (int i = 1; i < argc; ++i) c.command_line.emplace_back(argv[i]);
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--check-config") {
      c.check_config = true;
    } else if (a == "--config") {
      if (i + 1 >= argc) return Error{ErrorCode::invalid_query, "--config takes a file", std::nullopt};
      c.config_file = argv[++i];
    } else if (size_t eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos && !switch_named(a.substr(0, eq))) {
      // --port=0 as well as --port 0
      if (a.substr(0, eq) == "--config") {
        c.config_file = std::string(a.substr(eq + 1));
        continue;
      }
      flags.emplace_back(a.substr(0, eq));
      flags.emplace_back(a.substr(eq + 1));
    } else {
      flags.emplace_back(a);
    }
  }
  if (c.config_file.empty()) {
    if (const char* f = std::getenv("DC_CONFIG")) c.config_file = f;
  }
  if (!c.config_file.empty()) {
    auto settings = read_config_file(c.config_file);
    if (!settings) return std::move(settings).error();
    for (const auto& setting : *settings) {
      bool ignored = false;
      if (auto st = apply_flags(c, setting.flags, &ignored); !st) {
        return Error{ErrorCode::invalid_query, c.config_file + ": " + setting.pointer + ": " + st.error().message, setting.pointer};
      }
    }
  }
  if (auto st = apply_environment(c); !st) return std::move(st).error();
  if (auto st = apply_flags(c, flags, help); !st) return std::move(st).error();
  return c;
}

Result<Config> reread_config(const Config& running) {
  std::vector<char*> argv;
  static char name[] = "drizzle-convex-server";
  argv.push_back(name);
  std::vector<std::string> args = running.command_line;
  for (auto& a : args) argv.push_back(a.data());
  bool help = false;
  return parse_config(static_cast<int>(argv.size()), argv.data(), &help);
}

std::vector<std::string> changed_options(const Config& before, const Config& after) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      out.push_back(text.substr(at, end - at));
      at = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
  };
  auto a = lines(describe_config(before));
  auto b = lines(describe_config(after));
  std::vector<std::string> changed;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) changed.push_back(a[i].substr(0, a[i].find(" = ")));
  }
  // The deploy key is masked in the text: compare it directly.
  if (before.convex_deploy_key != after.convex_deploy_key &&
      std::find(changed.begin(), changed.end(), "convex-deploy-key") == changed.end()) {
    changed.push_back("convex-deploy-key");
  }
  return changed;
}

namespace {
// A JSON string is a valid TOML basic string (the same escapes, control
// characters included), so protocol's writer serves both.
std::string toml_string(const std::string& s) {
  std::string out;
  write_json_string(s, out);
  return out;
}
}  // namespace

std::string describe_config(const Config& c) {
  std::string out = "# The effective configuration: defaults, then --config, then the environment, then flags.\n";
  auto line = [&](const char* key, const std::string& value) { out.append(key).append(" = ").append(value).append("\n"); };
  auto str = [&](const char* key, const std::string& v) { line(key, toml_string(v)); };
  auto num = [&](const char* key, uint64_t v) { line(key, std::to_string(v)); };
  auto flag = [&](const char* key, bool v) { line(key, v ? "true" : "false"); };
  num("port", c.port);
  str("host", c.host);
  std::string origins = "[";
  for (size_t i = 0; i < c.cors_origins.size(); ++i) origins += (i ? ", " : "") + toml_string(c.cors_origins[i]);
  line("cors-origins", origins + "]");
  str("auth", c.auth_file);
  flag("insecure-no-auth", c.insecure_no_auth);
  flag("explain-unredacted", c.explain_unredacted);
  str("schema", c.schema_file);
  str("import", c.import_dir);
  flag("demo", c.demo);
  str("data-dir", c.data_dir);
  num("snapshot-every", c.snapshot_every);
  flag("recover-truncate", c.recover_truncate);
  num("threads", c.threads);
  num("engine-threads", c.engine_threads);
  num("match-budget", c.match_budget);
  num("read-timeout", static_cast<uint64_t>(c.read_timeout.count()));
  num("request-timeout", static_cast<uint64_t>(c.request_timeout.count()));
  str("convex-url", c.convex_url);
  // Secrets are never printed: only whether one is set.
  line("convex-deploy-key", c.convex_deploy_key.empty() ? "\"\"" : "\"********\"  # set, masked");
  str("convex-module", c.convex_module);
  num("convex-timeout", static_cast<uint64_t>(c.convex_timeout.count()));
  num("convex-connections", c.convex_connections);
  str("convex-ca-file", c.convex_ca_file);
  flag("no-access-log", !c.access_log);
  str("log-format", c.log_format);
  str("log-level", c.log_level);
  num("plan-cache", c.plan_cache_entries);
  num("result-cache", c.result_cache_bytes);
  num("max-body", c.max_body_bytes);
  num("max-connections", c.max_connections);
  num("read-budget", c.read_budget);
  num("answer-rows", c.answer_rows);
  num("answer-bytes", c.answer_bytes);
  num("max-limit", static_cast<uint64_t>(c.limits.max_limit));
  num("live-max-connections", c.live_max_connections);
  num("live-max-subscriptions", c.live_max_subscriptions);
  num("live-outbox", c.live_outbox);
  num("live-init-timeout", static_cast<uint64_t>(c.live_init_timeout.count()));
  num("live-outbox-bytes", c.live_outbox_bytes);
  num("live-memory-budget", c.live_memory_budget);
  num("live-stuck-timeout", static_cast<uint64_t>(c.live_stuck_timeout.count()));
  num("live-idle-timeout", static_cast<uint64_t>(c.live_idle_timeout.count()));
  return out;
}

}  // namespace dc
