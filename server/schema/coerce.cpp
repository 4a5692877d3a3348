#include "server/schema/coerce.hpp"

#include <cmath>

namespace dc {

bool coerce_to(const Validator& type, Value& v) {
  if (type.accepts(v)) return true;
  if (v.kind() == Value::Kind::float64 && type.admits_kind(Value::Kind::int64) &&
      !type.admits_kind(Value::Kind::float64)) {
    double d = v.as_float64();
    if (std::floor(d) == d && std::fabs(d) < 9.2e18) {
      Value as_int(static_cast<int64_t>(d));
      if (type.accepts(as_int)) {
        v = std::move(as_int);
        return true;
      }
    }
  }
  if (v.is_object() && type.kind == Validator::Kind::object) {
    Value copy = v;
    for (auto& [name, fv] : copy.as_object()) {
      for (const auto& f : type.fields) {
        if (f.name == name) {
          coerce_to(f.type, fv);
          break;
        }
      }
    }
    if (type.accepts(copy)) {
      v = std::move(copy);
      return true;
    }
    return false;
  }
  if (v.is_array()) {
    if (const Validator* elem = type.element()) {
      Value copy = v;
      for (auto& e : copy.as_array()) {
        if (!coerce_to(*elem, e)) return false;
      }
      if (type.accepts(copy)) {
        v = std::move(copy);
        return true;
      }
    }
  }
  return false;
}

}  // namespace dc
