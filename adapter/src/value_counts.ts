// Rows per value of the fields that lead an index, counted while a plan
// reads its root's whole table (it reads every row anyway). The proxy learns
// them (server/backend/convex/observed_stats.cpp) as the engine keeps them
// per write: Convex has no counts the proxy could read.
import { convexToJson, type JSONValue, type Value } from "convex/values";
import { lookupPath, valueKey, type Doc } from "./values.js";

// Past this many distinct values a field's counts are dropped: they steer
// few plans, and the answer stays small.
const MAX_VALUES = 64;

export type ValueCounts = { field: string; values: [JSONValue, number][] }[];

export class ValueCounter {
  private readonly counts = new Map<string, Map<string, { value: Value; rows: number }> | null>();

  constructor(fields: string[]) {
    for (const f of fields) this.counts.set(f, new Map());
  }

  add(doc: Doc) {
    for (const [field, seen] of this.counts) {
      if (!seen) continue;
      const v = lookupPath(doc, field);
      if (v === undefined) continue; // a missing field is not a value the proxy can name
      const key = valueKey(v);
      const entry = seen.get(key);
      if (entry) entry.rows++;
      else if (seen.size >= MAX_VALUES) this.counts.set(field, null);
      else seen.set(key, { value: v, rows: 1 });
    }
  }

  report(): ValueCounts {
    const out: ValueCounts = [];
    for (const [field, seen] of this.counts) {
      if (seen) out.push({ field, values: [...seen.values()].map((e) => [convexToJson(e.value), e.rows]) });
    }
    return out;
  }
}
