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
