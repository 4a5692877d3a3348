// Typed values to and from the wire (protocol.md section 2). Each C++ type a
// generated header uses has a codec<T>: `encode` gives the wire JSON and
// `decode` reads it back or throws DecodeError with the JSON Pointer of the
// value that did not fit. Generated headers add codecs for their row structs,
// nested objects and enums.
//
// Null and absence: a field the validator marks optional is a std::optional
// whose nullopt means "missing"; a `T | null` type is a std::optional<T>
// whose nullopt means null. `score?: number | null` is therefore
// std::optional<std::optional<double>>: null goes to the inner optional,
// absence to the outer one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "drizzle_convex/value.hpp"

namespace drizzle_convex::typed {

// The id of a row of `Table`: one type per table, so a post's id cannot be
// passed where a user's is expected.
template <class Table>
struct Id {
  std::string value;
  Id() = default;
  explicit Id(std::string v) : value(std::move(v)) {}
  friend bool operator==(const Id&, const Id&) = default;
  friend auto operator<=>(const Id&, const Id&) = default;
};

// Where a value sits in an answer, kept as a chain on the stack and turned
// into a JSON Pointer only when decoding fails.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  Path child(std::string_view k) const { return Path{this, k, 0, false}; }
  Path item(std::size_t i) const { return Path{this, {}, i, true}; }
  std::string pointer() const {
    std::string here = parent ? parent->pointer() : std::string();
    if (!parent) return here;
    here += '/';
    if (is_index) return here + std::to_string(index);
    for (char c : key) {
      if (c == '~') here += "~0";
      else if (c == '/') here += "~1";
      else here += c;
    }
    return here;
  }
};

class DecodeError : public std::runtime_error {
 public:
  DecodeError(std::string pointer, const std::string& what)
      : std::runtime_error(what + (pointer.empty() ? std::string(" at the top") : " at " + pointer)),
        pointer_(std::move(pointer)) {}
  const std::string& pointer() const { return pointer_; }

 private:
  std::string pointer_;
};

[[noreturn]] inline void decode_fail(const Path& p, const std::string& expected, const Json& got) {
  throw DecodeError(p.pointer(), "expected " + expected + ", got " + got.dump().substr(0, 80));
}

template <class T>
inline constexpr bool dependent_false = false;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T, class = void>
struct codec {
  static_assert(dependent_false<T>, "drizzle_convex::typed: no codec for this type");
};

template <class T>
Json encode(const T& v) {
  return codec<T>::encode(v);
}
template <class T>
void decode(const Json& j, T& out, const Path& p) {
  codec<T>::decode(j, out, p);
}

template <>
struct codec<std::string> {
  static Json encode(const std::string& v) { return v; }
  static void decode(const Json& j, std::string& out, const Path& p) {
    if (!j.is_string()) decode_fail(p, "a string", j);
    out = j.get_ref<const std::string&>();
  }
};

template <>
struct codec<double> {
  static Json encode(double v) { return float64(v); }
  static void decode(const Json& j, double& out, const Path& p) {
    std::optional<double> d = as_float64(j);
    if (!d) decode_fail(p, "a number", j);
    out = *d;
  }
};

template <>
struct codec<bool> {
  static Json encode(bool v) { return v; }
  static void decode(const Json& j, bool& out, const Path& p) {
    if (!j.is_boolean()) decode_fail(p, "a boolean", j);
    out = j.get<bool>();
  }
};

template <>
struct codec<std::int64_t> {
  static Json encode(std::int64_t v) { return int64(v); }
  static void decode(const Json& j, std::int64_t& out, const Path& p) {
    std::optional<std::int64_t> i = as_int64(j);
    if (!i) decode_fail(p, "an int64 ({\"$integer\": ...})", j);
    out = *i;
  }
};

template <>
struct codec<std::vector<std::byte>> {
  static Json encode(const std::vector<std::byte>& v) {
    return bytes(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
  }
  static void decode(const Json& j, std::vector<std::byte>& out, const Path& p) {
    std::optional<std::string> raw = as_bytes(j);
    if (!raw) decode_fail(p, "bytes ({\"$bytes\": ...})", j);
    out.resize(raw->size());
    for (std::size_t i = 0; i < raw->size(); ++i) out[i] = static_cast<std::byte>((*raw)[i]);
  }
};

template <>
struct codec<std::nullptr_t> {
  static Json encode(std::nullptr_t) { return nullptr; }
  static void decode(const Json& j, std::nullptr_t& out, const Path& p) {
    if (!j.is_null()) decode_fail(p, "null", j);
    out = nullptr;
  }
};

// v.any(): kept as JSON.
template <>
struct codec<Json> {
  static Json encode(const Json& v) { return v; }
  static void decode(const Json& j, Json& out, const Path&) { out = j; }
};

template <class Table>
struct codec<Id<Table>> {
  static Json encode(const Id<Table>& v) { return v.value; }
  static void decode(const Json& j, Id<Table>& out, const Path& p) {
    if (!j.is_string()) decode_fail(p, "an id (a string)", j);
    out.value = j.get_ref<const std::string&>();
  }
};

// null ↔ nullopt. With optionals nested, null belongs to the innermost.
template <class T>
struct codec<std::optional<T>> {
  static Json encode(const std::optional<T>& v) { return v ? codec<T>::encode(*v) : Json(nullptr); }
  static void decode(const Json& j, std::optional<T>& out, const Path& p) {
    if (j.is_null()) {
      if constexpr (is_optional<T>::value) {
        out.emplace();
        codec<T>::decode(j, *out, p);
      } else {
        out.reset();
      }
      return;
    }
    out.emplace();
    codec<T>::decode(j, *out, p);
  }
};

template <class T>
struct codec<std::vector<T>> {
  static Json encode(const std::vector<T>& v) {
    Json a = Json::array();
    for (const T& x : v) a.push_back(codec<T>::encode(x));
    return a;
  }
  static void decode(const Json& j, std::vector<T>& out, const Path& p) {
    if (!j.is_array()) decode_fail(p, "an array", j);
    out.clear();
    out.resize(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) codec<T>::decode(j[i], out[i], p.item(i));
  }
};

// v.record(v.string(), T)
template <class T>
struct codec<std::map<std::string, T>> {
  static Json encode(const std::map<std::string, T>& v) {
    Json o = Json::object();
    for (const auto& [k, x] : v) o[k] = codec<T>::encode(x);
    return o;
  }
  static void decode(const Json& j, std::map<std::string, T>& out, const Path& p) {
    if (!j.is_object()) decode_fail(p, "an object", j);
    out.clear();
    for (auto it = j.begin(); it != j.end(); ++it) codec<T>::decode(it.value(), out[it.key()], p.child(it.key()));
  }
};

// A union of several types: the first alternative the value fits.
template <class... Ts>
struct codec<std::variant<Ts...>> {
  static Json encode(const std::variant<Ts...>& v) {
    return std::visit([](const auto& x) { return codec<std::decay_t<decltype(x)>>::encode(x); }, v);
  }
  static void decode(const Json& j, std::variant<Ts...>& out, const Path& p) {
    if (!(try_one<Ts>(j, out, p) || ...)) decode_fail(p, "a value of one of the union's types", j);
  }

 private:
  template <class T>
  static bool try_one(const Json& j, std::variant<Ts...>& out, const Path& p) {
    try {
      T x{};
      codec<T>::decode(j, x, p);
      out = std::move(x);
      return true;
    } catch (const DecodeError&) {
      return false;
    }
  }
};

// A union of string literals, generated as an enum; `Names` lists the
// literals in the enumerators' order.
template <class E, const auto& Names>
struct enum_codec {
  static Json encode(E v) { return std::string(Names[static_cast<std::size_t>(v)]); }
  static void decode(const Json& j, E& out, const Path& p) {
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      for (std::size_t i = 0; i < std::size(Names); ++i) {
        if (Names[i] == s) {
          out = static_cast<E>(i);
          return;
        }
      }
    }
    std::string expected = "one of";
    for (std::size_t i = 0; i < std::size(Names); ++i) expected += (i ? ", \"" : " \"") + std::string(Names[i]) + "\"";
    decode_fail(p, expected, j);
  }
};

// A required field must be given when a row is written: an insert struct
// that leaves it out does not compile (the default constructor is deleted).
template <class T>
class Required {
 public:
  Required() = delete;
  Required(T v) : v_(std::move(v)) {}  // NOLINT: implicit, so `.name = "Ada"` reads naturally
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, Required> &&
             !std::is_same_v<std::remove_cvref_t<U>, T>)
  Required(U&& u) : v_(std::forward<U>(u)) {}  // NOLINT
  // `.langs = {"en", "fr"}` for a list field.
  template <class V = T>
    requires(!std::is_same_v<V, std::string> && requires { typename V::value_type; })
  Required(std::initializer_list<typename V::value_type> items) : v_(items) {}  // NOLINT
  const T& get() const { return v_; }
  T& get() { return v_; }
  operator const T&() const { return v_; }  // NOLINT
  friend bool operator==(const Required&, const Required&) = default;

 private:
  T v_;
};

template <class T>
struct codec<Required<T>> {
  static Json encode(const Required<T>& v) { return codec<T>::encode(v.get()); }
};

// One field of an object: `Optional` is the validator's optional flag.
template <bool Optional, class T>
void decode_field(const Json& object, const char* key, T& out, const Path& p) {
  auto it = object.find(key);
  if constexpr (Optional) {
    if (it == object.end()) {
      out.reset();
      return;
    }
    out.emplace();
    decode(*it, *out, p.child(key));
  } else {
    if (it == object.end()) throw DecodeError(p.child(key).pointer(), "missing field");
    decode(*it, out, p.child(key));
  }
}

template <bool Optional, class T>
void encode_field(Json& object, const char* key, const T& v) {
  if constexpr (Optional) {
    if (v) object[key] = encode(*v);
  } else {
    object[key] = encode(v);
  }
}

inline void expect_object(const Json& j, const Path& p) {
  if (!j.is_object()) decode_fail(p, "an object", j);
}

}  // namespace drizzle_convex::typed
