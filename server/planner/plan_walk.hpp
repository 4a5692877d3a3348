// One walk over every access of a read plan, in one fixed order (the order
// access ids are numbered in): an access, the relations its filters probe,
// the relations its order reads through, its driver (related rows, then
// links); then its node's `with` steps (links, then targets). Every pass
// that visits accesses (numbering, warnings, read sets, the verifier) uses
// it, so none can miss a part the others see.
#pragma once

#include <type_traits>

#include "server/planner/plan.hpp"

namespace dc {

// What an access reads for.
enum class AccessRole {
  root,            // the query's own rows
  with_target,     // rows loaded by `with`
  junction,        // links of a many-to-many relation
  exists_probe,    // rows a relation filter tests for
  order_path,      // rows an order key is read through
  driver_related,  // rows a relation filter finds first, to look this access up by
};

namespace plan_walk_detail {

template <bool Const, class T>
using Ref = std::conditional_t<Const, const T&, T&>;

template <bool Const, class Visit>
struct Walker {
  Visit& visit;

  void node(Ref<Const, ReadNode> n, AccessRole role) {
    access(n.access, role);
    for (auto& s : n.with) step(s, AccessRole::with_target);
  }
  void step(Ref<Const, RelationStep> s, AccessRole role) {
    if (s.junction) access(*s.junction, AccessRole::junction);
    node(s.node, role);
  }
  void filter(Ref<Const, PlanFilter> f) {
    if (f.relation) step(*f.relation, AccessRole::exists_probe);
    for (auto& c : f.children) filter(c);
  }
  void access(Ref<Const, TableAccess> a, AccessRole role) {
    visit(a, role);
    if (a.post_filter) filter(*a.post_filter);
    for (auto& f : a.served) filter(f);
    for (auto& path : a.order_paths) {
      if (!path) continue;
      for (auto& s : path->steps) step(s, AccessRole::order_path);
    }
    if (a.driver) {
      node(a.driver->related, AccessRole::driver_related);
      if (a.driver->junction) access(*a.driver->junction, AccessRole::junction);
    }
  }
};

}  // namespace plan_walk_detail

// visit(TableAccess&, AccessRole) for every access under `root`; const
// when `root` is.
template <class Node, class Visit>
void walk_accesses(Node& root, Visit&& visit) {
  constexpr bool is_const = std::is_const_v<Node>;
  plan_walk_detail::Walker<is_const, std::remove_reference_t<Visit>> w{visit};
  w.node(root, AccessRole::root);
}

}  // namespace dc
