// Lists the users with the most credits, and their latest posts:
//   top_users [URL]      (default: $DCQ_URL, else http://127.0.0.1:8787)
#include <cstdlib>
#include <drizzle_convex/client.hpp>
#include <iostream>

namespace dz = drizzle_convex;

int main(int argc, char** argv) {
  const char* env = std::getenv("DCQ_URL");
  dz::Client client({.url = argc > 1 ? argv[1] : env ? env : "http://127.0.0.1:8787"});
  dz::Db db;
  auto users = client.query(db.query("users").find_many({
      .columns = dz::include({"name", "credits"}),
      .where = dz::in_("role", {"admin", "member"}),
      .with = {{"posts", {.columns = dz::include({"title"}), .limit = 2, .order_by = {dz::desc("_creationTime")}}}},
      .limit = 3,
      .order_by = {dz::desc("credits")}}));
  if (!users) {
    std::cerr << users.error().describe() << "\n";
    return 1;
  }
  for (const auto& u : *users) {
    std::cout << u["name"].get<std::string>() << " " << u["credits"] << " (" << u["posts"].size() << " posts)\n";
  }
  return 0;
}
