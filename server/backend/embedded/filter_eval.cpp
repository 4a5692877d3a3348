#include "server/backend/embedded/filter_eval.hpp"

#include <clocale>
#include <cwctype>
#include <locale.h>

namespace dc {

namespace {

std::u32string decode_utf8(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; n = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; n = 3; }
    else { cp = c & 0x07; n = 4; }
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += n;
  }
  return out;
}

void encode_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

locale_t utf8_locale() {
  // glibc's built-in C.UTF-8 carries Unicode's simple case mappings.
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

char32_t lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  locale_t loc = utf8_locale();
  return loc ? static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), loc)) : c;
}

bool match_points(const std::u32string& t, const std::u32string& p) {
  // Iterative wildcard matching with one backtrack point: O(|t|·|p|) worst case,
  // no regex built from user input.
  size_t ti = 0, pi = 0, star_p = std::u32string::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == U'%') {
      star_p = pi++;
      star_t = ti;
      continue;
    }
    if (pi < p.size()) {
      char32_t pc = p[pi];
      bool escaped = false;
      if (pc == U'\\' && pi + 1 < p.size()) {
        pc = p[pi + 1];
        escaped = true;
      }
      if ((!escaped && pc == U'_') || pc == t[ti]) {
        pi += escaped ? 2 : 1;
        ++ti;
        continue;
      }
    }
    if (star_p == std::u32string::npos) return false;
    pi = star_p + 1;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == U'%') ++pi;
  return pi == p.size();
}

Truth from_bool(bool b) { return b ? Truth::true_ : Truth::false_; }

Truth eval_cmp(const PlanFilter& f, const Value& doc, uint64_t* matched_bytes) {
  const Value* v = lookup_path(doc, f.field);
  bool nullish = v == nullptr || v->is_nullish();
  if (f.op == CmpOp::is_null) return from_bool(nullish);
  if (f.op == CmpOp::is_not_null) return from_bool(!nullish);
  if (nullish) return Truth::unknown;
  switch (f.op) {
    case CmpOp::eq: return from_bool(compare(*v, f.arg) == 0);
    case CmpOp::ne: return from_bool(compare(*v, f.arg) != 0);
    case CmpOp::gt: return from_bool(compare(*v, f.arg) > 0);
    case CmpOp::gte: return from_bool(compare(*v, f.arg) >= 0);
    case CmpOp::lt: return from_bool(compare(*v, f.arg) < 0);
    case CmpOp::lte: return from_bool(compare(*v, f.arg) <= 0);
    case CmpOp::in:
    case CmpOp::not_in: {
      bool has_null = false;
      for (const auto& e : f.arg.as_array()) {
        if (e.is_null()) has_null = true;
        else if (compare(*v, e) == 0) return from_bool(f.op == CmpOp::in);
      }
      if (has_null) return Truth::unknown;  // x IN (.., NULL) is unknown when nothing matched
      return from_bool(f.op == CmpOp::not_in);
    }
    case CmpOp::between:
    case CmpOp::not_between: {
      const auto& b = f.arg.as_array();
      bool inside = compare(*v, b[0]) >= 0 && compare(*v, b[1]) <= 0;
      return from_bool(inside == (f.op == CmpOp::between));
    }
    case CmpOp::like:
    case CmpOp::ilike:
    case CmpOp::not_like:
    case CmpOp::not_ilike: {
      if (!v->is_string()) return Truth::false_;
      if (matched_bytes) *matched_bytes += v->as_string().size();
      bool fold = f.op == CmpOp::ilike || f.op == CmpOp::not_ilike;
      bool m = like_match(v->as_string(), f.arg.as_string(), fold);
      return from_bool(m == (f.op == CmpOp::like || f.op == CmpOp::ilike));
    }
    case CmpOp::starts_with: return from_bool(v->is_string() && v->as_string().starts_with(f.arg.as_string()));
    case CmpOp::ends_with: return from_bool(v->is_string() && v->as_string().ends_with(f.arg.as_string()));
    case CmpOp::contains:
      if (matched_bytes && v->is_string()) *matched_bytes += v->as_string().size();
      return from_bool(v->is_string() && v->as_string().find(f.arg.as_string()) != std::string::npos);
    case CmpOp::array_contains:
    case CmpOp::array_contained:
    case CmpOp::array_overlaps: {
      if (!v->is_array()) return Truth::false_;
      const auto& have = v->as_array();
      const auto& want = f.arg.as_array();
      auto in = [](const Array& a, const Value& x) {
        for (const auto& e : a) {
          if (compare(e, x) == 0) return true;
        }
        return false;
      };
      if (f.op == CmpOp::array_contains) {
        for (const auto& w : want) {
          if (!in(have, w)) return Truth::false_;
        }
        return Truth::true_;
      }
      if (f.op == CmpOp::array_contained) {
        for (const auto& h : have) {
          if (!in(want, h)) return Truth::false_;
        }
        return Truth::true_;
      }
      for (const auto& w : want) {
        if (in(have, w)) return Truth::true_;
      }
      return Truth::false_;
    }
    default: return Truth::unknown;
  }
}

}  // namespace

std::string fold_case(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : decode_utf8(s)) encode_utf8(lower(c), out);
  return out;
}

bool like_match(const std::string& text, const std::string& pattern, bool fold) {
  std::u32string t = decode_utf8(text);
  std::u32string p = decode_utf8(pattern);
  if (fold) {
    for (auto& c : t) c = lower(c);
    for (auto& c : p) c = lower(c);
  }
  return match_points(t, p);
}

Truth eval_filter(const PlanFilter& f, const Value& doc, const ExistsFn& exists, uint64_t* matched_bytes) {
  switch (f.kind) {
    case PlanFilter::Kind::constant: return from_bool(f.constant);
    case PlanFilter::Kind::cmp: return eval_cmp(f, doc, matched_bytes);
    case PlanFilter::Kind::exists: return from_bool(exists(*f.relation, doc) != f.negate);
    case PlanFilter::Kind::not_: {
      Truth t = eval_filter(f.children[0], doc, exists, matched_bytes);
      return t == Truth::unknown ? t : from_bool(t == Truth::false_);
    }
    case PlanFilter::Kind::and_: {
      Truth acc = Truth::true_;
      for (const auto& c : f.children) {
        Truth t = eval_filter(c, doc, exists, matched_bytes);
        if (t == Truth::false_) return t;
        if (t == Truth::unknown) acc = t;
      }
      return acc;
    }
    case PlanFilter::Kind::or_: {
      Truth acc = Truth::false_;
      for (const auto& c : f.children) {
        Truth t = eval_filter(c, doc, exists, matched_bytes);
        if (t == Truth::true_) return t;
        if (t == Truth::unknown) acc = t;
      }
      return acc;
    }
  }
  return Truth::unknown;
}

}  // namespace dc
