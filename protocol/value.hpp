// Convex values: the types a Convex document can hold, plus `undefined`,
// which is not storable but is how a missing field sorts and compares
// (undefined < null < int64 < float64 < boolean < string < bytes < array < object).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dc {

struct Undefined {
  bool operator==(const Undefined&) const = default;
};
struct Null {
  bool operator==(const Null&) const = default;
};
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

class Value;
using Array = std::vector<Value>;
// Field order is kept as written, so documents read back as they were stored.
using Object = std::vector<std::pair<std::string, Value>>;

class Value {
 public:
  enum class Kind : uint8_t { undefined, null, int64, float64, boolean, string, bytes, array, object };

  Value() : v_(Undefined{}) {}
  Value(Null) : v_(Null{}) {}                           // NOLINT
  Value(std::nullptr_t) : v_(Null{}) {}                 // NOLINT
  Value(int64_t i) : v_(i) {}                           // NOLINT
  Value(double d) : v_(d) {}                            // NOLINT
  Value(bool b) : v_(b) {}                              // NOLINT
  Value(std::string s) : v_(std::move(s)) {}            // NOLINT
  Value(const char* s) : v_(std::string(s)) {}          // NOLINT
  Value(Bytes b) : v_(std::move(b)) {}                  // NOLINT
  Value(Array a) : v_(std::move(a)) {}                  // NOLINT
  Value(Object o) : v_(std::move(o)) {}                 // NOLINT

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::undefined; }
  bool is_null() const { return kind() == Kind::null; }
  // SQL's NULL: a null value or a missing field.
  bool is_nullish() const { return kind() <= Kind::null; }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }

  int64_t as_int64() const { return std::get<int64_t>(v_); }
  double as_float64() const { return std::get<double>(v_); }
  bool as_bool() const { return std::get<bool>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // A top-level field of an object value, or nullptr.
  const Value* field(std::string_view name) const;
  // Sets (or replaces) a field of an object value.
  void set_field(std::string name, Value value);

  bool operator==(const Value& other) const;

 private:
  std::variant<Undefined, Null, int64_t, double, bool, std::string, Bytes, Array, Object> v_;
};

// Convex's total order. Returns <0, 0, >0.
int compare(const Value& a, const Value& b);

// Follows a dotted path ("address.city") through nested objects; nullptr when
// any step is missing or not an object.
const Value* lookup_path(const Value& doc, std::string_view dotted);

// Name of a kind as Convex's validators spell it ("float64", "string", ...).
std::string_view kind_name(Value::Kind kind);

}  // namespace dc
