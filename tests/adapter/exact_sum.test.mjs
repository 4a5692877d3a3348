// The adapter's ExactSum gives the bits the engine's does
// (tests/backend/exact_sum_test.cpp holds the same cases): one rounding of
// the exact sum, whatever order Convex returns the documents in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactSum } from '../../adapter/dist/exact_sum.js';

const sumOf = (values) => {
  const s = new ExactSum();
  for (const v of values) s.add(v);
  return s.value();
};

test('rounds once, whatever the order', () => {
  assert.equal(sumOf(Array(10).fill(0.1)), 1.0);
  assert.equal(sumOf([1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]), 1e-100);
  assert.equal(sumOf([1e16, 1.0, 1.0]), 1e16 + 2.0);
  assert.equal(sumOf([1.0, 2 ** -53, 2 ** -106]), 1.0 + 2 ** -52);
  assert.equal(sumOf([1.0, 2 ** -53]), 1.0);
  const values = Array.from({ length: 1000 }, (_, k) => (1 / (k + 1)) * (k % 2 ? -1 : 1));
  const forward = sumOf(values);
  assert.equal(sumOf(values.reverse()), forward);
  assert.equal(sumOf([]), 0);
  assert.ok(Object.is(sumOf([-0]), 0));
});

test('infinities, NaN and overflow', () => {
  assert.equal(sumOf([1.0, Infinity, 2.0]), Infinity);
  assert.equal(sumOf([-Infinity, 1.0]), -Infinity);
  assert.ok(Number.isNaN(sumOf([Infinity, -Infinity])));
  assert.ok(Number.isNaN(sumOf([1.0, NaN])));
  assert.equal(sumOf([1e308, 1e308]), Infinity);
  assert.equal(sumOf([-1e308, -1e308, 5.0]), -Infinity);
  assert.equal(sumOf([1e308, -1e308, 1e308]), 1e308);
});
