// Reading an access whole (driven from a relation filter's side, a union,
// ranges with a cursor), relations looked up by deduplicated parent keys,
// EXISTS probes, and rows sorted (through relations too) and sliced. The
// same seams as the engine's executor.cpp, relation_lookup.cpp, row_order.cpp
// and relation_order.cpp.
import type { Value } from "convex/values";
import { queryError } from "./errors.js";
import type { IndexSource, FullScanSource, PlanRelation } from "./plan.js";
import { compareOrder, type OrderKey } from "./read_order.js";
import { decodeSource, withKey, type Interval } from "./read_ranges.js";
import { distinctKeys, fieldsOf, relationKey, type Groups } from "./read_keys.js";
import { Scanner, type Access } from "./read_scan.js";
import { compare, isNullish, lookupPath, valueKey, type Doc, type Maybe } from "./values.js";

export abstract class Relations extends Scanner {
  private existsCache = new WeakMap<object, Map<string, boolean>>();
  private targetCache = new WeakMap<Access, Map<string, boolean>>();

  // An access driven by a relation filter: the related rows, their keys
  // (through the junction's links for many-to-many), then lookups by them.
  protected async driven(a: Access, out: Doc[]) {
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
  protected async readAccess(a: Access, need: number, afterKey: Value[] | undefined, out: Doc[]): Promise<boolean> {
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
        // As the proxy's fingerprint says (cursor_codec.cpp seek_index): the cursor then holds this index's key.
        const seekable = a.orderSource === "index" && intervals.length === 1 && !(a.source.type === "index" && a.source.skipValues === "observed");
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

  protected async sortRows(a: Access, rows: Doc[]) {
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
  protected async follow(step: PlanRelation, from: [number, Doc][]): Promise<[number, Doc][]> {
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
  protected async orderValues(k: OrderKey, rows: Doc[]): Promise<Maybe[]> {
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

  protected slice(a: Access, rows: Doc[]): Doc[] {
    const end = a.limit === undefined ? undefined : a.offset + a.limit;
    return rows.slice(a.offset, end);
  }

  protected async lookup(a: Access, keys: Maybe[], doSlice: boolean): Promise<Groups> {
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
    const found = step.junction
      ? await this.existsThrough(step, key)
      : (await this.lookup(this.access(step.target.access), [key], true)).size > 0;
    cache.set(ck, found);
    return found;
  }

  // Through a junction the links are read one at a time, in index order,
  // and the first whose target exists answers; targets are probed once per
  // relation. Reads the same documents as the engine's Executor::exists_through.
  private async existsThrough(step: PlanRelation, key: Maybe): Promise<boolean> {
    const links = this.access(step.junction!);
    const target = this.access(step.target.access);
    let probed = this.targetCache.get(target);
    if (!probed) this.targetCache.set(target, (probed = new Map()));
    const targetExists = async (t: Maybe) => {
      const tk = valueKey(t);
      let hit = probed!.get(tk);
      if (hit === undefined) probed!.set(tk, (hit = (await this.lookup(target, [t], false)).size > 0));
      return hit;
    };
    const throughTo = fieldsOf(step.junctionTargetField!);
    if (links.source.type !== "index") {
      // Links without an index on their key: read whole, as a lookup does.
      for (const g of (await this.lookup(links, [key], false)).values()) {
        for (const r of g.rows) {
          const t = relationKey(r, throughTo);
          if (!isNullish(t) && (await targetExists(t))) return true;
        }
      }
      return false;
    }
    const arity = links.lookupBy?.length ?? 1;
    const intervals = links.ranges.length ? links.ranges.map((iv) => withKey(iv, key as Value, arity)) : [withKey({}, key as Value, arity)];
    for (const iv of intervals) {
      for await (const link of this.range(links, iv)) {
        this.countRead(links);
        if (!(await this.passes(links, link))) continue;
        const t = relationKey(link, throughTo);
        if (!isNullish(t) && (await targetExists(t))) return true;
      }
    }
    return false;
  }

  // Each parent's related rows (sorted and sliced per parent), with keys
  // deduplicated across parents (executor.cpp Executor::related).
  // Fails once the parents' lists together pass `atMost` rows (counted as
  // they are gathered, as the engine does before it copies them).
  protected async related(step: PlanRelation, parents: Doc[], atMost: number, refusal: () => string): Promise<Doc[][]> {
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
}
