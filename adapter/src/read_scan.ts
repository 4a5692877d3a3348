// Reading one access's own rows: by id, index ranges one after another or
// merged by the requested order with one early stop, and search. Counts every
// document read against the budget. The same seams as the engine's
// index_scan.cpp and search_scan.cpp.
import type { GenericDatabaseReader } from "convex/server";
import type { Value } from "convex/values";
import { queryError } from "./errors.js";
import { compileFilter, type Filter } from "./filter.js";
import type { FullScanSource, IndexSource, PlanAccess, PlanDriver, PlanOrderKey, PlanRelation, PlanSource, SearchSource } from "./plan.js";
import { compareOrder, compareToAfter, type OrderKey } from "./read_order.js";
import { aboveUpper, belowLower, decodeSource, type Interval } from "./read_ranges.js";
import { fieldsOf } from "./read_keys.js";
import type { ValueCounter } from "./value_counts.js";
import { compare, decode, lookupPath, type Doc, type Maybe } from "./values.js";

export type Db = GenericDatabaseReader<any>;


// A table access with its values decoded and its post-filter compiled.
export type Access = {
  id: number; // the access's number in the plan: explain's "analyze" reports reads per access
  table: string;
  source: PlanSource;
  lookupBy?: string[];
  ids: Value[];
  ranges: Interval[];
  filter?: Filter;
  order: OrderKey[];
  userKeys: number;
  tieKeys: number; // indexThenTies: leading keys of `order` the index gives
  orderSource: string;
  limit?: number;
  offset: number;
  requestPath: string;
  driver?: PlanDriver; // drivenBy: the related rows read first, whose keys look this access up
};

// Convex's limit on index ranges (db.get and db.query calls) per transaction.
const MAX_RANGES = 4096;

export abstract class Scanner {
  private reads = 0;
  private byAccess: number[] = [];
  private ranges = 0;
  private accesses = new WeakMap<object, Access>();

  // Counts the values of the root access's rows (its whole table), when the proxy asks.
  rootValues?: ValueCounter;

  constructor(protected readonly db: Db, protected readonly budget: number) {}

  // A relation filter's probe (read_relations.ts), which post-filters call.
  abstract exists(step: PlanRelation, parent: Doc): Promise<boolean>;

  docsRead() {
    return this.reads;
  }

  // Documents read per access id (explain's "analyze").
  readsByAccess(): number[] {
    return Array.from(this.byAccess, (n) => n ?? 0);
  }

  // Convex keeps no table sizes the planner could bound reads with, so the
  // budget is enforced here, naming the request part whose reads crossed it.
  countRead(a: Access) {
    this.byAccess[a.id] = (this.byAccess[a.id] ?? 0) + 1;
    if (++this.reads > this.budget) {
      throw queryError(`the query read more than the budget of ${this.budget} documents`, a.requestPath);
    }
  }

  access(j: PlanAccess): Access {
    let a = this.accesses.get(j);
    if (a) return a;
    a = {
      id: j.id ?? 0,
      table: j.table,
      source: j.source,
      lookupBy: j.lookupBy === undefined ? undefined : fieldsOf(j.lookupBy),
      ...decodeSource(j.source),
      filter: j.postFilter ? compileFilter(j.postFilter, (rel, doc) => this.exists(rel, doc)) : undefined,
      order: (j.order?.keys ?? []).map((k: PlanOrderKey): OrderKey => {
        if ("through" in k && Array.isArray(k.through)) {
          return { field: k.field ?? "", descending: k.direction === "desc", through: k.through, aggregate: k.aggregate };
        }
        const [field, dir] = Object.entries(k)[0] as [string, string];
        return { field, descending: dir === "desc" };
      }),
      userKeys: j.order?.requestedKeys ?? 0,
      tieKeys: j.order?.tieKeys ?? 0,
      orderSource: j.order?.source ?? "accessPath",
      limit: j.limit,
      offset: j.offset ?? 0,
      requestPath: j.requestPath ?? "",
      driver: j.drivenBy,
    };
    this.accesses.set(j, a);
    return a;
  }

  // Fails with the request part that needed it, rather than Convex's own error.
  protected countRange(a: Access) {
    if (++this.ranges > MAX_RANGES) {
      throw queryError(`the query needs more than ${MAX_RANGES} index lookups, Convex's limit per call; narrow the parent rows or the relation`, a.requestPath);
    }
  }

  protected async passes(a: Access, d: Doc): Promise<boolean> {
    return !a.filter || (await a.filter(d)) === 1;
  }

  protected async getById(a: Access, id: Maybe): Promise<Doc | null> {
    if (typeof id !== "string") return null;
    const normalized = this.db.normalizeId(a.table, id);
    if (normalized === null) return null;
    this.countRange(a);
    return (await this.db.get(normalized)) as Doc | null;
  }

  // The documents of one index interval, in index order. Convex's withIndex
  // takes equalities on a prefix of the index and one range on the next
  // field, so the range sent may be wider than the interval (a cursor's
  // position, say); every row is checked against the exact interval here.
  protected async *range(a: Access, iv: Interval): AsyncGenerator<Doc> {
    const src = a.source as IndexSource | FullScanSource;
    const fields: string[] = src.indexFields;
    const lo = iv.lower?.key ?? [];
    const hi = iv.upper?.key ?? [];
    let p = 0;
    while (p < lo.length && p < hi.length && p < fields.length && compare(lo[p], hi[p]) === 0) p++;
    this.countRange(a);
    const query = this.db.query(a.table).withIndex(src.index, (q: any) => {
      let r = q;
      for (let i = 0; i < p; i++) r = r.eq(fields[i], lo[i]);
      // A missing field (undefined) sorts first: as a range end it is left out, which only widens the range.
      if (p < fields.length) {
        if (p < lo.length && lo[p] !== undefined) r = !iv.lower!.inclusive && lo.length === p + 1 ? r.gt(fields[p], lo[p]) : r.gte(fields[p], lo[p]);
        if (p < hi.length && hi[p] !== undefined) r = !iv.upper!.inclusive && hi.length === p + 1 ? r.lt(fields[p], hi[p]) : r.lte(fields[p], hi[p]);
      }
      return r;
    });
    const descending = src.order === "desc";
    for await (const doc of query.order(descending ? "desc" : "asc")) {
      const d = doc as Doc;
      const key = [...fields.map((f) => lookupPath(d, f)), d._id];
      if (iv.lower && belowLower(key, iv.lower)) {
        this.countRead(a);
        if (descending) return;
        continue;
      }
      if (iv.upper && aboveUpper(key, iv.upper)) {
        this.countRead(a);
        if (!descending) return;
        continue;
      }
      yield d;
    }
  }

  protected async scan(a: Access, intervals: Interval[], need: number, after: Value[] | null, out: Doc[]) {
    const ordered = a.orderSource === "index" || a.orderSource === "indexThenTies";
    const inSequence = a.source.type === "index" && a.source.rangesInOrder === true;
    if (need && ordered && intervals.length > 1 && !inSequence) return this.mergeScan(a, intervals.map((iv) => this.range(a, iv)), need, after, out);
    // indexThenTies: the keys the index gives; the rows tying with the boundary on them are all read.
    const tieOrder = a.order.slice(0, Math.min(a.tieKeys, a.order.length));
    // In sequence the ranges share one early stop (the last range first when descending).
    const sequence = inSequence && a.source.type === "index" && a.source.order === "desc" ? [...intervals].reverse() : intervals;
    let taken = 0;
    let boundary: Doc | null = null; // indexThenTies: the need-th row, whose ties must all be read
    let stopped = false;
    for (const iv of sequence) {
      if (stopped) break;
      if (!inSequence) {
        taken = 0;
        boundary = null;
      }
      for await (const d of this.range(a, iv)) {
        this.countRead(a);
        if (a.id === 0) this.rootValues?.add(d);
        if (boundary && compareOrder(tieOrder, d, boundary) !== 0) {
          stopped = true; // past the boundary's tie group
          break;
        }
        if (!(await this.passes(a, d))) continue;
        if (after && compareToAfter(a.order, d, after) <= 0) continue;
        out.push(d);
        taken++;
        if (need === 0) continue;
        if (a.orderSource === "accessPath" && out.length >= need) break;
        if (a.orderSource === "index" && taken >= need) {
          stopped = true;
          break;
        }
        if (a.orderSource === "indexThenTies" && taken === need) boundary = d;
      }
      if (a.orderSource === "accessPath" && need && out.length >= need) return;
    }
  }

  // Each range is in the requested order (skip-scan, `in`, the branches of
  // an ordered union): merged by that order, the read stops after `need`
  // rows of all of them together (and for indexThenTies the boundary's tie
  // group), reading one row ahead per range. Reads the same rows as
  // executor.cpp Executor::merge_scan.
  protected async mergeScan(a: Access, ranges: AsyncGenerator<Doc>[], need: number, after: Value[] | null, out: Doc[]) {
    const by = a.orderSource === "index" ? a.order : a.order.slice(0, Math.min(a.tieKeys, a.order.length));
    const heads: (Doc | null)[] = ranges.map(() => null);
    const seen = a.source.type === "union" ? new Set<string>() : null; // a union's branches may find a row twice
    const advance = async (i: number) => {
      heads[i] = null;
      for (;;) {
        const r = await ranges[i].next();
        if (r.done) return;
        const d = r.value;
        this.countRead(a);
        if (!(await this.passes(a, d))) continue;
        if (after && compareToAfter(a.order, d, after) <= 0) continue;
        heads[i] = d;
        return;
      }
    };
    for (let i = 0; i < ranges.length; i++) await advance(i);
    let boundary: Doc | null = null;
    let taken = 0;
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        if (heads[i] && (best < 0 || compareOrder(by, heads[i]!, heads[best]!) < 0)) best = i;
      }
      if (best < 0) return;
      const d = heads[best]!;
      if (boundary && compareOrder(by, d, boundary) !== 0) return;
      const again = seen !== null && seen.has(d._id as string);
      seen?.add(d._id as string);
      if (!again) out.push(d);
      if (!again && ++taken === need) {
        if (a.orderSource === "index") return;
        boundary = d;
      }
      await advance(best);
    }
  }

  protected async search(a: Access, out: Doc[]) {
    const src = a.source as SearchSource;
    this.countRange(a);
    const query = this.db.query(a.table).withSearchIndex(src.index, (q: any) => {
      let s = q.search(src.searchField, src.query);
      for (const [f, v] of Object.entries(src.filters ?? {})) s = s.eq(f, decode(v));
      return s;
    });
    let n = 0;
    for await (const doc of query) {
      this.countRead(a);
      if (await this.passes(a, doc as Doc)) out.push(doc as Doc);
      if (++n >= 1024) break; // Convex's own cap on search results
    }
  }
}
