// What Client and AsyncClient need to know of a typed request: its JSON, the
// type of its answer and how to read that answer. Typed reads and finished
// typed mutations (typed/query.hpp) model these concepts.
#pragma once

#include <concepts>
#include <functional>
#include <utility>

#include "drizzle_convex/result.hpp"
#include "drizzle_convex/value.hpp"

namespace drizzle_convex {

template <class Q>
concept TypedRequest = requires(const Q& q, const Json& data) {
  typename Q::result_type;
  { q.json() } -> std::convertible_to<const Json&>;
  { Q::decode(data) } -> std::same_as<Result<typename Q::result_type>>;
};

template <class Q>
concept TypedRead = TypedRequest<Q> && requires { requires Q::is_read; };

// An update or delete is a mutation only once it has a where: until then it
// is not `ready` and no client call accepts it.
template <class Q>
concept TypedMutation = TypedRequest<Q> && requires {
  requires !Q::is_read;
  requires Q::ready;
};

namespace detail {
// A live typed read: each full result decoded before `on_change` sees it;
// one that does not fit reaches `on_error` (BAD_ANSWER) and the watch goes on.
template <TypedRead Q>
std::function<void(const Json&)> typed_listener(std::function<void(const typename Q::result_type&)> on_change,
                                                std::function<void(const Error&)> on_error) {
  return [on_change = std::move(on_change), on_error = std::move(on_error)](const Json& data) {
    Result<typename Q::result_type> r = Q::decode(data);
    if (r) on_change(*r);
    else if (on_error) on_error(r.error());
  };
}
}  // namespace detail

}  // namespace drizzle_convex
