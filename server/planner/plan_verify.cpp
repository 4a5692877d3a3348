#include "server/planner/plan_verify.hpp"

#include <algorithm>
#include <set>

#include "server/planner/plan_walk.hpp"

namespace dc {

namespace {

class Verifier {
 public:
  Verifier(const ReadPlan& plan, const Schema& schema) : plan_(plan), schema_(schema) {}

  Status run() {
    walk_accesses(plan_.root, [&](const TableAccess& a, AccessRole role) {
      if (failure_.empty()) access(a, role);
    });
    if (failure_.empty() && walked_ != plan_.accesses) {
      fail(plan_.root.access, "the plan numbers " + std::to_string(plan_.accesses) + " accesses but holds " + std::to_string(walked_));
    }
    if (failure_.empty()) steps(plan_.root);
    if (failure_.empty()) budget();
    if (failure_.empty() && plan_.op == ReadOp::aggregate) group();
    if (failure_.empty()) return Ok{};
    return Error{ErrorCode::internal, "plan verifier: " + failure_, path_};
  }

 private:
  void fail(const TableAccess& a, std::string what) {
    if (!failure_.empty()) return;
    failure_ = "access " + std::to_string(a.id) + " (" + a.table + "): " + std::move(what);
    path_ = a.path.empty() ? "/where" : a.path;
  }

  // An aggregate folds every row its root reads: nothing may stop it early.
  void group() {
    const TableAccess& a = plan_.root.access;
    const TableDef* t = schema_.table(a.table);
    if (a.limit || a.offset) return fail(a, "an aggregate's root stops early (limit or offset)");
    for (const auto& f : plan_.group.group_by) {
      if (!has_field(*t, f)) return fail(a, "it groups by '" + f + "', no field of the table");
    }
    for (const auto& term : plan_.group.terms) {
      if (!term.field.empty() && !has_field(*t, term.field)) return fail(a, "aggregate '" + term.name + "' reads '" + term.field + "', no field of the table");
    }
    if (plan_.group.limit && (*plan_.group.limit < 0 || static_cast<uint64_t>(*plan_.group.limit) > plan_.answer_rows)) {
      fail(a, "the groups' limit is outside 0 .. answer rows");
    }
  }

  bool has_field(const TableDef& t, const std::string& path) const {
    std::string top = path.substr(0, path.find('.'));
    return top == "_id" || top == "_creationTime" || t.field_type(top) != nullptr;
  }

  void access(const TableAccess& a, AccessRole role) {
    ++walked_;
    if (a.id >= plan_.accesses || !ids_.insert(a.id).second) return fail(a, "its id is numbered twice or out of range");
    const TableDef* t = schema_.table(a.table);
    if (!t) return fail(a, "no such table");
    for (const auto& k : a.key_fields) {
      if (!has_field(*t, k)) return fail(a, "it is looked up by '" + k + "', no field of the table");
    }
    bool lookup = !a.key_fields.empty();
    if (role == AccessRole::root && lookup && !a.driver) return fail(a, "the root is looked up by key, but nothing drives it");
    source(a, *t, a.source, lookup);
    for (const auto& f : a.served) filter(a, *t, f, true);
    if (a.post_filter) filter(a, *t, *a.post_filter, false);
    order(a, *t);
    if (a.limit && (*a.limit < 0 || static_cast<uint64_t>(*a.limit) > plan_.answer_rows)) fail(a, "its limit is outside 0 .. answer rows");
    if (a.offset < 0) fail(a, "its offset is negative");
    if (a.driver) driver(a);
  }

  // Each interval inside the index (keys no longer than the fields after a
  // lookup's key), lower ≤ upper, and the intervals in index order, disjoint.
  void source(const TableAccess& a, const TableDef& t, const Source& s, bool lookup) {
    switch (s.kind) {
      case Source::Kind::empty: return;
      case Source::Kind::search:
        if (!t.search_index(s.index)) fail(a, "search index '" + s.index + "' does not exist");
        return;
      case Source::Kind::get:
        if (lookup && a.key_fields != FieldList{"_id"}) fail(a, "a get is looked up by something other than _id");
        return;
      case Source::Kind::union_:
        if (s.branches.size() < 2) return fail(a, "a union has fewer than two branches");
        if (!a.post_filter) return fail(a, "a union re-checks its OR on every row, but there is no post-filter");
        for (const Source& b : s.branches) {
          if (b.kind != Source::Kind::get && b.kind != Source::Kind::index) return fail(a, "a union branch is neither a get nor an index range");
          source(a, t, b, false);
        }
        return;
      case Source::Kind::full_scan:
        if (s.index != kByCreationTime || !s.intervals.empty()) fail(a, "a full scan reads " + s.index + " with ranges");
        return;
      case Source::Kind::index: break;
    }
    const IndexDef* idx = t.index(s.index);
    if (!idx) return fail(a, "index '" + s.index + "' does not exist");
    std::vector<std::string> fields = idx->fields;
    fields.emplace_back("_creationTime");
    if (s.index_fields != fields) return fail(a, "the index fields differ from index '" + s.index + "'");
    if (lookup && !std::is_permutation(a.key_fields.begin(), a.key_fields.end(), idx->fields.begin(),
                                       idx->fields.begin() + static_cast<long>(std::min(a.key_fields.size(), idx->fields.size())))) {
      return fail(a, "index '" + s.index + "' is not led by the lookup key");
    }
    size_t room = fields.size() - (lookup ? a.key_fields.size() : 0);
    const Bound* prev_upper = nullptr;
    for (const Interval& iv : s.intervals) {
      for (const auto* b : {iv.lower ? &*iv.lower : nullptr, iv.upper ? &*iv.upper : nullptr}) {
        if (b && b->key.size() > room) return fail(a, "a range bound is longer than the index key");
      }
      if (iv.lower && iv.upper && prefix_compare(iv.lower->key, iv.upper->key) > 0) return fail(a, "a range's lower bound is above its upper");
      if (prev_upper && iv.lower && prefix_compare(prev_upper->key, iv.lower->key) > 0) {
        return fail(a, "ranges overlap or are out of index order");
      }
      prev_upper = iv.upper ? &*iv.upper : nullptr;
      if (!prev_upper && &iv != &s.intervals.back()) return fail(a, "a range open above is followed by another");
    }
  }

  // Compares two bound keys on their common prefix: a shorter key equal
  // there is a prefix bound and neither above nor below.
  static int prefix_compare(const std::vector<Value>& x, const std::vector<Value>& y) {
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
      if (int c = compare(x[i], y[i]); c != 0) return c;
    }
    return 0;
  }

  // Filters test only fields the rows hold; relation filters are planned.
  void filter(const TableAccess& a, const TableDef& t, const PlanFilter& f, bool served) {
    switch (f.kind) {
      case PlanFilter::Kind::cmp:
        if (!has_field(t, f.field)) fail(a, "a filter tests '" + f.field + "', no field of the table");
        return;
      case PlanFilter::Kind::exists:
        if (served) return fail(a, "an index range claims to answer a relation filter");
        if (!f.relation) fail(a, "a relation filter on '" + (f.relation_def ? f.relation_def->name : std::string("?")) + "' is not planned");
        return;
      default:
        for (const auto& c : f.children) filter(a, t, c, served);
    }
  }

  void order(const TableAccess& a, const TableDef& t) {
    if (a.user_order_keys > a.order.size()) return fail(a, "more requested order keys than order keys");
    if (a.order_paths.size() > a.order.size()) return fail(a, "more order paths than order keys");
    if (a.order_source == OrderSource::index_ties && (a.index_order_keys == 0 || a.index_order_keys > a.order.size())) {
      return fail(a, "an index-then-ties order gives " + std::to_string(a.index_order_keys) + " of " +
                         std::to_string(a.order.size()) + " order keys");
    }
    for (size_t i = 0; i < a.order.size(); ++i) {
      bool through = i < a.order_paths.size() && a.order_paths[i];
      if (through != !a.order[i].via.empty()) return fail(a, "order key " + std::to_string(i) + " and its relation path disagree");
      if (!through && !has_field(t, a.order[i].field)) return fail(a, "the order names '" + a.order[i].field + "', no field of the table");
    }
    bool ordered_source = a.source.kind == Source::Kind::index || a.source.kind == Source::Kind::full_scan ||
                          a.source.kind == Source::Kind::union_ || a.source.kind == Source::Kind::empty;
    if ((a.order_source == OrderSource::index || a.order_source == OrderSource::index_ties) && !ordered_source) {
      fail(a, "the order is said to come from an index the source does not read");
    }
  }

  // A driven access is looked up by keys its driver's rows give, as many as its key.
  void driver(const TableAccess& a) {
    const Driver& d = *a.driver;
    if (a.key_fields.empty()) return fail(a, "a driven access has no lookup key");
    if (!d.related.access.key_fields.empty() && !d.related.access.driver) {
      return fail(a, "the driver's related rows are a lookup that nothing drives");
    }
    if (d.junction) {
      if (d.junction_fields.size() != a.key_fields.size()) return fail(a, "the links give a different number of key fields than the lookup takes");
      if (d.related_fields.size() != d.junction->key_fields.size()) return fail(a, "the related rows give a different number of link keys");
    } else if (d.related_fields.size() != a.key_fields.size()) {
      fail(a, "the related rows give a different number of key fields than the lookup takes");
    }
  }

  // Every relation step pairs as many parent fields as its lookup's key.
  void steps(const ReadNode& root) {
    walk_accesses(root, [&](const TableAccess& a, AccessRole) {
      auto check = [&](const RelationStep& s) {
        size_t key = s.junction ? s.junction->key_fields.size() : s.node.access.key_fields.size();
        if (s.parent_fields.size() != key || key == 0) fail(a, "relation '" + s.name + "' pairs its parent's fields with a different key");
        if (s.junction && s.through_to.size() != s.node.access.key_fields.size()) fail(a, "relation '" + s.name + "' pairs its links with a different key");
      };
      if (a.post_filter) each_probe(*a.post_filter, check);
      for (const auto& p : a.order_paths) {
        if (p) for (const auto& s : p->steps) check(s);
      }
    });
    std::vector<const ReadNode*> todo{&root};
    while (!todo.empty() && failure_.empty()) {
      const ReadNode* n = todo.back();
      todo.pop_back();
      for (const auto& s : n->with) {
        size_t key = s.junction ? s.junction->key_fields.size() : s.node.access.key_fields.size();
        if (s.parent_fields.size() != key || key == 0) fail(s.node.access, "relation '" + s.name + "' pairs its parent's fields with a different key");
        todo.push_back(&s.node);
      }
      if (n->access.driver) todo.push_back(&n->access.driver->related);
    }
  }
  template <class F>
  static void each_probe(const PlanFilter& f, F& fn) {
    if (f.relation) fn(*f.relation);
    for (const auto& c : f.children) each_probe(c, fn);
  }

  // The plan's worst case fits the budget (or is unknown and enforced while
  // running), and bounds every access in it.
  void budget() {
    bool unknown = plan_.max_reads == kUnbounded;
    if (!unknown && plan_.max_reads > plan_.budget) return fail(plan_.root.access, "the plan may read more than its budget");
    if (unknown) {
      bool said = std::any_of(plan_.warnings.begin(), plan_.warnings.end(),
                              [](const std::string& w) { return w.find("enforced while the plan runs") != std::string::npos; });
      if (!said) fail(plan_.root.access, "the plan's reads are unbounded and nothing says the budget is enforced while it runs");
      return;
    }
    walk_accesses(plan_.root, [&](const TableAccess& a, AccessRole) {
      if (a.max_reads > plan_.max_reads) fail(a, "it may read more than the whole plan's bound");
    });
    if (plan_.answer_rows == 0 || plan_.answer_bytes == 0) fail(plan_.root.access, "an answer budget is zero");
  }

  const ReadPlan& plan_;
  const Schema& schema_;
  std::set<uint32_t> ids_;
  uint32_t walked_ = 0;
  std::string failure_;
  std::string path_;
};

}  // namespace

Status verify_plan(const ReadPlan& plan, const Schema& schema) { return Verifier(plan, schema).run(); }

}  // namespace dc
