// top_users with the typed API: the same query, checked at compile time,
// its rows plain structs with exactly the selected fields.
//   top_users_typed [URL]      (default: $DCQ_URL, else http://127.0.0.1:8787)
#include <cstdlib>
#include <drizzle_convex/client.hpp>
#include <iostream>

#include "demo_schema.hpp"  // drizzle_convex_codegen(... NAMESPACE demo) in CMakeLists.txt

using namespace drizzle_convex::typed;
using namespace demo;

int main(int argc, char** argv) {
  const char* env = std::getenv("DCQ_URL");
  drizzle_convex::Client client({.url = argc > 1 ? argv[1] : env ? env : "http://127.0.0.1:8787"});
  Db db;
  auto top = client.query(db.users.find_many(
      columns(users.name, users.credits), where(in_(users.role, {users_role::admin, users_role::member})),
      with(users.posts(columns(posts.title), order_by(desc(posts._creationTime)), limit(2))),
      order_by(desc(users.credits)), limit(3)));
  if (!top) {
    std::cerr << top.error().describe() << "\n";
    return 1;
  }
  for (const auto& u : *top) std::cout << u.name << " " << u.credits << " (" << u.posts.size() << " posts)\n";
  return 0;
}
