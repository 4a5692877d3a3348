#include "protocol/json_read.hpp"

#include <memory>
#include <unordered_set>
#include <vector>

namespace dc {

namespace {

// The nesting of `text`, stopping as soon as it passes `max` (strings skipped).
bool deeper_than(std::string_view text, size_t max) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// Builds the tree from the parser's events (nlohmann's SAX interface) and
// refuses the second occurrence of a key in an object where it happens. A
// handler of our own rather than parse() with a callback: that one calls a
// std::function per token and keeps a copy of every key, a fifth of the
// cost of a small write's body.
class TreeBuilder {
 public:
  using string_t = Json::string_t;

  bool null() { return value(nullptr); }
  bool boolean(bool v) { return value(v); }
  bool number_integer(Json::number_integer_t v) { return value(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return value(v); }
  bool number_float(Json::number_float_t v, const string_t&) { return value(v); }
  bool string(string_t& v) { return value(std::move(v)); }
  bool binary(Json::binary_t& v) { return value(Json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& f = frames_.back();
    Json& object = *f.node;
    if (seen(f, object, k)) {
      duplicate = k;
      duplicate_path = pointer_append(path(frames_.size() - 1), k);
      return false;
    }
    // Known to be new: appended without ordered_map's own search, which
    // looks through every member and made one large object cost its size
    // squared (13 s for a 1 MB body of 100,000 keys).
    Json::object_t::Container& members = object.get_ref<Json::object_t&>();
    members.emplace_back(std::move(k), Json());
    member_ = &members.back().second;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const Json::exception& e) {
    error = e.what();
    return false;
  }

  Json root;
  std::optional<std::string> error;      // malformed: the parser's message
  std::optional<std::string> duplicate;  // the key given twice
  std::string duplicate_path;

 private:
  struct Frame {
    Json* node;
    // Objects past a few keys are searched through a set (a linear search
    // of each key would make one large object cost its size squared).
    std::unique_ptr<std::unordered_set<std::string>> many;
  };
  static constexpr size_t kLinearKeys = 32;

  static bool seen(Frame& f, const Json& object, const string_t& k) {
    if (!f.many) {
      if (object.size() < kLinearKeys) return object.contains(k);
      f.many = std::make_unique<std::unordered_set<std::string>>();
      for (const auto& [name, v] : object.items()) f.many->insert(name);
    }
    return !f.many->insert(k).second;
  }

  // Where the value being added goes: the root, the end of an array, or the
  // member whose key came last.
  template <class V>
  Json* place(V&& v) {
    if (frames_.empty()) {
      root = Json(std::forward<V>(v));
      return &root;
    }
    Json& parent = *frames_.back().node;
    if (parent.is_array()) {
      parent.emplace_back(std::forward<V>(v));
      return &parent.back();
    }
    *member_ = Json(std::forward<V>(v));
    return member_;
  }
  template <class V>
  bool value(V&& v) {
    place(std::forward<V>(v));
    return true;
  }
  bool open(Json empty) {
    frames_.push_back(Frame{place(std::move(empty)), nullptr});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }

  // The pointer of the open container at `depth`: an enclosing object's
  // member is its last (members keep their order), an array's its last element.
  std::string path(size_t depth) const {
    std::string p;
    for (size_t i = 0; i < depth; ++i) {
      const Json& node = *frames_[i].node;
      p = node.is_array() ? pointer_append(p, node.size() - 1)
                          : pointer_append(p, node.get_ref<const Json::object_t&>().back().first);
    }
    return p;
  }

  std::vector<Frame> frames_;
  Json* member_ = nullptr;
};

}  // namespace

namespace {

// The parser's message in our words: where and why, never the text it read.
// nlohmann's message starts with its exception's name and quotes what it
// last read ("; last read: '…'"), which in an auth file can be a secret.
std::string parser_reason(std::string_view message) {
  std::string where;
  if (size_t at = message.find("at line "); at != std::string_view::npos) {
    size_t colon = message.find(':', at);
    where = std::string(message.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
  }
  const char* why = message.find("unexpected end of input") != std::string_view::npos ? "the text ends before the JSON value does"
                    : message.find("number overflow") != std::string_view::npos    ? "a number is out of range"
                    : message.find("invalid string") != std::string_view::npos      ? "a string is not valid JSON (a control character, a bad escape or invalid UTF-8)"
                    : message.find("invalid literal") != std::string_view::npos     ? "a word that is not true, false or null"
                                                                                    : "text where no JSON may stand (a stray character, or a missing comma or bracket)";
  return safe_text(where.empty() ? std::string(why) : where + ": " + why, 300);
}

}  // namespace

Result<Json> read_json(std::string_view text, const JsonLimits& limits, std::string_view what, ErrorCode code) {
  auto fail = [&](std::string message, std::string path = "") { return Error{code, std::move(message), std::move(path)}; };
  if (text.size() > limits.max_bytes) {
    return fail(std::string(what) + " is " + std::to_string(text.size()) + " bytes, over the limit of " + std::to_string(limits.max_bytes));
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail("malformed " + std::string(what) + ": it is empty; send a JSON object");
  }
  if (deeper_than(text, limits.max_depth)) {
    return fail(std::string(what) + " is nested deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  try {
    TreeBuilder builder;
    if (Json::sax_parse(text, &builder)) return std::move(builder.root);
    if (builder.duplicate) {
      return fail(std::string(what) + " has the key '" + safe_text(*builder.duplicate, 200) + "' twice in one object",
                  builder.duplicate_path);
    }
    return fail("malformed " + std::string(what) + ": " + parser_reason(builder.error.value_or("unreadable")));
  } catch (const Json::exception& e) {
    return fail("malformed " + std::string(what) + ": " + parser_reason(e.what()));
  }
}

namespace {

// The length of the valid UTF-8 sequence starting at s[i], or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;                                     // overlong
  if (n == 3 && c == 0xE0 && b(i + 1) < 0xA0) return 0;                // overlong
  if (n == 3 && c == 0xED && b(i + 1) >= 0xA0) return 0;               // surrogate
  if (n == 4 && (c > 0xF4 || (c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) >= 0x90))) return 0;
  return n;
}

}  // namespace

std::string string_field(const Json& j, std::string_view key, std::string fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::optional<uint64_t> unsigned_field(const Json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer() && it->get<int64_t>() >= 0) return static_cast<uint64_t>(it->get<int64_t>());
  return std::nullopt;
}

std::string safe_text(std::string_view s, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  std::string out;
  out.reserve(std::min(s.size(), max_bytes) + 3);
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence(s, i);
    std::string_view piece = n ? s.substr(i, n) : kReplacement;
    if (out.size() + piece.size() > max_bytes) {
      out += kEllipsis;
      break;
    }
    out += piece;
    i += n ? n : 1;
  }
  return out;
}

}  // namespace dc
