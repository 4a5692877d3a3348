// The 20 queries of typed_20.cpp through the untyped builder.
#include "drizzle_convex/client.hpp"

using namespace drizzle_convex;

int run(Client& client) {
  Db db;
  int n = 0;
  auto count = [&n](const auto& r) { n += r.ok() ? 1 : 0; };
  count(client.query(db.query("users").find_many()));
  count(client.query(db.query("users").find_many({.columns = include({"name", "email"}), .where = eq("role", "admin")})));
  count(client.query(db.query("users").find_many({.with = {{"posts", {.limit = 5, .order_by = {desc("views")}}}}, .limit = 10})));
  count(client.query(db.query("users").find_first({.where = eq("email", "ada@x.io"), .with = {{"profile"}}})));
  count(client.query(db.query("posts").find_many({.columns = include({"title"}), .with = {{"author", {.columns = include({"name"})}}, {"tags"}}})));
  count(client.query(db.query("posts").find_many({.where = and_(eq("published", true), gt("views", 100)), .order_by = {desc("views")}})));
  count(client.query(db.query("posts").paginate(5, {.columns = include({"_id", "views"}), .order_by = {asc("views")}})));
  count(client.query(db.query("posts").count(is_null("category"))));
  count(client.query(db.query("comments").find_many({.with = {{"post", {.with = {{"author"}}}}, {"author"}}})));
  count(client.query(db.query("tags").find_many({.with = {{"posts", {.columns = include({"title"})}}}, .order_by = {asc("name")}})));
  count(client.query(db.query("users").find_many({.columns = exclude({"langs", "address"}), .where = or_(lt("credits", 50), gt("credits", 150))})));
  count(client.query(db.query("users").find_many({.columns = include({"name"}), .where = related("posts", eq("published", false))})));
  count(client.query(db.query("users").find_many({.columns = include({"name"}), .order_by = {desc({"posts"}, "", Aggregate::count)}})));
  count(client.query(db.query("profiles").find_many({.with = {{"user", {.columns = include({"name", "role"})}}}})));
  count(client.query(db.query("postTags").find_many({.with = {{"post"}, {"tag"}}})));
  count(client.mutate(db.insert("tags").values({{"name", "x"}}).returning()));
  count(client.mutate(db.update("users").set({{"credits", 5}}).where(eq("role", "member")).returning(include({"_id"}))));
  count(client.mutate(db.delete_("tags").where(eq("name", "x"))));
  count(client.mutate(db.insert("posts").values({{"authorId", "u1"}, {"title", "t"}, {"published", false}, {"views", 0}})));
  count(client.mutate(db.transaction({db.insert("tags").values({{"name", "y"}}), db.delete_("tags").where(eq("name", "y"))})));
  return n;
}
