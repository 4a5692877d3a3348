#include "protocol/value.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dc {

const Value* Value::field(std::string_view name) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == name) return &v;
  }
  return nullptr;
}

void Value::set_field(std::string name, Value value) {
  auto& obj = as_object();
  for (auto& [k, v] : obj) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  obj.emplace_back(std::move(name), std::move(value));
}

bool Value::operator==(const Value& other) const { return compare(*this, other) == 0; }

namespace {

// IEEE-754 total order (-NaN < -Inf < ... < -0 < +0 < ... < +Inf < NaN) as
// an unsigned key, the order Convex sorts float64 by.
uint64_t float_key(double d) {
  auto bits = std::bit_cast<uint64_t>(d);
  return (bits >> 63) ? ~bits : (bits | (uint64_t{1} << 63));
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_strings(const std::string& a, const std::string& b) {
  // UTF-8 byte order: compare as unsigned bytes.
  size_t n = std::min(a.size(), b.size());
  int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  if (c != 0) return c < 0 ? -1 : 1;
  return three_way(a.size(), b.size());
}

}  // namespace

int compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return three_way(static_cast<int>(a.kind()), static_cast<int>(b.kind()));
  switch (a.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::null: return 0;
    case Value::Kind::int64: return three_way(a.as_int64(), b.as_int64());
    case Value::Kind::float64: return three_way(float_key(a.as_float64()), float_key(b.as_float64()));
    case Value::Kind::boolean: return three_way(a.as_bool(), b.as_bool());
    case Value::Kind::string: return compare_strings(a.as_string(), b.as_string());
    case Value::Kind::bytes: return compare_strings(a.as_bytes().data, b.as_bytes().data);
    case Value::Kind::array: {
      const auto& x = a.as_array();
      const auto& y = b.as_array();
      size_t n = std::min(x.size(), y.size());
      for (size_t i = 0; i < n; ++i) {
        if (int c = compare(x[i], y[i])) return c;
      }
      return three_way(x.size(), y.size());
    }
    case Value::Kind::object: {
      // Objects compare as their (key, value) sequences sorted by key.
      auto sorted = [](const Object& o) {
        std::vector<const std::pair<std::string, Value>*> v;
        v.reserve(o.size());
        for (const auto& kv : o) v.push_back(&kv);
        std::sort(v.begin(), v.end(), [](auto* l, auto* r) { return compare_strings(l->first, r->first) < 0; });
        return v;
      };
      auto x = sorted(a.as_object());
      auto y = sorted(b.as_object());
      size_t n = std::min(x.size(), y.size());
      for (size_t i = 0; i < n; ++i) {
        if (int c = compare_strings(x[i]->first, y[i]->first)) return c;
        if (int c = compare(x[i]->second, y[i]->second)) return c;
      }
      return three_way(x.size(), y.size());
    }
  }
  return 0;
}

const Value* lookup_path(const Value& doc, std::string_view dotted) {
  const Value* cur = &doc;
  while (true) {
    auto dot = dotted.find('.');
    cur = cur->field(dotted.substr(0, dot));
    if (cur == nullptr || dot == std::string_view::npos) return cur;
    dotted.remove_prefix(dot + 1);
  }
}

std::string_view kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::undefined: return "undefined";
    case Value::Kind::null: return "null";
    case Value::Kind::int64: return "int64";
    case Value::Kind::float64: return "float64";
    case Value::Kind::boolean: return "boolean";
    case Value::Kind::string: return "string";
    case Value::Kind::bytes: return "bytes";
    case Value::Kind::array: return "array";
    case Value::Kind::object: return "object";
  }
  return "unknown";
}

}  // namespace dc
