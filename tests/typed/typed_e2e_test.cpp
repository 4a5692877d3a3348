// The typed API against a running server, through the generated header of
// the blog fixture (tests/typed/golden/blog.hpp, the golden that
// typed_goldens regenerates). tests/e2e/typed.test.mjs starts:
//   DC_URL       a proxy on the embedded engine with the blog fixture
//   DC_AUTH_URL  the same with the blog's auth file; DC_AUTH_TOKEN a user's token
// The static_asserts are part of the test: they state the result types a
// user would write down.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <type_traits>

#include "blog.hpp"
#include "drizzle_convex/async_client.hpp"
#include "drizzle_convex/client.hpp"

using namespace drizzle_convex::typed;
using namespace blog;
using drizzle_convex::Client;
using drizzle_convex::Result;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

template <class T>
std::string why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().describe();
}

template <class Q>
using row_of = typename Q::result_type::value_type;

Db db;

// Does a row type have this field? (A requires-expression must depend on a
// template parameter to answer false instead of failing to compile.)
#define HAS_FIELD(field) \
  template <class T>     \
  concept has_##field = requires(T t) { t.field; };
HAS_FIELD(role)
HAS_FIELD(_id)
HAS_FIELD(email)
HAS_FIELD(langs)
HAS_FIELD(name)

}  // namespace

TEST_CASE("columns and with decide the row type; the values decode exactly") {
  Client client({.url = env("DC_URL")});
  auto q = db.users.find_many(columns(users.name, users.email), with(users.posts(order_by(desc(posts.views)), limit(2))),
                              where(eq(users.role, users_role::admin)), order_by(asc(users.name)));
  using R = row_of<decltype(q)>;
  static_assert(std::is_same_v<decltype(R::name), std::string>);
  static_assert(std::is_same_v<decltype(R::posts), std::vector<posts_row>>);
  static_assert(!has_role<R>, "a column that was not selected is not in the row");
  static_assert(!has__id<R>);

  Result<std::vector<R>> rows = client.query(q);
  REQUIRE_MESSAGE(rows.ok(), why(rows));
  REQUIRE(rows->size() == 2);
  CHECK(rows->at(0).name == "Ada Lovelace");
  CHECK(rows->at(0).email == "ada@x.io");
  REQUIRE(rows->at(0).posts.size() == 2);
  CHECK(rows->at(0).posts[0].title == "Notes on the Engine");
  CHECK(rows->at(0).posts[0].views == 500);
  CHECK(rows->at(0).posts[0].authorId == Id<users_table>("u1"));
  CHECK(rows->at(1).name == "Edsger Dijkstra");
}

TEST_CASE("a whole row: enums, nested objects, null against missing, int64, unions") {
  Client client({.url = env("DC_URL")});
  auto first = [&](const char* email) {
    auto r = client.query(db.users.find_first(where(eq(users.email, email))));
    static_assert(std::is_same_v<decltype(r), Result<std::optional<users_row>>>);
    REQUIRE_MESSAGE(r.ok(), why(r));
    REQUIRE(r->has_value());
    return **r;
  };
  users_row ada = first("ada@x.io");
  CHECK(ada._id == Id<users_table>("u1"));
  CHECK(ada._creationTime == 1000);
  CHECK(ada.role == users_role::admin);
  REQUIRE(ada.address.has_value());
  CHECK(ada.address->city == "Paris");
  CHECK(ada.langs == std::vector<std::string>{"c", "cpp"});
  CHECK(ada.nickname == std::optional<std::optional<std::string>>(std::string("ace")));
  CHECK(ada.score == std::optional<std::optional<double>>(10.0));
  CHECK(ada.balance == std::int64_t{1000});
  REQUIRE(ada.code.has_value());
  CHECK(std::get<std::string>(*ada.code) == "x");

  users_row grace = first("grace@x.io");
  CHECK(grace.role == users_role::editor);
  REQUIRE(grace.score.has_value());  // present, and null
  CHECK_FALSE(grace.score->has_value());
  CHECK(grace.balance == std::int64_t{-1});
  CHECK(std::get<double>(*grace.code) == 5);
  CHECK_FALSE(grace.nickname.has_value());  // missing

  users_row alan = first("alan@x.io");
  CHECK_FALSE(alan.score.has_value());  // missing
  REQUIRE(alan.nickname.has_value());   // present, and null
  CHECK_FALSE(alan.nickname->has_value());
  CHECK_FALSE(alan.address.has_value());

  auto none = client.query(db.users.find_first(where(eq(users.email, "nobody@x.io"))));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("one, many and through relations, with their own columns and nesting") {
  Client client({.url = env("DC_URL")});
  auto q = db.posts.find_first(where(eq(posts._id, Id<posts_table>("p1"))),
                               with(posts.author(columns(users.name), with(users.profile)), posts.tags(order_by(asc(tags.name))),
                                    posts.comments(columns(comments.body), limit(1))));
  using R = decltype(q)::result_type::value_type;
  static_assert(std::is_base_of_v<posts_row, R>, "without columns a row is the whole row, extended");
  using Author = decltype(R::author)::value_type;
  static_assert(std::is_same_v<decltype(R::author), std::optional<Author>>, "a one relation is a row or null");
  static_assert(std::is_same_v<decltype(Author::name), std::string>);
  static_assert(!has_email<Author>);
  static_assert(std::is_same_v<decltype(Author::profile), std::optional<profiles_row>>);

  auto r = client.query(q);
  REQUIRE_MESSAGE(r.ok(), why(r));
  REQUIRE(r->has_value());
  const R& post = **r;
  CHECK(post.title == "Notes on the Engine");
  REQUIRE(post.author.has_value());
  CHECK(post.author->name == "Ada Lovelace");
  REQUIRE(post.author->profile.has_value());
  CHECK(post.author->profile->bio == "Analyst");
  CHECK_FALSE(post.tags.empty());
  for (size_t i = 1; i < post.tags.size(); ++i) CHECK(post.tags[i - 1].name <= post.tags[i].name);
  CHECK(post.comments.size() <= 1);
}

TEST_CASE("exclude narrows the row; filters and orders are typed") {
  Client client({.url = env("DC_URL")});
  auto q = db.users.find_many(exclude(users.langs, users.address, users.code),
                              where(or_(array_contains(users.langs, {"c"}), between(users.credits, 140, 160))),
                              order_by(desc(users.credits)));
  using R = row_of<decltype(q)>;
  static_assert(!has_langs<R>);
  static_assert(std::is_same_v<decltype(R::credits), double>);
  auto rows = client.query(q);
  REQUIRE_MESSAGE(rows.ok(), why(rows));
  std::vector<std::string> names;
  for (const auto& row : *rows) names.push_back(row.name);
  CHECK(names == std::vector<std::string>{"Edsger Dijkstra", "Ken Thompson", "Ada Lovelace", "Donald Knuth"});

  auto counted = client.query(db.users.count(where(and_(in_(users.role, {users_role::member, users_role::editor}),
                                                         is_not_null(users.nickname), ilike(users.name, "%a%")))));
  static_assert(std::is_same_v<decltype(counted), Result<std::int64_t>>);
  REQUIRE_MESSAGE(counted.ok(), why(counted));
  CHECK(*counted == 1);  // Barbara Liskov ("babs"); Alan's nickname is null

  auto writers = client.query(db.users.find_many(columns(users.name), where(related(users.posts, eq(posts.published, false))),
                                                 order_by(desc(users.posts, Aggregate::count), asc(users.name))));
  REQUIRE_MESSAGE(writers.ok(), why(writers));
  REQUIRE_FALSE(writers->empty());
  CHECK(writers->at(0).name == "Ada Lovelace");

  auto by_author = client.query(db.posts.find_many(columns(posts.title), order_by(asc(posts.author, users.name), desc(posts.views)), limit(1)));
  REQUIRE_MESSAGE(by_author.ok(), why(by_author));
  REQUIRE(by_author->size() == 1);
  CHECK(by_author->at(0).title == "Notes on the Engine");
}

TEST_CASE("paginate: typed pages until isDone") {
  Client client({.url = env("DC_URL")});
  auto q = db.posts.paginate(5, columns(posts._id, posts.views), order_by(asc(posts.views)));
  std::vector<double> views;
  std::optional<std::string> cursor;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = client.query(q.with_cursor(cursor));
    static_assert(std::is_same_v<decltype(page->rows)::value_type, row_of<decltype(db.posts.find_many(columns(posts._id, posts.views)))>>);
    REQUIRE_MESSAGE(page.ok(), why(page));
    for (const auto& row : page->rows) views.push_back(row.views);
    if (page->is_done) break;
    cursor = page->continue_cursor;
  }
  auto total = client.query(db.posts.count());
  REQUIRE(total.ok());
  CHECK(static_cast<std::int64_t>(views.size()) == *total);
  CHECK(std::is_sorted(views.begin(), views.end()));
}

TEST_CASE("aggregate: a tuple per group, typed from the columns") {
  Client client({.url = env("DC_URL")});
  // The blog fixture, as tests/conformance/cases/24_aggregates.json reads it.
  auto by_role = db.users.aggregate(group_by(users.role), as<"people">(count()), as<"balance">(sum(users.balance)),
                                    as<"avgScore">(avg(users.score)), order_groups(drizzle_convex::desc("people")));
  static_assert(std::is_same_v<decltype(by_role)::result_type,
                               std::vector<std::tuple<users_role, std::int64_t, std::optional<std::int64_t>, std::optional<double>>>>);
  auto groups = client.query(by_role);
  REQUIRE_MESSAGE(groups.ok(), groups.error().message);
  REQUIRE(groups->size() == 3);
  CHECK((*groups)[0] == std::tuple{users_role::member, std::int64_t{4}, std::optional<std::int64_t>{}, std::optional<double>{7.5}});
  CHECK((*groups)[1] == std::tuple{users_role::admin, std::int64_t{2}, std::optional<std::int64_t>{1000}, std::optional<double>{8.5}});
  CHECK((*groups)[2] == std::tuple{users_role::editor, std::int64_t{2}, std::optional<std::int64_t>{-1}, std::optional<double>{}});

  // No group_by: one tuple; a nullable group field is optional.
  auto totals = client.query(db.posts.aggregate(where(eq(posts.published, true)), as<"n">(count()), as<"top">(max(posts.title)),
                                                as<"cats">(count_distinct(posts.category))));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(*totals)>, std::tuple<std::int64_t, std::optional<std::string>, std::int64_t>>);
  REQUIRE(totals.ok());
  CHECK(*totals == std::tuple{std::int64_t{9}, std::optional<std::string>{"The first bug"}, std::int64_t{5}});
  auto cats = client.query(db.posts.aggregate(group_by(posts.category), as<"n">(count()), having(drizzle_convex::gte("n", 3))));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(*cats)>, std::vector<std::tuple<std::optional<std::string>, std::int64_t>>>);
  REQUIRE(cats.ok());
  CHECK(*cats == std::vector{std::tuple{std::optional<std::string>{}, std::int64_t{3}}, std::tuple{std::optional<std::string>{"math"}, std::int64_t{3}}});
}

TEST_CASE("mutations: insert types, returning narrows, transactions answer a tuple") {
  Client client({.url = env("DC_URL")});
  auto ins = client.mutate(db.users.insert(users_insert{.name = "Typed One", .email = "typed1@x.io", .role = users_role::member,
                                                        .credits = 7, .langs = {"c++"}, .balance = std::int64_t{1} << 40})
                               .returning());
  static_assert(std::is_same_v<decltype(ins), Result<std::vector<users_row>>>);
  REQUIRE_MESSAGE(ins.ok(), why(ins));
  REQUIRE(ins->size() == 1);
  const users_row& one = ins->at(0);
  CHECK_FALSE(one._id.value.empty());
  CHECK(one.balance == std::int64_t{1} << 40);
  CHECK(one.langs == std::vector<std::string>{"c++"});

  auto summary = client.mutate(db.tags.insert(std::vector<tags_insert>{{.name = "typed-a"}, {.name = "typed-b"}}));
  static_assert(std::is_same_v<decltype(summary), Result<WriteSummary<tags_table>>>);
  REQUIRE_MESSAGE(summary.ok(), why(summary));
  CHECK(summary->rows_affected == 2);
  CHECK(summary->ids.size() == 2);

  auto upd = client.mutate(db.users.update()
                               .set(users.credits = 8, users.nickname = std::optional<std::string>("t1"), users.balance = undefined)
                               .where(eq(users._id, one._id))
                               .returning(columns(users.credits, users.nickname, users.balance)));
  REQUIRE_MESSAGE(upd.ok(), why(upd));
  REQUIRE(upd->size() == 1);
  CHECK(upd->at(0).credits == 8);
  CHECK(upd->at(0).nickname == std::optional<std::optional<std::string>>(std::string("t1")));
  CHECK_FALSE(upd->at(0).balance.has_value());  // removed
  static_assert(!has_name<decltype(upd->at(0))> && has_email<users_row>);

  // Conflicts: do nothing writes nothing; a plain duplicate is a 409.
  auto again = client.mutate(db.users.insert(users_insert{.name = "Typed Twin", .email = "typed1@x.io", .role = users_role::member,
                                                          .credits = 1, .langs = std::vector<std::string>{}})
                                 .on_conflict_do_nothing(target(users.email)));
  REQUIRE_MESSAGE(again.ok(), why(again));
  CHECK(again->rows_affected == 0);
  auto dup = client.mutate(db.users.insert(users_insert{.name = "Typed Twin", .email = "typed1@x.io", .role = users_role::member,
                                                        .credits = 1, .langs = std::vector<std::string>{}}));
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == "CONFLICT");

  auto tx = client.mutate(db.transaction(db.tags.insert(tags_insert{.name = "typed-c"}).returning(columns(tags.name)),
                                         db.tags.delete_().where(in_(tags.name, {"typed-a", "typed-b"})),
                                         db.users.delete_().where(eq(users._id, one._id)).returning(columns(users.email))));
  REQUIRE_MESSAGE(tx.ok(), why(tx));
  auto& [created, removed_tags, removed_users] = *tx;
  REQUIRE(created.size() == 1);
  CHECK(created[0].name == "typed-c");
  CHECK(removed_tags.rows_affected == 2);
  REQUIRE(removed_users.size() == 1);
  CHECK(removed_users[0].email == "typed1@x.io");
  CHECK(*client.query(db.users.count(where(eq(users.email, "typed1@x.io")))) == 0);
  REQUIRE(client.mutate(db.tags.delete_().where(eq(tags.name, "typed-c"))).ok());
}

TEST_CASE("the Asio interface and watch answer the same types") {
  boost::asio::io_context io;
  drizzle_convex::AsyncClient async(io.get_executor(), {.url = env("DC_URL")});
  auto q = db.tags.find_many(columns(tags.name), order_by(asc(tags.name)));
  using R = row_of<decltype(q)>;
  std::future<Result<std::vector<R>>> f = async.async_query(q, {}, boost::asio::use_future);
  io.run();
  auto got = f.get();
  REQUIRE_MESSAGE(got.ok(), why(got));
  CHECK(got->size() == 4);

  Client client({.url = env("DC_URL")});
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::vector<R>> seen;
  auto sub = client.watch(q, [&](const std::vector<R>& rows) {
    std::lock_guard lock(m);
    seen.push_back(rows);
    cv.notify_all();
  });
  auto saw = [&](const std::string& name) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, 15s, [&] {
      if (seen.empty()) return false;
      for (const auto& r : seen.back())
        if (r.name == name) return true;
      return name.empty();
    });
  };
  REQUIRE(saw(""));
  REQUIRE(client.mutate(db.tags.insert(tags_insert{.name = "typed-watched"})).ok());
  CHECK(saw("typed-watched"));
  sub.complete();
  REQUIRE(client.mutate(db.tags.delete_().where(eq(tags.name, "typed-watched"))).ok());
}

TEST_CASE("a row the caller may not fully see: BAD_ANSWER names the missing field; columns(...) reads it") {
  Client client({.url = env("DC_AUTH_URL"), .token = env("DC_AUTH_TOKEN")});
  // The role `user` sees only _id and name of users (the blog's auth.json).
  auto whole = client.query(db.users.find_many(limit(2)));
  REQUIRE_FALSE(whole.ok());
  CHECK(whole.error().code == "BAD_ANSWER");
  CHECK(whole.error().message.find("missing field at /0/") != std::string::npos);
  auto visible = client.query(db.users.find_many(columns(users._id, users.name), order_by(asc(users.name)), limit(2)));
  REQUIRE_MESSAGE(visible.ok(), why(visible));
  CHECK(visible->at(0).name == "Ada Lovelace");
}
