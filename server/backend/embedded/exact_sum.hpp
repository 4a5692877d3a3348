// A float64 sum computed exactly and rounded once (Shewchuk's partials, as
// Python's math.fsum): the order rows arrive in cannot change the bits, so
// the embedded engine and the Convex adapter (adapter/src/exact_sum.ts, the
// same steps) give equal answers for protocol.md section 11's `sum` and `avg`.
#pragma once

#include <vector>

namespace dc {

class ExactSum {
 public:
  void add(double x);
  // The sum rounded to the nearest float64. NaN or ±Infinity among the
  // values give NaN or that infinity (+∞ and −∞ together: NaN); finite
  // values whose running sum overflows give the infinity it overflowed to.
  double value() const;

 private:
  std::vector<double> partials_;  // non-overlapping, increasing magnitude
  double special_ = 0;            // the sum of the non-finite values
  bool has_special_ = false;
  double overflow_ = 0;           // ±∞ once a finite addition overflowed
};

}  // namespace dc
