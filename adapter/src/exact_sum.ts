// A float64 sum computed exactly and rounded once (Shewchuk's partials, as
// Python's math.fsum), step for step as server/backend/embedded/exact_sum.cpp:
// the order documents arrive in cannot change the bits, so both runners give
// equal `sum` and `avg` answers (protocol.md section 11).
export class ExactSum {
  private partials: number[] = []; // non-overlapping, increasing magnitude
  private special = 0; // the sum of the non-finite values
  private hasSpecial = false;
  private overflow = 0; // ±Infinity once a finite addition overflowed

  add(value: number) {
    let x = value;
    if (!Number.isFinite(x)) {
      this.special += x;
      this.hasSpecial = true;
      return;
    }
    if (this.overflow !== 0) return;
    let kept = 0;
    for (let y of this.partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) this.partials[kept++] = lo;
      x = hi;
    }
    this.partials.length = kept;
    if (!Number.isFinite(x)) {
      this.overflow = x;
      return;
    }
    if (x !== 0) this.partials.push(x);
  }

  value(): number {
    if (this.hasSpecial) return this.special;
    if (this.overflow !== 0) return this.overflow;
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half to even across the partials (exact_sum.cpp says why).
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
