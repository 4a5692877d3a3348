#include "server/planner/filter_normalize.hpp"

#include <algorithm>
#include <optional>

namespace dc {

namespace {

std::optional<CmpOp> complement(CmpOp op) {
  switch (op) {
    case CmpOp::eq: return CmpOp::ne;
    case CmpOp::ne: return CmpOp::eq;
    case CmpOp::gt: return CmpOp::lte;
    case CmpOp::lte: return CmpOp::gt;
    case CmpOp::gte: return CmpOp::lt;
    case CmpOp::lt: return CmpOp::gte;
    case CmpOp::in: return CmpOp::not_in;
    case CmpOp::not_in: return CmpOp::in;
    case CmpOp::is_null: return CmpOp::is_not_null;
    case CmpOp::is_not_null: return CmpOp::is_null;
    case CmpOp::like: return CmpOp::not_like;
    case CmpOp::not_like: return CmpOp::like;
    case CmpOp::ilike: return CmpOp::not_ilike;
    case CmpOp::not_ilike: return CmpOp::ilike;
    case CmpOp::between: return CmpOp::not_between;
    case CmpOp::not_between: return CmpOp::between;
    default: return std::nullopt;
  }
}

PlanFilter constant(bool v, std::string path) {
  PlanFilter f;
  f.kind = PlanFilter::Kind::constant;
  f.constant = v;
  f.path = std::move(path);
  return f;
}

void sort_unique(Array& values) {
  std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  values.erase(std::unique(values.begin(), values.end(), [](const Value& a, const Value& b) { return compare(a, b) == 0; }),
               values.end());
}

PlanFilter negate(PlanFilter f);

PlanFilter normalize_cmp(PlanFilter f) {
  if (f.op == CmpOp::in || f.op == CmpOp::not_in) {
    sort_unique(f.arg.as_array());
    if (f.arg.as_array().empty()) return constant(f.op == CmpOp::not_in, f.path);
    if (f.op == CmpOp::in && f.arg.as_array().size() == 1 && !f.arg.as_array()[0].is_null()) {
      f.op = CmpOp::eq;
      f.arg = Value(f.arg.as_array()[0]);
    }
  }
  return f;
}

PlanFilter negate(PlanFilter f) {
  switch (f.kind) {
    case PlanFilter::Kind::constant: f.constant = !f.constant; return f;
    case PlanFilter::Kind::not_: return normalize_filter(std::move(f.children[0]));
    case PlanFilter::Kind::exists: f.negate = !f.negate; return f;
    case PlanFilter::Kind::and_:
    case PlanFilter::Kind::or_: {
      // De Morgan holds in Kleene's three-valued logic.
      f.kind = f.kind == PlanFilter::Kind::and_ ? PlanFilter::Kind::or_ : PlanFilter::Kind::and_;
      for (auto& c : f.children) c = negate(std::move(c));
      return normalize_filter(std::move(f));
    }
    case PlanFilter::Kind::cmp:
      if (auto op = complement(f.op)) {
        f.op = *op;
        return normalize_cmp(std::move(f));
      }
      break;
  }
  PlanFilter n;
  n.kind = PlanFilter::Kind::not_;
  n.path = f.path;
  n.children.push_back(std::move(f));
  return n;
}

// (f = a) OR (f = b) OR (f in [c]) → f in [a, b, c]: the same under 3VL.
void merge_equalities(PlanFilter& f) {
  std::vector<PlanFilter> out;
  for (auto& c : f.children) {
    bool is_eq = c.kind == PlanFilter::Kind::cmp && (c.op == CmpOp::eq || c.op == CmpOp::in);
    if (is_eq) {
      auto it = std::find_if(out.begin(), out.end(), [&](const PlanFilter& o) {
        return o.kind == PlanFilter::Kind::cmp && (o.op == CmpOp::eq || o.op == CmpOp::in) && o.field == c.field;
      });
      if (it != out.end()) {
        if (it->op == CmpOp::eq) {
          Array a{it->arg};
          it->arg = Value(std::move(a));
          it->op = CmpOp::in;
        }
        if (c.op == CmpOp::eq) {
          it->arg.as_array().push_back(c.arg);
        } else {
          for (auto& v : c.arg.as_array()) it->arg.as_array().push_back(v);
        }
        *it = normalize_cmp(std::move(*it));
        continue;
      }
    }
    out.push_back(std::move(c));
  }
  f.children = std::move(out);
}

}  // namespace

PlanFilter normalize_filter(PlanFilter f) {
  switch (f.kind) {
    case PlanFilter::Kind::constant: return f;
    case PlanFilter::Kind::cmp: return normalize_cmp(std::move(f));
    case PlanFilter::Kind::exists:
      if (!f.children.empty()) f.children[0] = normalize_filter(std::move(f.children[0]));
      return f;
    case PlanFilter::Kind::not_: return negate(normalize_filter(std::move(f.children[0])));
    case PlanFilter::Kind::and_:
    case PlanFilter::Kind::or_: {
      bool is_and = f.kind == PlanFilter::Kind::and_;
      std::vector<PlanFilter> flat;
      for (auto& c : f.children) {
        PlanFilter n = normalize_filter(std::move(c));
        if (n.kind == f.kind) {
          for (auto& g : n.children) flat.push_back(std::move(g));
        } else if (n.kind == PlanFilter::Kind::constant) {
          if (n.constant != is_and) return constant(!is_and, f.path);  // AND with false, OR with true
        } else {
          flat.push_back(std::move(n));
        }
      }
      f.children = std::move(flat);
      if (!is_and) merge_equalities(f);
      if (f.children.empty()) return constant(is_and, f.path);
      if (f.children.size() == 1) return std::move(f.children[0]);
      return f;
    }
  }
  return f;
}

bool never_true(const PlanFilter& c) {
  if (c.kind != PlanFilter::Kind::cmp || (c.op != CmpOp::in && c.op != CmpOp::not_in)) return false;
  const Array& list = c.arg.as_array();
  auto is_null = [](const Value& v) { return v.is_null(); };
  return c.op == CmpOp::in ? std::all_of(list.begin(), list.end(), is_null) : std::any_of(list.begin(), list.end(), is_null);
}

std::vector<const PlanFilter*> conjuncts(const PlanFilter& f) {
  std::vector<const PlanFilter*> out;
  if (f.kind == PlanFilter::Kind::and_) {
    for (const auto& c : f.children) out.push_back(&c);
  } else if (!(f.kind == PlanFilter::Kind::constant && f.constant)) {
    out.push_back(&f);
  }
  return out;
}

}  // namespace dc
