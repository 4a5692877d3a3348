// The auth file (../shared/docs/auth.md section 2) read into types: how
// tokens are verified, the API keys, and each role's rules. Reading checks
// the file's shape and names the bad part by its JSON Pointer; the rules'
// filters stay protocol filters (JSON) here, bound to the schema when they
// are compiled into plans.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/value_json.hpp"
#include "server/access/jwt.hpp"

namespace dc {

struct ApiKey {
  std::string name;
  std::array<unsigned char, 32> sha256{};
  std::string role;
  Json claims = Json::object();
};

struct RoleLimits {
  std::optional<int64_t> max_limit;
  std::optional<int64_t> max_depth;
  std::optional<double> requests_per_second;
  std::optional<double> burst;
};

// One op's rule on one table. Absent parts: no filter, every column, no
// preset, no check.
struct OpPolicy {
  std::optional<Json> filter;                 // select, update, delete
  std::optional<std::set<std::string>> columns;  // select: visible; insert/update: writable
  Json set = Json::object();                  // insert, update: presets (constants or {"$claim": path})
  std::optional<Json> check;                  // insert, update
  bool live = true;                           // select: subscriptions allowed
};

struct TablePolicy {
  std::optional<OpPolicy> select, insert, update, delete_;
};

struct RolePolicy {
  Json source;  // the role as the file wrote it: a reload compares roles by it
  bool bypass = false;
  RoleLimits limits;
  std::map<std::string, TablePolicy, std::less<>> tables;
};

struct AuthConfig {
  std::optional<JwtConfig> jwt;  // absent: no tokens accepted
  std::string role_claim = "role";
  std::vector<ApiKey> api_keys;
  std::optional<std::string> default_role;
  std::optional<std::string> anonymous_role;
  std::map<std::string, RolePolicy, std::less<>> roles;
  // "cursorKey": base64 of 32 bytes; seals the paginate cursors of roles
  // whose rules hide rows or columns. Absent: a key made at start.
  std::optional<std::string> cursor_key;
};

// `dir` is where relative paths in the file (jwks, secretFile) start.
// Errors are INVALID_VALUE with the JSON Pointer of the bad part.
Result<AuthConfig> read_auth_config(const Json& file, const std::string& dir);
// Reads and parses FILE (the --auth flag).
Result<AuthConfig> load_auth_file(const std::string& path);

// SHA-256 of `text` (API keys are stored as its hex).
std::array<unsigned char, 32> sha256_of(std::string_view text);

}  // namespace dc
