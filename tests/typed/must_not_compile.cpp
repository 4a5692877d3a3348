// What the typed API refuses at compile time. Each case is a pair: the
// line under `#if defined(CASE_x)` must fail to compile with the diagnostic
// named on its `// CASE` line, and the line under `#else` (its twin, the
// same code made right) must compile, so a case cannot pass by failing for
// an unrelated reason. tests/typed/must_not_compile.mjs compiles this file
// once with no case defined, then once per case.
#include <optional>
#include <string>
#include <vector>

#include "blog.hpp"
#include "drizzle_convex/client.hpp"

using namespace drizzle_convex::typed;
using namespace blog;

void cases(drizzle_convex::Client& client) {
  Db db;

  // ---- selecting -----------------------------------------------------------
  // CASE column_of_another_table: names a column of another table
#if defined(CASE_column_of_another_table)
  auto q1 = db.users.find_many(columns(users.name, posts.title));
#else
  auto q1 = db.users.find_many(columns(users.name, users.email));
#endif
  // CASE column_the_table_lacks: has no member named 'nickame'
#if defined(CASE_column_the_table_lacks)
  auto q2 = db.users.find_many(columns(users.nickame));
#else
  auto q2 = db.users.find_many(columns(users.nickname));
#endif
  // CASE relation_of_another_table: names a relation of another table
#if defined(CASE_relation_of_another_table)
  auto q3 = db.users.find_many(with(posts.author));
#else
  auto q3 = db.users.find_many(with(users.posts));
#endif
  // CASE relation_the_table_lacks: has no member named 'post'
#if defined(CASE_relation_the_table_lacks)
  auto q4 = db.users.find_many(with(users.post));
#else
  auto q4 = db.users.find_many(with(users.posts));
#endif
  // CASE column_listed_twice: a column is listed twice
#if defined(CASE_column_listed_twice)
  auto q5 = db.users.find_many(columns(users.name, users.name));
#else
  auto q5 = db.users.find_many(columns(users.name));
#endif
  // CASE columns_given_twice: may be given once
#if defined(CASE_columns_given_twice)
  auto q6 = db.users.find_many(columns(users.name), exclude(users.email));
#else
  auto q6 = db.users.find_many(exclude(users.email));
#endif

  // ---- reading what was selected ----------------------------------------------
  auto rows = client.query(db.users.find_many(columns(users.name, users.email), with(users.posts(columns(posts.title)))));
  // CASE field_not_selected: has no member named 'credits'
#if defined(CASE_field_not_selected)
  double c = rows->at(0).credits;
#else
  std::string c = rows->at(0).email;
#endif
  // CASE relation_not_loaded: has no member named 'profile'
#if defined(CASE_relation_not_loaded)
  auto p = rows->at(0).profile;
#else
  auto p = rows->at(0).posts;
#endif
  // CASE relation_level_columns_narrow: has no member named 'views'
#if defined(CASE_relation_level_columns_narrow)
  double v = rows->at(0).posts.at(0).views;
#else
  std::string v = rows->at(0).posts.at(0).title;
#endif
  auto narrowed = client.query(db.users.find_many(exclude(users.langs)));
  // CASE excluded_field: has no member named 'langs'
#if defined(CASE_excluded_field)
  auto l = narrowed->at(0).langs;
#else
  auto l = narrowed->at(0).credits;
#endif
  auto first = client.query(db.users.find_first(columns(users.name)));
  // CASE find_first_is_optional: has no member named 'name'
#if defined(CASE_find_first_is_optional)
  std::string f = first->name;
#else
  std::string f = first->value().name;
#endif
  // CASE row_field_type: to 'double' in initialization
#if defined(CASE_row_field_type)
  double n = rows->at(0).name;
#else
  std::string n = rows->at(0).name;
#endif

  // ---- filters and orders ---------------------------------------------------------
  // CASE compare_with_wrong_type: {aka 'const double&'} from expression of type 'const char*'
#if defined(CASE_compare_with_wrong_type)
  auto w1 = where(eq(users.credits, "x"));
#else
  auto w1 = where(eq(users.credits, 5));
#endif
  // CASE enum_column_takes_the_enum: {aka 'const blog::users_role&'} from expression of type 'const char*'
#if defined(CASE_enum_column_takes_the_enum)
  auto w2 = where(eq(users.role, "admin"));
#else
  auto w2 = where(eq(users.role, users_role::admin));
#endif
  // CASE id_of_another_table: {aka 'const drizzle_convex::typed::Id<blog::users_table>&'} from expression of type 'drizzle_convex::typed::Id<blog::posts_table>'
#if defined(CASE_id_of_another_table)
  auto w3 = where(eq(posts.authorId, Id<posts_table>("p1")));
#else
  auto w3 = where(eq(posts.authorId, Id<users_table>("u1")));
#endif
  // CASE like_on_a_number: no matching function for call to 'like
#if defined(CASE_like_on_a_number)
  auto w4 = where(like(users.credits, "1%"));
#else
  auto w4 = where(like(users.name, "A%"));
#endif
  // CASE is_null_on_a_required_field: no matching function for call to 'is_null
#if defined(CASE_is_null_on_a_required_field)
  auto w5 = where(is_null(users.email));
#else
  auto w5 = where(is_null(users.nickname));
#endif
  // CASE and_across_tables: no matching function for call to 'and_
#if defined(CASE_and_across_tables)
  auto w6 = where(and_(eq(users.name, "a"), eq(posts.title, "b")));
#else
  auto w6 = where(and_(eq(users.name, "a"), eq(users.email, "b")));
#endif
  // CASE where_on_another_table: names a column of another table
#if defined(CASE_where_on_another_table)
  auto q7 = db.users.find_many(where(eq(posts.published, true)));
#else
  auto q7 = db.posts.find_many(where(eq(posts.published, true)));
#endif
  // CASE relation_filter_on_the_wrong_table: from 'Predicate<blog::users_table>' to 'Predicate<blog::posts_table>'
#if defined(CASE_relation_filter_on_the_wrong_table)
  auto w7 = where(related(users.posts, eq(users.name, "a")));
#else
  auto w7 = where(related(users.posts, eq(posts.title, "a")));
#endif
  // CASE order_through_the_wrong_relation: no matching function for call to 'asc
#if defined(CASE_order_through_the_wrong_relation)
  auto o1 = order_by(asc(posts.author, posts.title));
#else
  auto o1 = order_by(asc(posts.author, users.name));
#endif
  // CASE find_first_takes_no_limit: find_first takes no limit
#if defined(CASE_find_first_takes_no_limit)
  auto q8 = db.users.find_first(limit(2));
#else
  auto q8 = db.users.find_first(offset(2));
#endif

  // ---- mutations ---------------------------------------------------------------------
  // CASE insert_needs_required_fields: use of deleted function
#if defined(CASE_insert_needs_required_fields)
  auto m1 = db.tags.insert(tags_insert{});
#else
  auto m1 = db.tags.insert(tags_insert{.name = "x"});
#endif
  // CASE insert_has_no_system_fields: has no non-static data member named '_id'
#if defined(CASE_insert_has_no_system_fields)
  auto m2 = db.tags.insert(tags_insert{._id = Id<tags_table>("t1"), .name = "x"});
#else
  auto m2 = db.tags.insert(tags_insert{.name = "x"});
#endif
  // CASE insert_value_type: could not convert
#if defined(CASE_insert_value_type)
  auto m3 = db.users.insert(users_insert{.name = "a", .email = "b", .role = users_role::member, .credits = "many", .langs = {"c"}});
#else
  auto m3 = db.users.insert(users_insert{.name = "a", .email = "b", .role = users_role::member, .credits = 3, .langs = {"c"}});
#endif
  // CASE returning_narrows: has no member named 'email'
#if defined(CASE_returning_narrows)
  auto r1 = client.mutate(m3.returning(columns(users._id))).value().at(0).email;
#else
  auto r1 = client.mutate(m3.returning(columns(users._id))).value().at(0)._id;
#endif
  // CASE returning_of_another_table: returning(...) names a column of another table
#if defined(CASE_returning_of_another_table)
  auto m4 = m3.returning(columns(posts.title));
#else
  auto m4 = m3.returning(columns(users.name));
#endif
  // CASE set_with_wrong_type: no match for 'operator='
#if defined(CASE_set_with_wrong_type)
  auto m5 = db.users.update().set(users.credits = "x").where(every_row(users));
#else
  auto m5 = db.users.update().set(users.credits = 1).where(every_row(users));
#endif
  // CASE set_of_another_table: set(...) takes assignments to this table's columns
#if defined(CASE_set_of_another_table)
  auto m6 = db.users.update().set(posts.title = "x").where(every_row(users));
#else
  auto m6 = db.users.update().set(users.name = "x").where(every_row(users));
#endif
  // CASE undefined_only_for_optional_fields: no match for 'operator='
#if defined(CASE_undefined_only_for_optional_fields)
  auto m7 = db.users.update().set(users.email = undefined).where(every_row(users));
#else
  auto m7 = db.users.update().set(users.nickname = undefined).where(every_row(users));
#endif
  // CASE update_needs_a_where: no matching function for call to 'drizzle_convex::Client::mutate
#if defined(CASE_update_needs_a_where)
  auto m8 = client.mutate(db.users.update().set(users.credits = 1));
#else
  auto m8 = client.mutate(db.users.update().set(users.credits = 1).where(every_row(users)));
#endif
  // CASE delete_needs_a_where: no matching function for call to 'drizzle_convex::Client::mutate
#if defined(CASE_delete_needs_a_where)
  auto m9 = client.mutate(db.tags.delete_());
#else
  auto m9 = client.mutate(db.tags.delete_().where(eq(tags.name, "x")));
#endif

  // ---- aggregates ----------------------------------------------------------
  // CASE sum_of_a_string_column: sum takes a column of float64 or int64 numbers
#if defined(CASE_sum_of_a_string_column)
  auto a1 = db.posts.aggregate(as<"s">(sum(posts.title)));
#else
  auto a1 = db.posts.aggregate(as<"s">(sum(posts.views)));
#endif
  // CASE aggregate_over_another_table: an aggregate's where, group_by and functions name this table's columns
#if defined(CASE_aggregate_over_another_table)
  auto a2 = db.posts.aggregate(group_by(users.role), as<"n">(count()));
#else
  auto a2 = db.posts.aggregate(group_by(posts.category), as<"n">(count()));
#endif
  // CASE group_by_twice: group_by names a column twice
#if defined(CASE_group_by_twice)
  auto a3 = db.posts.aggregate(group_by(posts.category, posts.category), as<"n">(count()));
#else
  auto a3 = db.posts.aggregate(group_by(posts.category, posts.published), as<"n">(count()));
#endif
  // CASE aggregate_takes_no_columns: aggregate takes where, group_by
#if defined(CASE_aggregate_takes_no_columns)
  auto a4 = db.posts.aggregate(columns(posts.title), as<"n">(count()));
#else
  auto a4 = db.posts.aggregate(where(eq(posts.published, true)), as<"n">(count()));
#endif

  (void)a1, (void)a2, (void)a3, (void)a4;
  (void)q1, (void)q2, (void)q3, (void)q4, (void)q5, (void)q6, (void)c, (void)p, (void)v, (void)l, (void)f, (void)n;
  (void)w1, (void)w2, (void)w3, (void)w4, (void)w5, (void)w6, (void)q7, (void)w7, (void)o1, (void)q8;
  (void)m1, (void)m2, (void)r1, (void)m4, (void)m5, (void)m6, (void)m7, (void)m8, (void)m9;
}
