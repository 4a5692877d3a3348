// An aggregate's answer from the rows its root read (protocol.md section 11),
// step for step as server/backend/embedded/group_fold.cpp: rows folded into
// groups with SQL's null rules, `having` kept, the groups ordered and sliced.
import type { Value } from "convex/values";
import { queryError } from "./errors.js";
import { ExactSum } from "./exact_sum.js";
import { compileFilter } from "./filter.js";
import type { GroupPlan, GroupTerm } from "./plan.js";
import { compare, isNullish, lookupPath, valueKey, type Doc, type Maybe } from "./values.js";

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

// -0 and 0 are one group and one distinct value, at any depth.
function groupingForm(v: Maybe): Value {
  if (v === undefined) return null;
  if (typeof v === "number") return v === 0 ? 0 : v;
  if (Array.isArray(v)) return v.map(groupingForm);
  if (v !== null && typeof v === "object" && !(v instanceof ArrayBuffer)) {
    const o: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = groupingForm(x);
    return o;
  }
  return v;
}

// One function's running state over one group.
class Accumulator {
  count = 0; // values (rows for count: true)
  distinct = new Set<string>();
  intSum = 0n;
  floatSum = new ExactSum();
  best: Value | undefined; // min / max

  constructor(private readonly term: GroupTerm) {}

  add(row: Doc) {
    const t = this.term;
    if (t.field === undefined) {
      this.count++;
      return;
    }
    const v = lookupPath(row, t.field);
    if (isNullish(v)) return; // SQL: nulls are ignored
    switch (t.fn) {
      case "count":
        this.count++;
        return;
      case "countDistinct":
        this.distinct.add(valueKey(groupingForm(v)));
        return;
      case "sum":
      case "avg":
        if (t.int64 && typeof v === "bigint") this.intSum += v;
        else if (!t.int64 && typeof v === "number") this.floatSum.add(v);
        else return; // the validator admits only the one kind
        this.count++;
        return;
      case "min":
      case "max": {
        const c = this.best === undefined ? 0 : compare(v, this.best);
        if (this.best === undefined || (t.fn === "min" ? c < 0 : c > 0)) this.best = v as Value;
        return;
      }
    }
  }

  result(): Value {
    const t = this.term;
    switch (t.fn) {
      case "count": return this.count;
      case "countDistinct": return this.distinct.size;
      case "sum":
        if (this.count === 0) return null;
        if (!t.int64) return this.floatSum.value();
        if (this.intSum > INT64_MAX || this.intSum < INT64_MIN) throw queryError(`the sum of '${t.field}' overflows int64`, t.path);
        return this.intSum;
      case "avg":
        if (this.count === 0) return null;
        // One rounding for the sum, one for the division: both runners' bits.
        return (t.int64 ? Number(this.intSum) : this.floatSum.value()) / this.count;
      default:
        return this.best === undefined ? null : this.best;
    }
  }
}

export async function foldGroups(g: GroupPlan, rows: Doc[]): Promise<Value> {
  const groups = new Map<string, { key: Value[]; acc: Accumulator[] }>();
  const start = (key: Value[]) => ({ key, acc: g.aggregates.map((t) => new Accumulator(t)) });
  if (g.by.length === 0) groups.set("", start([])); // no rows still answer one object
  for (const row of rows) {
    const key = g.by.map((f) => groupingForm(lookupPath(row, f)));
    const k = key.map(valueKey).join("|");
    let group = groups.get(k);
    if (!group) groups.set(k, (group = start(key)));
    for (const a of group.acc) a.add(row);
  }
  const having = g.having ? compileFilter(g.having, async () => false) : undefined;
  const answer: Doc[] = [];
  for (const { key, acc } of groups.values()) {
    const row: Doc = {};
    g.by.forEach((f, i) => (row[f] = key[i]));
    g.aggregates.forEach((t, i) => (row[t.name] = acc[i].result()));
    if (having && (await having(row)) !== 1) continue;
    answer.push(row);
  }
  if (g.by.length === 0) return answer[0];
  const keys = g.order.map((k) => {
    const [field, dir] = Object.entries(k)[0];
    return { field, desc: dir === "desc" };
  });
  answer.sort((a, b) => {
    for (const k of keys) {
      const c = compare(a[k.field], b[k.field]);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
  const from = Math.min(answer.length, g.offset);
  return answer.slice(from, g.limit === null ? undefined : from + g.limit);
}
