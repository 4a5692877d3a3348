// Runs a read plan (server/planner/plan.hpp, as JSON) on Convex's database
// API inside one query transaction: index ranges with withIndex, ids with
// db.get, text search with withSearchIndex, post-filters in JS, relations
// loaded level by level with deduplicated keys. It mirrors the embedded
// engine (server/backend/embedded/executor.cpp) step for step, so the two
// backends give the same rows and count the same documents read.
import type { GenericDatabaseReader } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { queryError } from "./errors.js";
import { compileFilter, type Filter } from "./filter.js";
import type { FullScanSource, IndexSource, PlanAccess, PlanBound, PlanColumns, PlanDriver, PlanNode, PlanOrderKey, PlanRelation, PlanSource, ReadPlan, SearchSource } from "./plan.js";
import { compare, decode, isNullish, lookupPath, valueKey, type Doc, type Maybe } from "./values.js";

type Db = GenericDatabaseReader<any>;
type Bound = { key: Value[]; inclusive: boolean };
type Interval = { lower?: Bound; upper?: Bound };
// A key read through relations (Drizzle 1.0's order by related rows) has
// `through`: one relation step per relation walked, as in `with`.
type OrderKey = { field: string; descending: boolean; through?: PlanRelation[]; aggregate?: string };
type Groups = Map<string, { key: Maybe; rows: Doc[] }>;

// A table access with its values decoded and its post-filter compiled.
type Access = {
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

function comparePrefix(key: Maybe[], bound: Value[]): number {
  for (let i = 0; i < bound.length && i < key.length; i++) {
    const c = compare(key[i], bound[i]);
    if (c) return c;
  }
  return 0;
}
const belowLower = (k: Maybe[], b: Bound) => (b.inclusive ? comparePrefix(k, b.key) < 0 : comparePrefix(k, b.key) <= 0);
const aboveUpper = (k: Maybe[], b: Bound) => (b.inclusive ? comparePrefix(k, b.key) > 0 : comparePrefix(k, b.key) >= 0);

function compareOrder(order: OrderKey[], a: Doc, b: Doc): number {
  for (const k of order) {
    const c = compare(lookupPath(a, k.field), lookupPath(b, k.field));
    if (c) return k.descending ? -c : c;
  }
  return 0;
}

function compareToAfter(order: OrderKey[], d: Doc, after: Value[]): number {
  for (let i = 0; i < order.length && i < after.length; i++) {
    const c = compare(lookupPath(d, order[i].field), after[i]);
    if (c) return order[i].descending ? -c : c;
  }
  return 0;
}

const decodeBound = (b?: PlanBound): Bound | undefined => (b ? { key: b.key.map(decode), inclusive: b.inclusive } : undefined);

// Relation key fields in a plan: one field as a string, several as an array.
const fieldsOf = (f: string | string[]): string[] => (Array.isArray(f) ? f : [f]);

// A relation's key in a row: the field's value, or for several fields the
// array of their values; undefined when any part is null or missing (such a
// row relates to nothing, as with SQL's NULL).
function relationKey(row: Doc, fields: string[]): Maybe {
  if (fields.length === 1) {
    const v = lookupPath(row, fields[0]);
    return isNullish(v) ? undefined : v;
  }
  const parts: Value[] = [];
  for (const f of fields) {
    const v = lookupPath(row, f);
    if (isNullish(v)) return undefined;
    parts.push(v as Value);
  }
  return parts;
}

// Relation keys of rows, each once, in the order first met; null keys relate to nothing.
function distinctKeys(rows: Doc[], fields: string[]): Maybe[] {
  const keys: Maybe[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const k = relationKey(r, fields);
    if (!isNullish(k) && !seen.has(valueKey(k))) {
      seen.add(valueKey(k));
      keys.push(k);
    }
  }
  return keys;
}

// A source's ids and ranges, decoded from the plan.
const decodeSource = (src: PlanSource) => ({
  ids: (src.type === "get" ? (src.ids ?? []) : []).map(decode),
  ranges: (src.type === "index" ? src.ranges : []).map((r): Interval => ({ lower: decodeBound(r.lower), upper: decodeBound(r.upper) })),
});

// An index interval with the parent's key in front (`arity` fields: a
// composite key is the array relationKey made).
function withKey(iv: Interval, key: Value, arity: number): Interval {
  const parts = arity > 1 ? (key as Value[]) : [key];
  const prefixed = (b?: Bound): Bound => (b ? { key: [...parts, ...b.key], inclusive: b.inclusive } : { key: [...parts], inclusive: true });
  return { lower: prefixed(iv.lower), upper: prefixed(iv.upper) };
}

export function project(doc: Doc, columns?: PlanColumns): Doc {
  if (!columns) return doc;
  const include = "include" in columns;
  const listed = new Set<string>("include" in columns ? columns.include : columns.exclude);
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) if (listed.has(k) === include) out[k] = v;
  return out;
}

const UTF8 = new TextEncoder();
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function base64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? B64[n & 63] : "=";
  }
  return out;
}

// The proxy's cursor: the query's fingerprint and the keyset position
// (server/planner/planner.cpp encode_cursor). Missing fields travel as
// {"$undefined": null}, which sorts below null.
export function encodeCursor(fingerprint: string, key: Maybe[]): string {
  const k = key.map((v) => (v === undefined ? { $undefined: null } : convexToJson(v as Value)));
  return base64(UTF8.encode(`{"q":${JSON.stringify(fingerprint)},"k":${JSON.stringify(k)}}`));
}

// Convex's limit on index ranges (db.get and db.query calls) per transaction.
const MAX_RANGES = 4096;

// What one shaped row adds to an answer: itself and its nested rows.
type Weight = { rows: number; bytes: number };

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3; // a surrogate pair: 4 bytes
  }
  return n;
}

// About the bytes of a value's JSON as the proxy writes it
// (protocol/value_json.cpp json_size_estimate: the same rules).
export function jsonSizeEstimate(v: Maybe): number {
  if (v === undefined || v === null) return 4;
  switch (typeof v) {
    case "bigint": return 27;
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v).length : 24;
    case "boolean": return v ? 4 : 5;
    case "string": return utf8Length(v) + 2;
  }
  if (v instanceof ArrayBuffer) return 13 + Math.floor((v.byteLength + 2) / 3) * 4;
  // Brackets, and a comma before every element but the first.
  if (Array.isArray(v)) return Math.max(2, v.reduce((n: number, e) => n + jsonSizeEstimate(e) + 1, 1));
  let n = 1;
  for (const [k, e] of Object.entries(v)) if (e !== undefined) n += utf8Length(k) + 4 + jsonSizeEstimate(e);
  return Math.max(2, n);
}

export class Reader {
  private reads = 0;
  private byAccess: number[] = [];
  private ranges = 0;
  private accesses = new WeakMap<object, Access>();
  private existsCache = new WeakMap<object, Map<string, boolean>>();

  // The answer's budget (plan.answerBudget); unbounded when a plan has none.
  private answerRows = Infinity;
  private answerBytes = Infinity;

  constructor(private readonly db: Db, private readonly budget: number) {}

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
  private countRange(a: Access) {
    if (++this.ranges > MAX_RANGES) {
      throw queryError(`the query needs more than ${MAX_RANGES} index lookups, Convex's limit per call; narrow the parent rows or the relation`, a.requestPath);
    }
  }

  private async passes(a: Access, d: Doc): Promise<boolean> {
    return !a.filter || (await a.filter(d)) === 1;
  }

  private async getById(a: Access, id: Maybe): Promise<Doc | null> {
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
  private async *range(a: Access, iv: Interval): AsyncGenerator<Doc> {
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

  private async scan(a: Access, intervals: Interval[], need: number, after: Value[] | null, out: Doc[]) {
    const ordered = a.orderSource === "index" || a.orderSource === "indexThenTies";
    if (need && ordered && intervals.length > 1) return this.mergeScan(a, intervals.map((iv) => this.range(a, iv)), need, after, out);
    // indexThenTies: the keys the index gives; the rows tying with the boundary on them are all read.
    const tieOrder = a.order.slice(0, Math.min(a.tieKeys, a.order.length));
    for (const iv of intervals) {
      let taken = 0;
      let boundary: Doc | null = null; // indexThenTies: the need-th row, whose ties must all be read
      for await (const d of this.range(a, iv)) {
        this.countRead(a);
        if (boundary && compareOrder(tieOrder, d, boundary) !== 0) break;
        if (!(await this.passes(a, d))) continue;
        if (after && compareToAfter(a.order, d, after) <= 0) continue;
        out.push(d);
        taken++;
        if (need === 0) continue;
        if (a.orderSource === "accessPath" && out.length >= need) break;
        if (a.orderSource === "index" && taken >= need) break;
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
  private async mergeScan(a: Access, ranges: AsyncGenerator<Doc>[], need: number, after: Value[] | null, out: Doc[]) {
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

  private async search(a: Access, out: Doc[]) {
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

  private async readRoot(plan: ReadPlan, out: Doc[], afterKey?: Value[]): Promise<boolean> {
    const a = this.access(plan.root.access);
    let need = 0;
    if (plan.op === "paginate") need = (plan.numItems ?? 0) + 1;
    else if (a.limit !== undefined) need = a.limit + a.offset;
    return this.readAccess(a, need, afterKey, out);
  }

  // An access driven by a relation filter: the related rows, their keys
  // (through the junction's links for many-to-many), then lookups by them.
  private async driven(a: Access, out: Doc[]) {
    const d = a.driver!;
    const related: Doc[] = [];
    await this.readAccess(this.access(d.related.access), 0, undefined, related);
    let keys = distinctKeys(related, fieldsOf(d.relatedField));
    if (d.junction) {
      const links = await this.lookup(this.access(d.junction), keys, false);
      keys = distinctKeys([...links.values()].flatMap((g) => g.rows), fieldsOf(d.junctionField!));
    }
    if (!keys.length) return;
    for (const g of (await this.lookup(a, keys, false)).values()) out.push(...g.rows);
  }

  // One access read whole but for `need` (its early stop) and a cursor position.
  private async readAccess(a: Access, need: number, afterKey: Value[] | undefined, out: Doc[]): Promise<boolean> {
    if (a.driver) {
      await this.driven(a, out); // sorted (and a cursor applied) by the caller
      return false;
    }
    switch (a.source.type) {
      case "empty": return false;
      case "get":
        for (const id of a.ids) {
          const d = await this.getById(a, id);
          if (!d) continue;
          this.countRead(a);
          if (await this.passes(a, d)) out.push(d);
        }
        return false;
      case "search":
        await this.search(a, out);
        return false;
      case "union": {
        if (need && a.orderSource !== "sort" && a.orderSource !== "accessPath") {
          // Every branch's ranges are in the requested order: merged, with one early stop.
          const ranges = a.source.branches.flatMap((b) => {
            const branch: Access = { ...a, source: b, ...decodeSource(b) };
            return branch.ranges.map((iv) => this.range(branch, iv));
          });
          await this.mergeScan(a, ranges, need, afterKey ?? null, out);
          return false;
        }
        // Each branch read whole (the caller sorts); a row two branches find is returned once.
        const seen = new Set<string>();
        for (const b of a.source.branches) {
          const branch: Access = {
            ...a,
            source: b,
            ...decodeSource(b),
            orderSource: "sort",
          };
          const rows: Doc[] = [];
          await this.readAccess(branch, 0, afterKey, rows);
          for (const d of rows) {
            if (seen.has(d._id as string)) continue;
            seen.add(d._id as string);
            out.push(d);
          }
        }
        return false;
      }
      default: {
        const intervals: Interval[] = a.ranges.length ? a.ranges.map((r) => ({ ...r })) : [{}];
        const seekable = a.orderSource === "index" && intervals.length === 1;
        let after: Value[] | null = null;
        if (afterKey) {
          if (seekable) {
            // The cursor holds the index key of the last row: start right after it.
            const b = { key: afterKey, inclusive: false };
            if ((a.source as IndexSource | FullScanSource).order === "desc") intervals[0].upper = b;
            else intervals[0].lower = b;
          } else {
            after = afterKey;
          }
        }
        await this.scan(a, intervals, need, after, out);
        return seekable;
      }
    }
  }

  private async sortRows(a: Access, rows: Doc[]) {
    if (!a.order.length || rows.length < 2) return;
    if (!a.order.some((k) => k.through)) {
      rows.sort((x, y) => compareOrder(a.order, x, y)); // Array.prototype.sort is stable
      return;
    }
    // Keys read through relations: computed once per row, then a sort of positions.
    const computed: (Maybe[] | undefined)[] = [];
    for (const k of a.order) computed.push(k.through ? await this.orderValues(k, rows) : undefined);
    const key = (k: number, i: number): Maybe => (computed[k] ? computed[k]![i] : lookupPath(rows[i], a.order[k].field));
    const at = rows.map((_, i) => i);
    at.sort((x, y) => {
      for (let k = 0; k < a.order.length; k++) {
        const c = compare(key(k, x), key(k, y));
        if (c) return a.order[k].descending ? -c : c;
      }
      return 0;
    });
    const sorted = at.map((i) => rows[i]);
    rows.splice(0, rows.length, ...sorted);
  }

  // Walks one relation from each reached row; a row reached twice (two
  // paths to it) counts twice, as a SQL join yields it.
  private async follow(step: PlanRelation, from: [number, Doc][]): Promise<[number, Doc][]> {
    const kids = await this.related(
      step,
      from.map(([, d]) => d),
      this.budget,
      () => `ordering by related rows joins more than the budget of ${this.budget} rows`,
    );
    const out: [number, Doc][] = [];
    from.forEach(([row], i) => {
      for (const kid of kids[i]) out.push([row, kid]);
    });
    return out;
  }

  // The value of an order key read through relations, for each row (as the
  // embedded engine's relation_order.cpp: nulls ignored, nothing reached → null).
  private async orderValues(k: OrderKey, rows: Doc[]): Promise<Maybe[]> {
    let reached: [number, Doc][] = rows.map((d, i) => [i, d]);
    for (const step of k.through!) reached = await this.follow(step, reached);
    const perRow: Doc[][] = rows.map(() => []);
    for (const [row, d] of reached) perRow[row].push(d);
    const valueOf = (d: Doc): Maybe => {
      const v = lookupPath(d, k.field);
      return isNullish(v) ? null : v;
    };
    return perRow.map((docs): Maybe => {
      if (!k.field) return BigInt(docs.length); // "asc(count)" on a relation
      const values = docs.map(valueOf);
      switch (k.aggregate) {
        case undefined:
        case "first":
          return values.length ? values[0] : null;
        case "count":
          return BigInt(values.filter((v) => v !== null).length);
        case "min":
        case "max": {
          let best: Maybe = null;
          for (const v of values) {
            if (v === null) continue;
            if (best === null || (k.aggregate === "min" ? compare(v, best) < 0 : compare(v, best) > 0)) best = v;
          }
          return best;
        }
        case "avg": {
          let sum = 0;
          let n = 0;
          for (const v of values) {
            if (typeof v === "bigint") sum += Number(v);
            else if (typeof v === "number") sum += v;
            else continue;
            n++;
          }
          return n ? sum / n : null;
        }
      }
      return null;
    });
  }

  private slice(a: Access, rows: Doc[]): Doc[] {
    const end = a.limit === undefined ? undefined : a.offset + a.limit;
    return rows.slice(a.offset, end);
  }

  private async lookup(a: Access, keys: Maybe[], doSlice: boolean): Promise<Groups> {
    const out: Groups = new Map();
    const add = (key: Maybe, d: Doc) => {
      const k = valueKey(key);
      const g = out.get(k);
      if (g) g.rows.push(d);
      else out.set(k, { key, rows: [d] });
    };
    const need = doSlice && a.limit !== undefined ? a.limit + a.offset : 0;
    switch (a.source.type) {
      case "get":
        for (const key of keys) {
          const d = await this.getById(a, key);
          if (!d) continue;
          this.countRead(a);
          if (await this.passes(a, d)) add(key, d);
        }
        break;
      case "index":
        for (const key of keys) {
          const arity = a.lookupBy?.length ?? 1;
          const intervals = a.ranges.length ? a.ranges.map((iv) => withKey(iv, key as Value, arity)) : [withKey({}, key as Value, arity)];
          const rows: Doc[] = [];
          await this.scan(a, intervals, need, null, rows);
          if (rows.length) out.set(valueKey(key), { key, rows });
        }
        break;
      case "fullScan": {
        const wanted = new Set(keys.map(valueKey));
        this.countRange(a);
        for await (const doc of this.db.query(a.table)) {
          this.countRead(a);
          const k = relationKey(doc as Doc, a.lookupBy!);
          if (!isNullish(k) && wanted.has(valueKey(k)) && (await this.passes(a, doc as Doc))) add(k, doc as Doc);
        }
        break;
      }
    }
    for (const g of out.values()) {
      await this.sortRows(a, g.rows);
      if (doSlice) g.rows = this.slice(a, g.rows);
    }
    return out;
  }

  // Whether `parent` has a related row (EXISTS), once per relation and key.
  async exists(step: PlanRelation, parent: Doc): Promise<boolean> {
    const key = relationKey(parent, fieldsOf(step.parentField));
    if (isNullish(key)) return false;
    let cache = this.existsCache.get(step);
    if (!cache) this.existsCache.set(step, (cache = new Map()));
    const ck = valueKey(key);
    const known = cache.get(ck);
    if (known !== undefined) return known;
    let found: boolean;
    if (step.junction) {
      const links = await this.lookup(this.access(step.junction), [key], false);
      const targets: Maybe[] = [];
      for (const g of links.values()) {
        for (const r of g.rows) {
          const t = relationKey(r, fieldsOf(step.junctionTargetField!));
          if (!isNullish(t)) targets.push(t);
        }
      }
      found = targets.length > 0 && (await this.lookup(this.access(step.target.access), targets, false)).size > 0;
    } else {
      found = (await this.lookup(this.access(step.target.access), [key], true)).size > 0;
    }
    cache.set(ck, found);
    return found;
  }

  // Each parent's related rows (sorted and sliced per parent), with keys
  // deduplicated across parents (executor.cpp Executor::related).
  // Fails once the parents' lists together pass `atMost` rows (counted as
  // they are gathered, as the engine does before it copies them).
  private async related(step: PlanRelation, parents: Doc[], atMost: number, refusal: () => string): Promise<Doc[][]> {
    const keys = distinctKeys(parents, fieldsOf(step.parentField));
    const target = this.access(step.target.access);
    const kids: Doc[][] = parents.map(() => []);
    let held = 0;
    const hold = (n: number) => {
      held += n;
      if (held > atMost) throw queryError(refusal(), target.requestPath);
    };
    if (!step.junction) {
      const found = await this.lookup(target, keys, true);
      parents.forEach((d, i) => {
        const g = found.get(valueKey(relationKey(d, fieldsOf(step.parentField))));
        if (g) {
          hold(g.rows.length);
          kids[i] = g.rows;
        }
      });
      return kids;
    }
    const links = await this.lookup(this.access(step.junction), keys, false);
    const ordered = [...links.values()].sort((x, y) => compare(x.key, y.key)); // the engine's map order
    const targets = distinctKeys(ordered.flatMap((g) => g.rows), fieldsOf(step.junctionTargetField!));
    const found: Groups = targets.length ? await this.lookup(target, targets, false) : new Map();
    for (let i = 0; i < parents.length; i++) {
      const g = links.get(valueKey(relationKey(parents[i], fieldsOf(step.parentField))));
      // One parent's rows before its limit are bounded by the links read; they count once sliced.
      for (const link of g?.rows ?? []) {
        const f = found.get(valueKey(relationKey(link, fieldsOf(step.junctionTargetField!))));
        if (f) kids[i].push(...f.rows);
      }
      if (!kids[i].length) continue;
      await this.sortRows(target, kids[i]);
      kids[i] = this.slice(target, kids[i]);
      hold(kids[i].length);
    }
    return kids;
  }

  // The answer rows of `docs`, each with its weight (itself and its nested
  // rows); fails past the answer's budget (executor.cpp Executor::shape),
  // naming `path` (the root: "", the whole answer).
  async shape(node: PlanNode, docs: Doc[], path = "", weights: Weight[] = []): Promise<Doc[]> {
    const out = docs.map((d) => project(d, node.columns));
    weights.length = 0;
    const level: Weight = { rows: 0, bytes: 0 };
    for (const o of out) {
      const w = { rows: 1, bytes: jsonSizeEstimate(o) };
      weights.push(w);
      level.rows += 1;
      level.bytes += w.bytes;
    }
    this.fitsAnswer(level, path);
    for (const step of node.with ?? []) {
      const kids = await this.related(step, docs, this.answerRows, () => this.answerRowsRefusal());
      // Shape each distinct child once, then attach it to every parent that has it.
      const unique: Doc[] = [];
      const pos = new Map<string, number>();
      for (const list of kids) {
        for (const k of list) {
          const id = k._id as string;
          if (!pos.has(id)) {
            pos.set(id, unique.length);
            unique.push(k);
          }
        }
      }
      const kidWeights: Weight[] = [];
      const stepPath = this.access(step.target.access).requestPath;
      const shaped = await this.shape(step.target, unique, stepPath, kidWeights);
      // Each parent appears in the answer at least once: weigh before attaching.
      const keyBytes = utf8Length(step.relation) + 4;
      const many = step.cardinality === "many";
      kids.forEach((list, i) => {
        let rows = 0;
        let bytes = keyBytes + (many ? 2 : 0) + (!many && list.length === 0 ? 4 : 0);
        for (let k = 0; k < list.length && (many || k === 0); k++) {
          const w = kidWeights[pos.get(list[k]._id as string)!];
          rows += w.rows;
          bytes += w.bytes + 1;
        }
        weights[i].rows += rows;
        weights[i].bytes += bytes;
        level.rows += rows;
        level.bytes += bytes;
      });
      this.fitsAnswer(level, stepPath);
      out.forEach((o, i) => {
        if (many) o[step.relation] = kids[i].map((k) => shaped[pos.get(k._id as string)!]);
        else o[step.relation] = kids[i].length ? shaped[pos.get(kids[i][0]._id as string)!] : null;
      });
    }
    return out;
  }

  private answerRowsRefusal(): string {
    return `the answer would hold more than its budget of ${this.answerRows} rows, nested rows included (--answer-rows): add limits or fewer relations`;
  }

  private fitsAnswer(w: Weight, path: string) {
    if (w.rows > this.answerRows) throw queryError(this.answerRowsRefusal(), path);
    if (w.bytes > this.answerBytes) {
      throw queryError(
        `the answer would be larger than its budget of ${this.answerBytes} bytes (--answer-bytes): select fewer columns or rows`,
        path,
      );
    }
  }

  // The rows a plan selects, sorted and sliced (what update and delete change).
  async rows(plan: ReadPlan): Promise<Doc[]> {
    const rows: Doc[] = [];
    await this.readRoot(plan, rows);
    const a = this.access(plan.root.access);
    await this.sortRows(a, rows);
    return this.slice(a, rows);
  }

  async run(plan: ReadPlan): Promise<Value> {
    const a = this.access(plan.root.access);
    this.answerRows = plan.answerBudget?.rows ?? Infinity;
    this.answerBytes = plan.answerBudget?.bytes ?? Infinity;
    // A missing field in the cursor's key sorts below null: kept as undefined.
    const afterKey = plan.after?.map((v) => (v && typeof v === "object" && "$undefined" in v ? undefined : decode(v))) as Value[] | undefined;
    let rows: Doc[] = [];
    let seekable = false;
    const atEnd = afterKey && afterKey.length === 0;
    if (!atEnd) seekable = await this.readRoot(plan, rows, afterKey);
    if (afterKey && !atEnd && (a.source.type === "get" || a.source.type === "union" || a.driver)) {
      rows = rows.filter((d) => compareToAfter(a.order, d, afterKey) > 0);
    }
    if (a.source.type !== "search") await this.sortRows(a, rows);
    switch (plan.op) {
      case "count":
        return { count: rows.length };
      case "paginate": {
        const numItems = plan.numItems ?? 0;
        const done = rows.length <= numItems;
        if (!done) rows = rows.slice(0, numItems);
        const page = await this.shape(plan.root, rows);
        let cursorKey: Maybe[] = [];
        if (!done && rows.length) {
          const last = rows[rows.length - 1];
          cursorKey = seekable
            ? [...(a.source as IndexSource | FullScanSource).indexFields.map((f) => lookupPath(last, f)), last._id]
            : a.order.map((k) => lookupPath(last, k.field));
        }
        return { page, continueCursor: encodeCursor(plan.fingerprint ?? "", cursorKey), isDone: done };
      }
      default: {
        const shaped = await this.shape(plan.root, this.slice(a, rows));
        if (plan.op === "findFirst") return shaped.length ? shaped[0] : null;
        return shaped;
      }
    }
  }
}
