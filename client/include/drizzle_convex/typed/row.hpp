// Result rows whose type follows from the query. A row inherits one
// `_member` per selected column and loaded relation, so `columns(users.name)`
// gives a row with a `name` field and nothing else; reading `row.email` then
// does not compile. Without `columns`, a row is the table's generated struct
// (users_row), extended by the relations `with` loads.
#pragma once

#include <optional>
#include <type_traits>
#include <vector>

#include "drizzle_convex/typed/codec.hpp"
#include "drizzle_convex/typed/schema.hpp"

namespace drizzle_convex::typed {

template <class Field>
using member_of = typename Field::template _member<typename Field::_member_type>;

template <class Field, class Row>
auto& field_of(Row& r) {
  return static_cast<member_of<Field>&>(r)._field();
}
template <class Field, class Row>
const auto& field_of(const Row& r) {
  return static_cast<const member_of<Field>&>(r)._field();
}

// Exactly the selected fields.
template <class... Fields>
struct row : member_of<Fields>... {};

// The table's whole row, plus loaded relations.
template <class Base, class... Relations>
struct extended : Base, member_of<Relations>... {};

template <class... Fields>
struct codec<row<Fields...>> {
  static Json encode(const row<Fields...>& r) {
    Json j = Json::object();
    (encode_field<Fields::_optional>(j, Fields::_key, field_of<Fields>(r)), ...);
    return j;
  }
  static void decode(const Json& j, row<Fields...>& r, const Path& p) {
    expect_object(j, p);
    (decode_field<Fields::_optional>(j, Fields::_key, field_of<Fields>(r), p), ...);
  }
};

template <class Base, class... Relations>
struct codec<extended<Base, Relations...>> {
  static Json encode(const extended<Base, Relations...>& r) {
    Json j = codec<Base>::encode(r);
    (encode_field<false>(j, Relations::_key, field_of<Relations>(r)), ...);
    return j;
  }
  static void decode(const Json& j, extended<Base, Relations...>& r, const Path& p) {
    codec<Base>::decode(j, static_cast<Base&>(r), p);
    (decode_field<false>(j, Relations::_key, field_of<Relations>(r), p), ...);
  }
};

}  // namespace drizzle_convex::typed
