#include "server/access/claims.hpp"

namespace dc {

namespace {

bool is_claim_ref(const Json& j) { return j.is_object() && j.size() == 1 && j.contains("$claim") && j["$claim"].is_string(); }

}  // namespace

std::optional<std::string_view> claim_reference(const Json& j) {
  if (!is_claim_ref(j)) return std::nullopt;
  return std::string_view(j.begin().value().get_ref<const std::string&>());
}

const Json* claim_at(const Json& claims, std::string_view dotted) {
  const Json* cur = &claims;
  size_t start = 0;
  for (;;) {
    size_t dot = dotted.find('.', start);
    std::string key(dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

void claims_named(const Json& rule, std::set<std::string>& out) {
  if (is_claim_ref(rule)) {
    out.insert(rule["$claim"].get<std::string>());
    return;
  }
  if (rule.is_structured()) {
    for (const auto& v : rule) claims_named(v, out);
  }
}

bool uses_claims(const Json& rule) {
  if (is_claim_ref(rule)) return true;
  if (rule.is_structured()) {
    for (const auto& v : rule) {
      if (uses_claims(v)) return true;
    }
  }
  return false;
}

}  // namespace dc
