#include "server/access/claim_binding.hpp"

#include "protocol/parse.hpp"
#include "server/access/claims.hpp"
#include "server/schema/coerce.hpp"

namespace dc {

namespace {

bool is_list_op(CmpOp op) {
  switch (op) {
    case CmpOp::in:
    case CmpOp::not_in:
    case CmpOp::array_contains:
    case CmpOp::array_contained:
    case CmpOp::array_overlaps:
    case CmpOp::between:
    case CmpOp::not_between: return true;
    default: return false;
  }
}

bool takes_text(CmpOp op) {
  switch (op) {
    case CmpOp::like:
    case CmpOp::ilike:
    case CmpOp::not_like:
    case CmpOp::not_ilike:
    case CmpOp::starts_with:
    case CmpOp::ends_with:
    case CmpOp::contains: return true;
    default: return false;
  }
}

// Replaces each claim reference with a placeholder the parser reads as a
// value of the position's shape, remembering where it was. `key` is the
// member name the value sits under ("" for array elements).
void hold_slots(Json& j, const std::string& pointer, std::string_view key, std::map<std::string, ClaimSlot>& slots) {
  if (auto claim = claim_reference(j)) {
    // The parser's own names decide what the position takes.
    auto op = op_from_name(key);
    bool list = op && is_list_op(*op);
    slots.emplace(pointer, ClaimSlot{std::string(*claim), list});
    if (!list) {
      j = "";
    } else if (*op == CmpOp::between || *op == CmpOp::not_between) {
      j = Json::array({"", ""});
    } else {
      j = Json::array({""});
    }
    return;
  }
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) hold_slots(it.value(), pointer_append(pointer, it.key()), it.key(), slots);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) hold_slots(j[i], pointer_append(pointer, i), "", slots);
  }
}

// The pointers where a comparison takes a value (its operand, or each item
// of a list operand), and those where it takes a whole list.
void value_positions(const FilterNode& n, std::set<std::string>& values, std::set<std::string>& lists) {
  for (const auto& c : n.children) value_positions(c, values, lists);
  if (n.kind != FilterNode::Kind::cmp || n.op == CmpOp::is_null || n.op == CmpOp::is_not_null) return;
  if (is_list_op(n.op)) {
    lists.insert(n.path);
    if (n.arg.is_array()) {
      for (size_t i = 0; i < n.arg.as_array().size(); ++i) values.insert(pointer_append(n.path, i));
    }
  } else {
    values.insert(n.path);
  }
}

// What a claim must be for a column, in JSON's words (claims are JSON).
std::string json_type(const Validator& type) {
  switch (type.kind) {
    case Validator::Kind::any: return "any JSON value";
    case Validator::Kind::null_: return "null";
    case Validator::Kind::float64: return "a number";
    case Validator::Kind::int64: return "an integral number";
    case Validator::Kind::boolean: return "a boolean";
    case Validator::Kind::string: return "a string";
    case Validator::Kind::bytes: return "bytes (no JSON claim can be)";
    case Validator::Kind::id: return "a string (an id of table '" + type.table + "')";
    case Validator::Kind::literal: return "the literal " + type.describe().substr(8);
    case Validator::Kind::array: return "an array of " + json_type(type.items[0]);
    case Validator::Kind::object:
    case Validator::Kind::record: return "an object of the column's shape";
    case Validator::Kind::union_: {
      std::string s;
      for (const auto& m : type.items) s += (s.empty() ? "" : " or ") + json_type(m);
      return s;
    }
  }
  return type.describe();
}

Error forbidden_claim(const std::string& claim, const std::string& expected, const std::string& where) {
  return Error{ErrorCode::forbidden,
               "the claim '" + claim + "' of the caller's credentials must be " + expected + " (" + where + "); the rule cannot use it",
               std::nullopt};
}

const Validator& text_type() {
  static const Validator v = [] {
    Validator t;
    t.kind = Validator::Kind::string;
    return t;
  }();
  return v;
}

const Validator& any_type() {
  static const Validator v;
  return v;
}

// An object key starting with '$' anywhere in a claim: the protocol's
// encoded values (`$integer`, `$bytes`, `$float`) and `$unset` are such
// objects, and a backend that decodes values (the Convex adapter) would
// read one. No stored value has such keys (Convex refuses them).
bool has_dollar_key(const Json& j) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if ((!k.empty() && k[0] == '$') || has_dollar_key(v)) return true;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (has_dollar_key(v)) return true;
    }
  }
  return false;
}

// A claim as a value of `type`, or nullopt when it does not fit. Integers
// stay exact: an int64 column gets the integer itself (not a double's
// rounding of it), and a float64 column only an integer a double holds exactly.
std::optional<Value> typed_claim(const Json& raw, const Validator& type) {
  if (raw.is_null() || has_dollar_key(raw)) return std::nullopt;
  if (raw.is_number_integer()) {
    bool fits = raw.is_number_unsigned() ? raw.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX) : true;
    int64_t exact = fits ? raw.get<int64_t>() : 0;
    if (type.admits_kind(Value::Kind::int64)) {
      Value v(exact);
      if (fits && type.accepts(v)) return v;
    }
    double d = raw.get<double>();
    if (!fits || d >= 9.2e18 || d <= -9.2e18 || static_cast<int64_t>(d) != exact) return std::nullopt;
  }
  Value v = claim_value(raw);
  if (!coerce_to(type, v)) return std::nullopt;
  return v;
}

bool is_like(CmpOp op) { return op == CmpOp::like || op == CmpOp::ilike || op == CmpOp::not_like || op == CmpOp::not_ilike; }

// A claim in a LIKE pattern is matched as text: its wildcards are escaped.
std::string like_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Binds the claims of one parsed filter, walking it with the table each
// part is on (relation filters move to the related table).
class SlotBinder {
 public:
  SlotBinder(const RuleFilter& rule, const Json& claims, const Schema& schema, std::set<std::string>& missing)
      : rule_(rule), claims_(claims), schema_(schema), missing_(missing) {}

  Status node(FilterNode& n, const TableDef& table) {
    if (n.kind == FilterNode::Kind::relation) {
      const RelationDef* rel = schema_.relation(table.name, n.relation);
      const TableDef* target = rel ? schema_.table(rel->target) : nullptr;
      for (auto& c : n.children) {
        if (!target) return Error{ErrorCode::internal, "relation '" + n.relation + "' is not in the schema", std::nullopt};
        if (auto st = node(c, *target); !st) return st;
      }
      return Ok{};
    }
    for (auto& c : n.children) {
      if (auto st = node(c, table); !st) return st;
    }
    if (n.kind == FilterNode::Kind::cmp) return comparison(n, table);
    return Ok{};
  }

 private:
  Status comparison(FilterNode& n, const TableDef& table) {
    const Validator* column = table.field_type(n.field);
    if (!column) column = &any_type();
    const Validator* operand = column;
    if (takes_text(n.op)) operand = &text_type();
    if (n.op == CmpOp::array_contains || n.op == CmpOp::array_contained || n.op == CmpOp::array_overlaps) {
      operand = column->element() ? column->element() : &any_type();
    }
    std::string where = "it is compared with " + table.name + "." + n.field;
    if (auto whole = rule_.slots.find(n.path); whole != rule_.slots.end()) {
      if (whole->second.list) return list(n, whole->second.claim, *operand, where);
      if (auto st = value(n.arg, whole->second.claim, *operand, where); !st) return st;
      if (takes_text(n.op) && n.arg.is_string()) {
        size_t limit = ParseLimits{}.max_pattern_bytes;
        if (n.arg.as_string().size() > limit) {
          return forbidden_claim(whole->second.claim, "a string of at most " + std::to_string(limit) + " bytes", where);
        }
        if (is_like(n.op)) n.arg = Value(like_literal(n.arg.as_string()));
      }
      return Ok{};
    }
    if (n.arg.is_array()) {
      auto& items = n.arg.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        auto slot = rule_.slots.find(pointer_append(n.path, i));
        if (slot == rule_.slots.end()) continue;
        if (auto st = value(items[i], slot->second.claim, *operand, where); !st) return st;
      }
    }
    return Ok{};
  }

  Status value(Value& into, const std::string& claim, const Validator& type, const std::string& where) {
    const Json* raw = claim_at(claims_, claim);
    if (!raw || raw->is_null()) {
      missing_.insert(claim);
      into = Value(Null{});
      return Ok{};
    }
    auto v = typed_claim(*raw, type);
    if (!v) return forbidden_claim(claim, json_type(type), where);
    into = std::move(*v);
    return Ok{};
  }

  Status list(FilterNode& n, const std::string& claim, const Validator& type, const std::string& where) {
    const Json* raw = claim_at(claims_, claim);
    if (!raw || raw->is_null()) {
      missing_.insert(claim);
      return Ok{};
    }
    bool pair = n.op == CmpOp::between || n.op == CmpOp::not_between;
    std::string expected = pair ? "an array of two values, each " + json_type(type) : "an array, each item " + json_type(type);
    if (!raw->is_array() || (pair && raw->size() != 2)) return forbidden_claim(claim, expected, where);
    size_t limit = ParseLimits{}.max_in_values;
    if (raw->size() > limit) return forbidden_claim(claim, "an array of at most " + std::to_string(limit) + " values", where);
    Array items;
    items.reserve(raw->size());
    for (const auto& item : *raw) {
      auto v = typed_claim(item, type);
      if (!v) return forbidden_claim(claim, expected, where);
      items.push_back(std::move(*v));
    }
    n.arg = Value(std::move(items));
    return Ok{};
  }

  const RuleFilter& rule_;
  const Json& claims_;
  const Schema& schema_;
  std::set<std::string>& missing_;
};

// The preset's JSON as a value: claims plain, everything else decoded as
// the auth file wrote it.
Result<Value> preset_value(const Json& j, const Json& claims, std::set<std::string>& missing, std::set<std::string>& used) {
  if (auto claim = claim_reference(j)) {
    used.insert(std::string(*claim));
    const Json* raw = claim_at(claims, *claim);
    if (!raw || raw->is_null()) {
      missing.insert(std::string(*claim));
      return Value(Null{});
    }
    if (has_dollar_key(*raw)) {
      return Error{ErrorCode::forbidden, "the claim '" + std::string(*claim) +
                                             "' of the caller's credentials holds an object key starting with '$'; the rule cannot use it",
                   std::nullopt};
    }
    return claim_value(*raw);
  }
  if (j.is_object() && !(j.size() == 1 && j.begin().key().rfind('$', 0) == 0)) {
    Object out;
    for (const auto& [k, v] : j.items()) {
      auto f = preset_value(v, claims, missing, used);
      if (!f) return f;
      out.emplace_back(k, std::move(f).value());
    }
    return Value(std::move(out));
  }
  if (j.is_array()) {
    Array out;
    for (const auto& v : j) {
      auto f = preset_value(v, claims, missing, used);
      if (!f) return f;
      out.push_back(std::move(f).value());
    }
    return Value(std::move(out));
  }
  return value_from_json(j, "", ErrorCode::invalid_value);
}

}  // namespace

Value claim_value(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return Value(Null{});
    case Json::value_t::boolean: return Value(j.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return Value(j.get<double>());
    case Json::value_t::string: return Value(j.get<std::string>());
    case Json::value_t::array: {
      Array out;
      out.reserve(j.size());
      for (const auto& v : j) out.push_back(claim_value(v));
      return Value(std::move(out));
    }
    case Json::value_t::object: {
      Object out;
      for (const auto& [k, v] : j.items()) out.emplace_back(k, claim_value(v));
      return Value(std::move(out));
    }
    default: return Value(Null{});
  }
}

Result<RuleFilter> compile_rule_filter(const Json& rule, const std::string& table, const Schema& schema, const std::string& pointer) {
  RuleFilter out;
  Json held = rule;
  hold_slots(held, "", "", out.slots);
  auto parsed = parse_filter(held, table, schema, ParseLimits{}, "");
  if (!parsed) {
    Error e = std::move(parsed).error();
    return Error{ErrorCode::invalid_value, e.message, pointer + e.path.value_or("")};
  }
  out.parsed = std::move(parsed).value();
  std::set<std::string> values, lists;
  value_positions(out.parsed, values, lists);
  for (const auto& [at, slot] : out.slots) {
    if (!(slot.list ? lists.count(at) : values.count(at))) {
      return Error{ErrorCode::invalid_value, "{\"$claim\": \"" + slot.claim + "\"} can stand only for a value a comparison takes",
                   pointer + at};
    }
  }
  return out;
}

Result<BoundRule> bind_rule_filter(const RuleFilter& rule, const Json& claims, const TableDef& table, const Schema& schema) {
  BoundRule out;
  out.filter = rule.parsed;
  if (rule.slots.empty()) return out;
  SlotBinder binder(rule, claims, schema, out.missing);
  if (auto st = binder.node(out.filter, table); !st) return std::move(st).error();
  return out;
}

Result<RulePreset> compile_preset(const std::string& field, const Json& source, const std::string& pointer) {
  RulePreset p;
  p.field = field;
  if (uses_claims(source)) {
    // Decoded once with every claim absent: what is not a claim must decode.
    std::set<std::string> missing, used;
    if (auto v = preset_value(source, Json::object(), missing, used); !v) {
      return Error{ErrorCode::invalid_value, v.error().message, pointer + v.error().path.value_or("")};
    }
    p.source = source;
    return p;
  }
  auto v = value_from_json(source, pointer, ErrorCode::invalid_value);
  if (!v) return std::move(v).error();
  p.constant = std::move(v).value();
  return p;
}

Result<std::optional<Value>> bind_preset(const RulePreset& preset, const Json& claims, const TableDef& table,
                                         std::set<std::string>& missing) {
  if (preset.constant) return std::optional<Value>(*preset.constant);
  const Validator* type = table.field_type(preset.field);
  if (auto whole = claim_reference(preset.source); whole && type) {
    // The preset is one claim: typed as a comparison's operand is (integers exact).
    const Json* raw = claim_at(claims, *whole);
    if (!raw || raw->is_null()) {
      missing.insert(std::string(*whole));
      return std::optional<Value>();
    }
    auto v = typed_claim(*raw, *type);
    if (!v) return forbidden_claim(std::string(*whole), json_type(*type), "it is preset into " + table.name + "." + preset.field);
    return std::optional<Value>(std::move(*v));
  }
  std::set<std::string> needed, used;
  auto v = preset_value(preset.source, claims, needed, used);
  if (!v && v.error().code == ErrorCode::forbidden) return std::move(v).error();
  if (!v) return Error{ErrorCode::internal, "the preset of '" + preset.field + "' cannot be used", std::nullopt};
  if (!needed.empty()) {
    missing.insert(needed.begin(), needed.end());
    return std::optional<Value>();
  }
  if (type) {
    Value typed = std::move(v).value();
    if (!coerce_to(*type, typed)) {
      std::string names;
      for (const auto& n : used) names += (names.empty() ? "'" : ", '") + n + "'";
      return Error{ErrorCode::forbidden,
                   "the claim " + names + " of the caller's credentials must make " + table.name + "." + preset.field + " " +
                       json_type(*type) + "; the rule cannot use it",
                   std::nullopt};
    }
    return std::optional<Value>(std::move(typed));
  }
  return std::optional<Value>(std::move(v).value());
}

}  // namespace dc
