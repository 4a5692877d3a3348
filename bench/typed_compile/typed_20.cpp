// 20 typed queries against the blog schema (bench/b8_typed_compile.sh
// compiles this next to untyped_20.cpp, the same queries untyped).
#include <vector>

#include "blog.hpp"
#include "drizzle_convex/client.hpp"

using namespace drizzle_convex::typed;
using namespace blog;

int run(drizzle_convex::Client& client) {
  Db db;
  int n = 0;
  auto count = [&n](const auto& r) { n += r.ok() ? 1 : 0; };
  count(client.query(db.users.find_many()));
  count(client.query(db.users.find_many(columns(users.name, users.email), where(eq(users.role, users_role::admin)))));
  count(client.query(db.users.find_many(with(users.posts(limit(5), order_by(desc(posts.views)))), limit(10))));
  count(client.query(db.users.find_first(where(eq(users.email, "ada@x.io")), with(users.profile))));
  count(client.query(db.posts.find_many(columns(posts.title), with(posts.author(columns(users.name)), posts.tags))));
  count(client.query(db.posts.find_many(where(and_(eq(posts.published, true), gt(posts.views, 100))), order_by(desc(posts.views)))));
  count(client.query(db.posts.paginate(5, columns(posts._id, posts.views), order_by(asc(posts.views)))));
  count(client.query(db.posts.count(where(is_null(posts.category)))));
  count(client.query(db.comments.find_many(with(comments.post(with(posts.author)), comments.author))));
  count(client.query(db.tags.find_many(with(tags.posts(columns(posts.title))), order_by(asc(tags.name)))));
  count(client.query(db.users.find_many(exclude(users.langs, users.address), where(or_(lt(users.credits, 50), gt(users.credits, 150))))));
  count(client.query(db.users.find_many(columns(users.name), where(related(users.posts, eq(posts.published, false))))));
  count(client.query(db.users.find_many(columns(users.name), order_by(desc(users.posts, Aggregate::count)))));
  count(client.query(db.profiles.find_many(with(profiles.user(columns(users.name, users.role))))));
  count(client.query(db.postTags.find_many(with(postTags.post, postTags.tag))));
  count(client.mutate(db.tags.insert(tags_insert{.name = "x"}).returning()));
  count(client.mutate(db.users.update().set(users.credits = 5).where(eq(users.role, users_role::member)).returning(columns(users._id))));
  count(client.mutate(db.tags.delete_().where(eq(tags.name, "x"))));
  count(client.mutate(db.posts.insert(posts_insert{.authorId = Id<users_table>("u1"), .title = "t", .published = false, .views = 0})));
  count(client.mutate(db.transaction(db.tags.insert(tags_insert{.name = "y"}), db.tags.delete_().where(eq(tags.name, "y")))));
  return n;
}
