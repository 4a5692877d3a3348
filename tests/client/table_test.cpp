// dcq's table output: what a person reads at a terminal.
#include <doctest/doctest.h>

#include "client/dcq/table.hpp"

TEST_CASE("dcq table: an int64 cell shows its number; groups line up under their names") {
  dcq::Json groups = dcq::Json::parse(R"([{"role":"admin","n":2,"balance":{"$integer":"6AMAAAAAAAA="}},
                                {"role":"editor","n":2,"balance":{"$integer":"//////////8="}},
                                {"role":"member","n":4,"balance":null}])");
  std::string out = dcq::render_table(groups);
  CHECK(out.find("role   │ n │ balance") != std::string::npos);
  CHECK(out.find("admin  │ 2 │ 1000") != std::string::npos);
  CHECK(out.find("editor │ 2 │ -1") != std::string::npos);
  CHECK(out.find("member │ 4 │ null") != std::string::npos);
  CHECK(out.find("$integer") == std::string::npos);
  CHECK(out.find("(3 rows)") != std::string::npos);
}

TEST_CASE("dcq table: a paginate's cursor is printed whole; watch marks a new row, not the rows it pushed down") {
  std::string cursor(120, 'c');
  dcq::Json page = {{"page", dcq::Json::array({{{"name", "a"}}})}, {"continueCursor", cursor}, {"isDone", false}};
  CHECK(dcq::render_table(page).find("continueCursor: " + cursor + "\n") != std::string::npos);

  dcq::Json before = dcq::Json::parse(R"([{"_id":"t1","name":"alpha"},{"_id":"t2","name":"beta"}])");
  dcq::Json after = dcq::Json::parse(R"([{"_id":"t0","name":"zero"},{"_id":"t1","name":"alpha"},{"_id":"t2","name":"BETA"}])");
  std::string out = dcq::render_table(after, &before, true);
  CHECK(out.find("zero*") != std::string::npos);   // the inserted row is new
  CHECK(out.find("alpha*") == std::string::npos);  // same _id, same value: unmarked though it moved down
  CHECK(out.find("BETA*") != std::string::npos);   // same _id, changed value
}
