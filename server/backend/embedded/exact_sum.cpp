#include "server/backend/embedded/exact_sum.hpp"

#include <cmath>
#include <utility>

namespace dc {

void ExactSum::add(double x) {
  if (!std::isfinite(x)) {
    special_ += x;
    has_special_ = true;
    return;
  }
  if (overflow_ != 0) return;
  size_t kept = 0;
  for (double y : partials_) {
    if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
    double hi = x + y;
    double lo = y - (hi - x);
    if (lo != 0) partials_[kept++] = lo;
    x = hi;
  }
  partials_.resize(kept);
  if (!std::isfinite(x)) {
    overflow_ = x;
    return;
  }
  if (x != 0) partials_.push_back(x);
}

double ExactSum::value() const {
  if (has_special_) return special_;
  if (overflow_ != 0) return overflow_;
  size_t n = partials_.size();
  if (n == 0) return 0;
  double hi = partials_[--n];
  double lo = 0;
  while (n > 0) {
    double x = hi;
    double y = partials_[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo != 0) break;
  }
  // Round half to even across the partials: when the rest lies on the same
  // side as the rounding error, the sum is past the half-way point.
  if (n > 0 && ((lo < 0 && partials_[n - 1] < 0) || (lo > 0 && partials_[n - 1] > 0))) {
    double y = lo * 2;
    double x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

}  // namespace dc
