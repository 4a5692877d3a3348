// Index ranges as the adapter reads them: bounds decoded from the plan, a
// lookup's parent key put in front, and the exact interval checks that
// Convex's withIndex (equalities on a prefix, one range after) cannot make.
// As server/backend/embedded/index_scan.cpp and store.cpp.
import type { Value } from "convex/values";
import type { PlanBound, PlanSource } from "./plan.js";
import { compare, decode, type Maybe } from "./values.js";

export type Bound = { key: Value[]; inclusive: boolean };
export type Interval = { lower?: Bound; upper?: Bound };

function comparePrefix(key: Maybe[], bound: Value[]): number {
  for (let i = 0; i < bound.length && i < key.length; i++) {
    const c = compare(key[i], bound[i]);
    if (c) return c;
  }
  return 0;
}
export const belowLower = (k: Maybe[], b: Bound) => (b.inclusive ? comparePrefix(k, b.key) < 0 : comparePrefix(k, b.key) <= 0);
export const aboveUpper = (k: Maybe[], b: Bound) => (b.inclusive ? comparePrefix(k, b.key) > 0 : comparePrefix(k, b.key) >= 0);

const decodeBound = (b?: PlanBound): Bound | undefined => (b ? { key: b.key.map(decode), inclusive: b.inclusive } : undefined);

// A source's ids and ranges, decoded from the plan.
export const decodeSource = (src: PlanSource) => ({
  ids: (src.type === "get" ? (src.ids ?? []) : []).map(decode),
  ranges: (src.type === "index" ? src.ranges : []).map((r): Interval => ({ lower: decodeBound(r.lower), upper: decodeBound(r.upper) })),
});

// An index interval with the parent's key in front (`arity` fields: a
// composite key is the array relationKey made).
export function withKey(iv: Interval, key: Value, arity: number): Interval {
  const parts = arity > 1 ? (key as Value[]) : [key];
  const prefixed = (b?: Bound): Bound => (b ? { key: [...parts, ...b.key], inclusive: b.inclusive } : { key: [...parts], inclusive: true });
  return { lower: prefixed(iv.lower), upper: prefixed(iv.upper) };
}
