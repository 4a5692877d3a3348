#include "client/dcq/locate.hpp"

#include <algorithm>
#include <vector>

#include "drizzle_convex/value.hpp"

namespace dcq {

namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view t) : t_(t) {}
  size_t pos = 0;

  void skip_ws() {
    while (pos < t_.size() && (t_[pos] == ' ' || t_[pos] == '\n' || t_[pos] == '\r' || t_[pos] == '\t')) ++pos;
  }
  // Reads a string literal at pos (pos at the quote) and decodes it with
  // nlohmann, escapes and all; nullopt when it is not one.
  std::optional<std::string> string() {
    if (pos >= t_.size() || t_[pos] != '"') return std::nullopt;
    size_t start = pos;
    for (++pos; pos < t_.size() && t_[pos] != '"'; ++pos)
      if (t_[pos] == '\\') ++pos;
    if (pos >= t_.size()) return std::nullopt;
    ++pos;
    auto decoded = drizzle_convex::Json::parse(t_.substr(start, pos - start), nullptr, false);
    if (!decoded.is_string()) return std::nullopt;
    return decoded.get<std::string>();
  }
  // Skips one value; false on malformed text.
  bool skip_value() {
    skip_ws();
    if (pos >= t_.size()) return false;
    char c = t_[pos];
    if (c == '"') return string().has_value();
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos;
      skip_ws();
      if (pos < t_.size() && t_[pos] == close) {
        ++pos;
        return true;
      }
      for (;;) {
        if (c == '{') {
          skip_ws();
          if (!string()) return false;
          skip_ws();
          if (pos >= t_.size() || t_[pos] != ':') return false;
          ++pos;
        }
        if (!skip_value()) return false;
        skip_ws();
        if (pos >= t_.size()) return false;
        if (t_[pos] == ',') {
          ++pos;
          continue;
        }
        if (t_[pos] == close) {
          ++pos;
          return true;
        }
        return false;
      }
    }
    while (pos < t_.size() && std::string_view(",]} \n\r\t").find(t_[pos]) == std::string_view::npos) ++pos;
    return true;
  }
  char peek() {
    skip_ws();
    return pos < t_.size() ? t_[pos] : '\0';
  }

 private:
  std::string_view t_;
};

std::vector<std::string> tokens(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  size_t i = 1;
  while (i <= pointer.size()) {
    size_t slash = pointer.find('/', i);
    std::string_view raw = pointer.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    std::string tok;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '~' && k + 1 < raw.size()) {
        tok += raw[k + 1] == '1' ? '/' : '~';
        ++k;
      } else {
        tok += raw[k];
      }
    }
    out.push_back(std::move(tok));
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  return out;
}

}  // namespace

std::optional<std::pair<size_t, size_t>> locate(std::string_view text, std::string_view pointer) {
  Scanner s(text);
  s.skip_ws();
  size_t begin = s.pos;
  for (const auto& tok : tokens(pointer)) {
    char c = s.peek();
    if (c == '{') {
      ++s.pos;
      bool found = false;
      while (s.peek() == '"') {
        size_t key_at = s.pos;
        auto key = s.string();
        if (!key || s.peek() != ':') return std::nullopt;
        ++s.pos;
        if (*key == tok) {
          begin = key_at;
          s.skip_ws();
          found = true;
          break;
        }
        if (!s.skip_value()) return std::nullopt;
        if (s.peek() == ',') ++s.pos;
      }
      if (!found) return std::nullopt;
    } else if (c == '[') {
      ++s.pos;
      size_t index = 0;
      try {
        index = std::stoul(tok);
      } catch (...) {
        return std::nullopt;
      }
      for (size_t k = 0; k < index; ++k) {
        if (!s.skip_value() || s.peek() != ',') return std::nullopt;
        ++s.pos;
      }
      s.skip_ws();
      begin = s.pos;
    } else {
      return std::nullopt;
    }
  }
  s.skip_ws();
  if (!s.skip_value()) return std::nullopt;
  return std::pair{begin, s.pos};
}

std::string point_at(std::string_view text, std::pair<size_t, size_t> span) {
  size_t line_start = text.rfind('\n', span.first == 0 ? 0 : span.first - 1);
  line_start = (line_start == std::string_view::npos || span.first == 0) ? 0 : line_start + 1;
  if (text.substr(0, span.first).find('\n') == std::string_view::npos) line_start = 0;
  size_t line_end = text.find('\n', span.first);
  if (line_end == std::string_view::npos) line_end = text.size();
  size_t end = std::min(span.second, line_end);
  std::string_view line = text.substr(line_start, line_end - line_start);
  std::string out = "  " + std::string(line) + "\n  ";
  out += std::string(span.first - line_start, ' ');
  out += std::string(std::max<size_t>(1, end - span.first), '^');
  return out;
}

}  // namespace dcq
