#include "server/access/access_control.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <spdlog/spdlog.h>

#include "server/schema/schema_json.hpp"

namespace dc {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool visible(const std::optional<std::set<std::string>>& columns, const std::string& field) {
  return !columns || columns->count(field.substr(0, field.find('.')));
}

// A list of fields, or one field (a relation's `from`/`to`).
bool all_visible(const std::optional<std::set<std::string>>& columns, const Json& fields) {
  if (fields.is_string()) return visible(columns, fields.get<std::string>());
  if (!fields.is_array()) return true;
  return std::all_of(fields.begin(), fields.end(), [&](const Json& f) { return !f.is_string() || visible(columns, f.get<std::string>()); });
}

// Every column a filter (request grammar, no relation keys) names is visible.
bool filter_columns_visible(const std::optional<std::set<std::string>>& columns, const Json& filter) {
  if (!filter.is_object()) return true;
  for (const auto& [key, val] : filter.items()) {
    if (key == "AND" || key == "OR") {
      if (val.is_array() && !std::all_of(val.begin(), val.end(), [&](const Json& f) { return filter_columns_visible(columns, f); })) return false;
    } else if (key == "NOT") {
      if (!filter_columns_visible(columns, val)) return false;
    } else if (!visible(columns, key)) {
      return false;
    }
  }
  return true;
}

// Compiled rules are kept per rules_key; past this many distinct keys (one
// per distinct claim value, so per user for per-user rules) the cache is
// emptied and refilled, which bounds its memory.
constexpr size_t kCompiledEntries = 10000;

}  // namespace

Access admin_access() { return Access{}; }

bool hides_rows_or_columns(const Access& access) { return access.rules.read && access.rules.read->hides_rows_or_columns(); }

bool same_rules(const Access& old, const Access& fresh) {
  if (!old.config || !fresh.config || old.identity.role != fresh.identity.role || old.plan_key != fresh.plan_key) return false;
  auto a = old.config->roles.find(old.identity.role);
  auto b = fresh.config->roles.find(fresh.identity.role);
  return a != old.config->roles.end() && b != fresh.config->roles.end() && a->second.source == b->second.source;
}

namespace {
std::atomic<uint64_t> next_epoch{1};
}  // namespace

AccessControl::AccessControl(std::shared_ptr<const AuthConfig> config)
    : config_(config), epoch_(next_epoch.fetch_add(1, std::memory_order_relaxed)), authenticator_(std::move(config)) {}

Result<Access> AccessControl::admit_header(std::string_view authorization, const std::shared_ptr<const Schema>& schema) {
  auto access = access_for(authenticator_.authenticate_shared(authorization, unix_now()), schema);
  if (!access) return access;
  if (auto st = take(*access); !st) return std::move(st).error();
  return access;
}

Result<Access> AccessControl::admit_token(std::string_view token, const std::shared_ptr<const Schema>& schema) {
  return access_for(authenticator_.authenticate_token_shared(token, unix_now()), schema);
}

Status AccessControl::take(const Access& access) {
  if (!access.rate) return Ok{};
  std::string key = access.identity.role + '\n' + access.identity.subject;
  auto wait = limiter_.take(key, *access.rate, access.burst.value_or(std::max(1.0, std::ceil(*access.rate))),
                            RateLimiter::Clock::now());
  if (!wait) return Ok{};
  Error e{ErrorCode::rate_limited,
          "role '" + access.identity.role + "' may make " + std::to_string(static_cast<int64_t>(*access.rate)) +
              " requests per second; try again in " + std::to_string(*wait) + " s",
          std::nullopt};
  e.detail = std::to_string(*wait);
  return e;
}

Result<Access> AccessControl::access_for(Result<std::shared_ptr<const Caller>> who, const std::shared_ptr<const Schema>& schema) {
  if (!who) return std::move(who).error();
  const Caller& caller = **who;
  Access a;
  a.rules_epoch = epoch_;
  a.config = config_;
  a.identity.role = caller.role;
  a.identity.subject = caller.subject;
  a.identity.claims_json = caller.claims_json;
  // Accepted until exp + skew (the verifier's rule), so a live socket lives as long.
  if (caller.expires_at) a.expires_at = *caller.expires_at + (config_->jwt ? config_->jwt->clock_skew_seconds : 0);
  if (auto role = config_->roles.find(caller.role); role != config_->roles.end()) {
    a.rate = role->second.limits.requests_per_second;
    a.burst = role->second.limits.burst;
  }
  {
    std::lock_guard lock(mu_);
    if (compiled_for_ != schema || compiled_.size() >= kCompiledEntries) {
      if (compiled_for_ != schema) {
        schemas_.clear();
        // A schema that arrived after start-up (a Convex deployment's): a rule naming
        // what it lacks is refused on every request rather than half applied.
        schema_problem_.reset();
        policies_.reset();
        auto compiled = compile_policies(*config_, schema);
        if (!compiled) {
          schema_problem_ = Error{ErrorCode::internal,
                                  "the auth file does not fit the schema: " + compiled.error().message + " at " + compiled.error().path.value_or(""),
                                  std::nullopt};
          spdlog::error("{}", schema_problem_->message);
        } else {
          policies_ = std::move(compiled).value();
        }
      }
      compiled_.clear();
      compiled_for_ = schema;
    }
    if (schema_problem_) return *schema_problem_;
    auto it = compiled_.find(caller.rules_key);
    if (it == compiled_.end()) {
      auto rules = rules_for(*policies_, caller);
      if (!rules) return std::move(rules).error();
      it = compiled_.emplace(caller.rules_key, std::move(rules).value()).first;
    }
    a.rules = it->second;
  }
  if (a.rules.read) a.plan_key = caller.rules_key;
  a.caller = std::move(who).value();
  return a;
}

std::string AccessControl::schema_json(const Access& access, const std::shared_ptr<const Schema>& schema, const std::string& full_json) {
  if (!access.rules.read) return full_json;
  std::lock_guard lock(mu_);
  auto cached = schemas_.find(access.identity.role);
  if (cached != schemas_.end() && compiled_for_ == schema) return cached->second;
  const ReadRules& rules = *access.rules.read;
  Json full = Json::parse(full_json);
  Json tables = Json::object();
  for (auto& [name, t] : full["tables"].items()) {
    auto rule = rules.tables.find(name);
    if (rule == rules.tables.end()) continue;
    const auto& cols = rule->second.columns;
    Json& fields = t["documentType"]["value"];
    if (fields.is_object()) {
      Json kept = Json::object();
      for (auto& [f, def] : fields.items()) {
        if (visible(cols, f)) kept[f] = def;
      }
      fields = std::move(kept);
    }
    for (const char* list : {"indexes", "searchIndexes"}) {
      Json kept = Json::array();
      for (auto& idx : t[list]) {
        const Json& j = idx;  // const: looking up a key must not add it
        auto listed = [&](const char* key) { return !j.contains(key) || all_visible(cols, j[key]); };
        bool ok = listed("fields") && listed("filterFields") && (!j.contains("searchField") || !j["searchField"].is_string() ||
                                                                   visible(cols, j["searchField"].get<std::string>()));
        if (ok) kept.push_back(idx);
      }
      t[list] = std::move(kept);
    }
    Json unique = Json::array();
    for (auto& u : t["unique"]) {
      if (all_visible(cols, u)) unique.push_back(u);
    }
    t["unique"] = std::move(unique);
    tables[name] = std::move(t);
  }
  Json relations = Json::object();
  for (auto& [name, rels] : full["relations"].items()) {
    auto rule = rules.tables.find(name);
    if (rule == rules.tables.end()) continue;
    Json kept = Json::object();
    for (auto& [rname, r] : rels.items()) {
      std::string target = r.contains("many") ? r["many"].get<std::string>() : r["one"].get<std::string>();
      auto target_rule = rules.tables.find(target);
      if (target_rule == rules.tables.end()) continue;
      if (!all_visible(rule->second.columns, r["from"]) || !all_visible(target_rule->second.columns, r["to"])) continue;
      if (r.contains("through") && !rules.tables.count(r["through"]["table"].get<std::string>())) continue;
      kept[rname] = r;
      // The relation stays usable, but its where is not shown when it names a column the role may not read.
      if (r.contains("where") && !filter_columns_visible(target_rule->second.columns, r["where"])) kept[rname].erase("where");
    }
    relations[name] = std::move(kept);
  }
  std::string out = Json{{"tables", std::move(tables)}, {"relations", std::move(relations)}}.dump();
  schemas_[access.identity.role] = out;
  return out;
}

}  // namespace dc
