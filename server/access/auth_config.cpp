#include "server/access/auth_config.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "protocol/json_read.hpp"

namespace dc {

namespace {

namespace fs = std::filesystem;

Error bad(const std::string& path, std::string message) { return Error{ErrorCode::invalid_value, std::move(message), path}; }

std::string at(const std::string& path, std::string_view key) { return pointer_append(path, std::string(key)); }

// Every key of `obj` must be one of `known`: a misspelt key in a security
// file would otherwise silently grant or drop a rule.
Status known_keys(const Json& obj, const std::string& path, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : obj.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end()) return bad(at(path, k), "unknown key \"" + safe_text(k, 64) + "\"");
  }
  return Ok{};
}

Result<std::string> string_at(const Json& obj, std::string_view key, const std::string& path) {
  const Json& v = obj[std::string(key)];
  if (!v.is_string() || v.get<std::string>().empty()) return bad(at(path, key), "must be a non-empty string");
  return v.get<std::string>();
}

Result<std::string> read_text_file(const fs::path& file, const std::string& path) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return bad(path, "cannot read " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::optional<std::set<std::string>>> columns_at(const Json& rule, const std::string& path) {
  if (!rule.contains("columns")) return std::optional<std::set<std::string>>();
  const Json& c = rule["columns"];
  std::string p = at(path, "columns");
  if (!c.is_array()) return bad(p, "must be an array of column names");
  std::set<std::string> out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c[i].is_string()) return bad(p + "/" + std::to_string(i), "must be a column name");
    out.insert(c[i].get<std::string>());
  }
  return std::optional<std::set<std::string>>(std::move(out));
}

Result<OpPolicy> op_policy(const Json& j, const std::string& path, std::string_view op) {
  if (!j.is_object()) return bad(path, "must be an object");
  bool select = op == "select", insert = op == "insert", update = op == "update", del = op == "delete";
  Status keys = select ? known_keys(j, path, {"filter", "columns", "live"})
                : insert ? known_keys(j, path, {"columns", "set", "check"})
                : update ? known_keys(j, path, {"filter", "columns", "set", "check"})
                         : known_keys(j, path, {"filter"});
  if (!keys) return std::move(keys).error();
  OpPolicy r;
  if (j.contains("filter")) {
    if (!j["filter"].is_object()) return bad(at(path, "filter"), "must be a filter object (protocol.md section 4)");
    r.filter = j["filter"];
  }
  if (!del) {
    auto cols = columns_at(j, path);
    if (!cols) return std::move(cols).error();
    r.columns = std::move(cols).value();
  }
  if (j.contains("set")) {
    if (!j["set"].is_object()) return bad(at(path, "set"), "must be an object of field presets");
    r.set = j["set"];
  }
  if (j.contains("check")) {
    if (!j["check"].is_object()) return bad(at(path, "check"), "must be a filter object (protocol.md section 4)");
    r.check = j["check"];
  }
  if (j.contains("live")) {
    if (!j["live"].is_boolean()) return bad(at(path, "live"), "must be true or false");
    r.live = j["live"].get<bool>();
  }
  return r;
}

Result<RolePolicy> role_policy(const Json& j, const std::string& path) {
  if (!j.is_object()) return bad(path, "must be an object");
  if (auto st = known_keys(j, path, {"bypass", "limits", "tables"}); !st) return std::move(st).error();
  RolePolicy r;
  r.source = j;
  if (j.contains("bypass")) {
    if (!j["bypass"].is_boolean()) return bad(at(path, "bypass"), "must be true or false");
    r.bypass = j["bypass"].get<bool>();
  }
  if (j.contains("limits")) {
    const Json& l = j["limits"];
    std::string lp = at(path, "limits");
    if (!l.is_object()) return bad(lp, "must be an object");
    if (auto st = known_keys(l, lp, {"maxLimit", "maxDepth", "requestsPerSecond", "burst"}); !st) return std::move(st).error();
    auto integer = [&](const char* key, int64_t min) -> Result<std::optional<int64_t>> {
      if (!l.contains(key)) return std::optional<int64_t>();
      if (!l[key].is_number_integer() || l[key].get<int64_t>() < min) return bad(at(lp, key), "must be an integer of at least " + std::to_string(min));
      return std::optional<int64_t>(l[key].get<int64_t>());
    };
    auto positive = [&](const char* key) -> Result<std::optional<double>> {
      if (!l.contains(key)) return std::optional<double>();
      if (!l[key].is_number() || !(l[key].get<double>() > 0)) return bad(at(lp, key), "must be a number above 0");
      return std::optional<double>(l[key].get<double>());
    };
    auto max_limit = integer("maxLimit", 1);
    if (!max_limit) return std::move(max_limit).error();
    auto max_depth = integer("maxDepth", 0);
    if (!max_depth) return std::move(max_depth).error();
    auto rps = positive("requestsPerSecond");
    if (!rps) return std::move(rps).error();
    auto burst = positive("burst");
    if (!burst) return std::move(burst).error();
    r.limits = RoleLimits{*max_limit, *max_depth, *rps, *burst};
    if (r.limits.burst && !r.limits.requests_per_second) return bad(at(lp, "burst"), "needs requestsPerSecond");
  }
  if (j.contains("tables")) {
    std::string tp = at(path, "tables");
    if (!j["tables"].is_object()) return bad(tp, "must be an object of table names");
    for (const auto& [table, ops] : j["tables"].items()) {
      std::string p = at(tp, table);
      if (!ops.is_object()) return bad(p, "must be an object of ops (select, insert, update, delete)");
      if (auto st = known_keys(ops, p, {"select", "insert", "update", "delete"}); !st) return std::move(st).error();
      TablePolicy t;
      for (const char* op : {"select", "insert", "update", "delete"}) {
        if (!ops.contains(op)) continue;
        auto rule = op_policy(ops[op], at(p, op), op);
        if (!rule) return std::move(rule).error();
        std::string_view o = op;
        (o == "select" ? t.select : o == "insert" ? t.insert : o == "update" ? t.update : t.delete_) = std::move(rule).value();
      }
      r.tables.emplace(table, std::move(t));
    }
  }
  return r;
}

Result<JwtConfig> jwt_config(const Json& j, const std::string& path, const fs::path& dir, std::string* role_claim) {
  if (!j.is_object()) return bad(path, "must be an object");
  if (auto st = known_keys(j, path, {"secret", "secretFile", "jwks", "algorithms", "issuer", "audience", "roleClaim", "clockSkewSeconds"});
      !st) {
    return std::move(st).error();
  }
  JwtConfig c;
  if (j.contains("secret") && j.contains("secretFile")) return bad(at(path, "secretFile"), "give \"secret\" or \"secretFile\", not both");
  if (j.contains("secret")) {
    auto s = string_at(j, "secret", path);
    if (!s) return std::move(s).error();
    c.secret = std::move(s).value();
  } else if (j.contains("secretFile")) {
    auto file = string_at(j, "secretFile", path);
    if (!file) return std::move(file).error();
    auto text = read_text_file(dir / *file, at(path, "secretFile"));
    if (!text) return std::move(text).error();
    c.secret = std::move(text).value();
    while (!c.secret.empty() && (c.secret.back() == '\n' || c.secret.back() == '\r')) c.secret.pop_back();
  }
  // RFC 7518 section 3.2: an HMAC key at least as long as the hash.
  if (!c.secret.empty() && c.secret.size() < 32) {
    return bad(at(path, j.contains("secret") ? "secret" : "secretFile"), "an HMAC secret needs at least 32 characters");
  }
  if (j.contains("jwks")) {
    auto file = string_at(j, "jwks", path);
    if (!file) return std::move(file).error();
    auto text = read_text_file(dir / *file, at(path, "jwks"));
    if (!text) return std::move(text).error();
    auto parsed = read_json(*text, JsonLimits{8}, "JWKS", ErrorCode::invalid_value);
    if (!parsed) return bad(at(path, "jwks"), (dir / *file).string() + ": " + parsed.error().message);
    auto keys = read_jwks(*parsed, (dir / *file).string());
    if (!keys) return bad(at(path, "jwks"), keys.error().message);
    c.keys = std::move(keys).value();
  }
  std::string ap = at(path, "algorithms");
  if (!j.contains("algorithms") || !j["algorithms"].is_array() || j["algorithms"].empty()) {
    return bad(ap, "list the accepted algorithms (HS256, HS384, HS512, RS256, ES256)");
  }
  for (size_t i = 0; i < j["algorithms"].size(); ++i) {
    const Json& a = j["algorithms"][i];
    std::string p = ap + "/" + std::to_string(i);
    auto alg = a.is_string() ? jwt_alg_from_name(a.get<std::string>()) : std::nullopt;
    if (!alg) {
      if (a.is_string() && (a.get<std::string>() == "none" || a.get<std::string>() == "None")) return bad(p, "\"none\" is never accepted");
      return bad(p, "must be one of HS256, HS384, HS512, RS256, ES256");
    }
    bool hmac = *alg == JwtAlg::hs256 || *alg == JwtAlg::hs384 || *alg == JwtAlg::hs512;
    if (hmac && c.secret.empty()) return bad(p, std::string(jwt_alg_name(*alg)) + " needs \"secret\" or \"secretFile\"");
    bool rsa = *alg == JwtAlg::rs256;
    bool have = std::any_of(c.keys.begin(), c.keys.end(), [&](const JwtPublicKey& k) { return k.rsa == rsa; });
    if (!hmac && !have) return bad(p, std::string(jwt_alg_name(*alg)) + " needs a " + (rsa ? "RSA" : "P-256 EC") + " key in \"jwks\"");
    c.algorithms.insert(*alg);
  }
  if (j.contains("issuer")) {
    auto s = string_at(j, "issuer", path);
    if (!s) return std::move(s).error();
    c.issuer = std::move(s).value();
  }
  if (j.contains("audience")) {
    auto s = string_at(j, "audience", path);
    if (!s) return std::move(s).error();
    c.audience = std::move(s).value();
  }
  if (j.contains("roleClaim")) {
    auto s = string_at(j, "roleClaim", path);
    if (!s) return std::move(s).error();
    *role_claim = std::move(s).value();
  }
  if (j.contains("clockSkewSeconds")) {
    const Json& s = j["clockSkewSeconds"];
    if (!s.is_number_integer() || s.get<int64_t>() < 0 || s.get<int64_t>() > 3600) {
      return bad(at(path, "clockSkewSeconds"), "must be an integer from 0 to 3600");
    }
    c.clock_skew_seconds = s.get<int64_t>();
  }
  return c;
}

bool hex_to_bytes(std::string_view hex, std::array<unsigned char, 32>& out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

std::array<unsigned char, 32> sha256_of(std::string_view text) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Result<AuthConfig> read_auth_config(const Json& file, const std::string& dir) {
  if (!file.is_object()) return bad("", "the auth file is a JSON object");
  if (auto st = known_keys(file, "", {"jwt", "apiKeys", "defaultRole", "anonymousRole", "roles", "cursorKey"}); !st) {
    return std::move(st).error();
  }
  AuthConfig c;
  if (file.contains("cursorKey")) {
    std::string key;
    // The key's text is never quoted back (it is a secret).
    if (!file["cursorKey"].is_string() || !base64_decode(file["cursorKey"].get<std::string>(), key) || key.size() != 32) {
      return bad("/cursorKey", "must be base64 of 32 random bytes (openssl rand -base64 32)");
    }
    c.cursor_key = std::move(key);
  }
  if (!file.contains("roles") || !file["roles"].is_object() || file["roles"].empty()) return bad("/roles", "define at least one role");
  for (const auto& [name, rules] : file["roles"].items()) {
    auto r = role_policy(rules, at("/roles", name));
    if (!r) return std::move(r).error();
    c.roles.emplace(name, std::move(r).value());
  }
  auto role_ref = [&](const Json& obj, const char* key, const std::string& path) -> Result<std::string> {
    auto s = string_at(obj, key, path);
    if (!s) return std::move(s).error();
    if (!c.roles.count(*s)) return bad(at(path, key), "no role \"" + safe_text(*s, 64) + "\" is defined under /roles");
    return s;
  };
  if (file.contains("jwt")) {
    auto j = jwt_config(file["jwt"], "/jwt", fs::path(dir), &c.role_claim);
    if (!j) return std::move(j).error();
    c.jwt = std::move(j).value();
  }
  if (file.contains("defaultRole")) {
    auto r = role_ref(file, "defaultRole", "");
    if (!r) return std::move(r).error();
    c.default_role = std::move(r).value();
  }
  if (file.contains("anonymousRole")) {
    auto r = role_ref(file, "anonymousRole", "");
    if (!r) return std::move(r).error();
    c.anonymous_role = std::move(r).value();
  }
  if (file.contains("apiKeys")) {
    const Json& keys = file["apiKeys"];
    if (!keys.is_array()) return bad("/apiKeys", "must be an array");
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string p = "/apiKeys/" + std::to_string(i);
      const Json& k = keys[i];
      if (!k.is_object()) return bad(p, "must be an object");
      if (auto st = known_keys(k, p, {"name", "sha256", "role", "claims"}); !st) return std::move(st).error();
      ApiKey key;
      auto name = string_at(k, "name", p);
      if (!name) return std::move(name).error();
      key.name = std::move(name).value();
      // contains() first: operator[] of a const object is undefined for a missing key (found by fuzz_auth).
      if (!k.contains("sha256") || !k["sha256"].is_string() || !hex_to_bytes(k["sha256"].get<std::string>(), key.sha256)) {
        return bad(at(p, "sha256"), "must be the 64 hex digits of the key's SHA-256");
      }
      auto role = role_ref(k, "role", p);
      if (!role) return std::move(role).error();
      key.role = std::move(role).value();
      if (k.contains("claims")) {
        if (!k["claims"].is_object()) return bad(at(p, "claims"), "must be an object");
        key.claims = k["claims"];
      }
      c.api_keys.push_back(std::move(key));
    }
  }
  return c;
}

Result<AuthConfig> load_auth_file(const std::string& path) {
  auto text = read_text_file(path, "");
  if (!text) return Error{ErrorCode::invalid_value, "cannot read the auth file " + path, std::nullopt};
  auto parsed = read_json(*text, JsonLimits{64}, "auth file", ErrorCode::invalid_value);
  if (!parsed) return Error{ErrorCode::invalid_value, path + ": " + parsed.error().message, parsed.error().path};
  fs::path dir = fs::path(path).parent_path();
  return read_auth_config(*parsed, dir.empty() ? "." : dir.string());
}

}  // namespace dc
