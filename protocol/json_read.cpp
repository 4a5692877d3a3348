#include "protocol/json_read.hpp"

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

struct DuplicateKey {
  std::string key;
  std::string path;
};

// Follows the parser's events to know where it is, and the keys seen in
// each open object.
class KeyTracker {
 public:
  bool on_event(Json::parse_event_t event, Json& parsed) {
    using E = Json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        element_starts();
        frames_.push_back(Frame{event == E::array_start, 0, {}, {}, {}});
        break;
      case E::object_end:
      case E::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case E::key: {
        Frame& f = frames_.back();
        const std::string& k = parsed.get_ref<const std::string&>();
        if (f.seen(k)) throw DuplicateKey{k, path_to(k)};
        f.key = k;
        break;
      }
      case E::value: element_starts(); break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    size_t elements;  // arrays: elements started so far
    std::string key;  // objects: the current member's key
    std::vector<std::string> few;
    std::unordered_set<std::string> many;
    bool seen(const std::string& k) {
      // Small objects (nearly all of them) are searched linearly.
      if (many.empty() && few.size() < 32) {
        for (const auto& s : few) {
          if (s == k) return true;
        }
        few.push_back(k);
        return false;
      }
      if (many.empty()) many.insert(few.begin(), few.end());
      return !many.insert(k).second;
    }
  };
  void element_starts() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().elements;
  }
  std::string path_to(const std::string& last) const {
    std::string p;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      p = f.array ? pointer_append(p, f.elements - 1) : pointer_append(p, f.key);
    }
    return pointer_append(p, last);
  }
  std::vector<Frame> frames_;
};

}  // namespace

Result<Json> read_json(std::string_view text, const JsonLimits& limits, std::string_view what, ErrorCode code) {
  auto fail = [&](std::string message, std::string path = "") { return Error{code, std::move(message), std::move(path)}; };
  if (text.size() > limits.max_bytes) {
    return fail(std::string(what) + " is " + std::to_string(text.size()) + " bytes, over the limit of " + std::to_string(limits.max_bytes));
  }
  if (deeper_than(text, limits.max_depth)) {
    return fail(std::string(what) + " is nested deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  try {
    if (!limits.refuse_duplicate_keys) return Json::parse(text);
    KeyTracker tracker;
    return Json::parse(text, [&tracker](int, Json::parse_event_t event, Json& parsed) { return tracker.on_event(event, parsed); });
  } catch (const DuplicateKey& d) {
    return fail(std::string(what) + " has the key '" + safe_text(d.key, 200) + "' twice in one object", d.path);
  } catch (const Json::exception& e) {
    return fail("malformed " + std::string(what) + ": " + safe_text(e.what(), 300));
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
