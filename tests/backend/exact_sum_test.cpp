// ExactSum against sums whose exact value is known: the bits must not depend
// on the order the values arrive in (adapter/src/exact_sum.ts does the same).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "server/backend/embedded/exact_sum.hpp"

namespace {

double sum_of(const std::vector<double>& values) {
  dc::ExactSum s;
  for (double v : values) s.add(v);
  return s.value();
}

}  // namespace

TEST_CASE("exact_sum: rounds once, whatever the order") {
  CHECK(sum_of(std::vector<double>(10, 0.1)) == 1.0);  // a naive loop gives 0.9999999999999999
  CHECK(sum_of({1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50}) == 1e-100);
  CHECK(sum_of({1e16, 1.0, 1.0}) == 1e16 + 2.0);  // naive: 1e16 (each 1.0 is lost)
  // Half-way cases round to even over the whole exact sum, not per step.
  CHECK(sum_of({1.0, 0x1p-53, 0x1p-106}) == 1.0 + 0x1p-52);
  CHECK(sum_of({1.0, 0x1p-53}) == 1.0);
  std::vector<double> values;
  for (int i = 1; i <= 1000; ++i) values.push_back(1.0 / i * (i % 2 ? 1 : -1));
  double forward = sum_of(values);
  std::reverse(values.begin(), values.end());
  CHECK(sum_of(values) == forward);
  CHECK(sum_of({}) == 0.0);
  CHECK(!std::signbit(sum_of({-0.0})));
}

TEST_CASE("exact_sum: infinities, NaN and overflow") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(sum_of({1.0, inf, 2.0}) == inf);
  CHECK(sum_of({-inf, 1.0}) == -inf);
  CHECK(std::isnan(sum_of({inf, -inf})));
  CHECK(std::isnan(sum_of({1.0, std::nan("")})));
  CHECK(sum_of({1e308, 1e308}) == inf);
  CHECK(sum_of({-1e308, -1e308, 5.0}) == -inf);
  CHECK(sum_of({1e308, -1e308, 1e308}) == 1e308);  // no running sum overflows
}
