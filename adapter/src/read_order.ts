// Rows in an access's order: comparisons on row fields and keyset cursor
// positions (as server/backend/embedded/row_order.cpp).
import type { Value } from "convex/values";
import type { PlanRelation } from "./plan.js";
import { compare, lookupPath, type Doc } from "./values.js";

// A key read through relations (Drizzle 1.0's order by related rows) has
// `through`: one relation step per relation walked, as in `with`.
export type OrderKey = { field: string; descending: boolean; through?: PlanRelation[]; aggregate?: string };

export function compareOrder(order: OrderKey[], a: Doc, b: Doc): number {
  for (const k of order) {
    const c = compare(lookupPath(a, k.field), lookupPath(b, k.field));
    if (c) return k.descending ? -c : c;
  }
  return 0;
}

export function compareToAfter(order: OrderKey[], d: Doc, after: Value[]): number {
  for (let i = 0; i < order.length && i < after.length; i++) {
    const c = compare(lookupPath(d, order[i].field), after[i]);
    if (c) return order[i].descending ? -c : c;
  }
  return 0;
}
