// Runs a mutation plan inside one Convex mutation: inserts, updates and
// deletes with the integrity rules the plan carries (unique constraints, id
// references, onDelete cascade/setNull/restrict), as the embedded engine's
// writer does (server/backend/embedded/writer.cpp). A thrown error aborts the
// whole Convex mutation, so a failed plan writes nothing.
import type { GenericDatabaseWriter } from "convex/server";
import type { Value } from "convex/values";
import { conflict, forbidden, invalidValue, pointerAppend } from "./errors.js";
import { compileFilter, type Filter } from "./filter.js";
import type { MutationPlan, MutationStep, PlanFilter, SetValue, TableRules } from "./plan.js";
import { project, Reader } from "./read.js";
import { compare, decode, isNullish, lookupPath, type Doc } from "./values.js";

type Db = GenericDatabaseWriter<any>;
export type IndexDefs = Map<string, { name: string; fields: string[] }[]>;
// The document validator's fields that may be absent (from the deployed schema).
export type OptionalFields = Map<string, Set<string>>;

const userFields = (d: Doc): Doc => {
  const { _id, _creationTime, ...rest } = d;
  return rest;
};

// set/onConflict.set: {field: value | {"$unset": true}}; undefined removes.
const decodeSet = (set?: Record<string, SetValue>): [string, Value | undefined][] =>
  Object.entries(set ?? {}).map(([f, v]) =>
    [f, v && typeof v === "object" && !Array.isArray(v) && "$unset" in v && v.$unset === true ? undefined : decode(v)]);

// A rule's check or an upsert's update filter (auth.md section 4): plain
// filters on the written row, without relation filters (the planner refuses those).
const rowFilter = (j?: PlanFilter): Filter | null => (j ? compileFilter(j, async () => false) : null);

export class Writer {
  private reads = 0;

  constructor(
    private readonly db: Db,
    private readonly plan: MutationPlan,
    private readonly indexes: IndexDefs,
    private readonly optional: OptionalFields,
  ) {}

  docsRead() {
    return this.reads;
  }

  private rules(table: string): TableRules {
    return this.plan.rules?.[table] ?? { unique: [], references: [], onDelete: [] };
  }

  // Rows of `table` whose `fields` equal `values`, through the index with the
  // longest prefix among the fields (the rest is checked per row).
  private async findEqual(table: string, fields: string[], values: Value[]): Promise<Doc[]> {
    let best: { name: string; fields: string[] } | null = null;
    let bestLen = 0;
    for (const idx of this.indexes.get(table) ?? []) {
      let n = 0;
      while (n < idx.fields.length && fields.includes(idx.fields[n])) n++;
      if (n > bestLen) {
        best = idx;
        bestLen = n;
      }
    }
    let q: AsyncIterable<any>;
    if (best) {
      const b = best;
      q = this.db.query(table).withIndex(b.name, (r: any) => {
        for (let i = 0; i < bestLen; i++) r = r.eq(b.fields[i], values[fields.indexOf(b.fields[i])]);
        return r;
      });
    } else {
      q = this.db.query(table);
    }
    const out: Doc[] = [];
    for await (const d of q) {
      this.reads++;
      if (fields.every((f, i) => compare(lookupPath(d, f), values[i]) === 0)) out.push(d);
    }
    return out;
  }

  private async checkUnique(table: string, doc: Doc, id: string | null, path: string) {
    for (const u of this.rules(table).unique as string[][]) {
      const values = u.map((f) => lookupPath(doc, f));
      if (values.some(isNullish)) continue; // SQL: NULLs never conflict
      for (const other of await this.findEqual(table, u, values as Value[])) {
        if (other._id !== id) {
          const who = this.plan.nameRows === false ? "another row" : `row ${other._id}`;
          throw conflict(`unique constraint ${table}(${u.join(", ")}) is violated: ${who} has the same values`,
            pointerAppend(path, u[0]));
        }
      }
    }
  }

  private async checkReferences(table: string, doc: Doc, path: string) {
    for (const ref of this.rules(table).references as { field: string; table: string }[]) {
      const v = doc[ref.field];
      if (typeof v !== "string") continue;
      this.reads++;
      const id = this.db.normalizeId(ref.table, v);
      if (id === null || (await this.db.get(id)) === null) {
        throw invalidValue(`no row of '${ref.table}' has _id '${v}'`, pointerAppend(path, ref.field));
      }
    }
  }

  private async insertRow(table: string, fields: Doc, path: string): Promise<Doc> {
    await this.checkReferences(table, fields, path);
    await this.checkUnique(table, fields, null, path);
    const id = await this.db.insert(table, fields);
    return (await this.db.get(id)) as Doc;
  }

  private async updateRow(table: string, row: Doc, set: [string, Value | undefined][], path: string): Promise<Doc> {
    const fields = userFields(row);
    for (const [f, v] of set) {
      if (v === undefined) delete fields[f];
      else fields[f] = v;
    }
    await this.checkReferences(table, fields, path);
    await this.checkUnique(table, fields, row._id as string, path);
    await this.db.replace(row._id as any, fields);
    return { ...fields, _id: row._id, _creationTime: row._creationTime };
  }

  private async deleteRow(table: string, row: Doc, path: string, depth: number) {
    if ((await this.db.get(row._id as any)) === null) return; // already removed by an earlier cascade
    if (depth > 64) throw conflict("onDelete rules nest deeper than 64 levels", path);
    await this.db.delete(row._id as any);
    for (const r of this.rules(table).onDelete) {
      const key = lookupPath(row, r.to);
      if (isNullish(key)) continue;
      for (const ref of await this.findEqual(r.table, [r.field], [key as Value])) {
        if ((await this.db.get(ref._id as any)) === null) continue;
        if (r.rule === "restrict") {
          if (this.plan.nameRows === false) {
            throw conflict(`cannot delete a row of ${table}: a row of ${r.table} references it through '${r.field}' (onDelete: restrict)`, path);
          }
          throw conflict(`cannot delete ${table} ${row._id}: ${r.table} ${ref._id} references it through '${r.field}' (onDelete: restrict)`, path);
        }
        if (r.rule === "cascade") {
          await this.deleteRow(r.table, ref, path, depth + 1);
          continue;
        }
        const fields = userFields(ref);
        if (r.nullable) {
          fields[r.field] = null;
        } else if (this.optional.get(r.table)?.has(r.field)) {
          delete fields[r.field];
        } else {
          throw conflict(`cannot set ${r.table}.${r.field} to null: the field is required`, path);
        }
        await this.db.replace(ref._id as any, fields);
      }
    }
  }

  // One violation refuses the whole request; the thrown error aborts the Convex mutation.
  private async checkRow(check: Filter | null, row: Doc, table: string, path: string) {
    if (check && (await check(row)) !== 1) {
      throw forbidden(`the row written to '${table}' does not pass the check of role '${this.plan.role}'`, path);
    }
  }

  private async apply(step: MutationStep): Promise<Value> {
    const check = rowFilter(step.check);
    const updateCheck = rowFilter(step.updateCheck);
    const updateFilter = rowFilter(step.updateFilter);
    const affected: Doc[] = [];
    const ids: string[] = [];
    let count = 0;
    if (step.op === "insert") {
      const oc = step.onConflict;
      const conflictSet = oc ? decodeSet(oc.set) : [];
      const rows = step.rows ?? [];
      for (let i = 0; i < rows.length; i++) {
        const row = decode(rows[i]) as Doc;
        const path = step.rowPaths?.[i] ?? step.path;
        if (oc) {
          const values = oc.target.map((f) => row[f]);
          const existing = values.some(isNullish) ? [] : await this.findEqual(step.table, oc.target, values as Value[]);
          if (existing.length) {
            if (oc.do !== "update") continue; // do nothing: not inserted, not counted
            if (updateFilter && (await updateFilter(existing[0])) !== 1) {
              throw forbidden(`the row of '${step.table}' this insert conflicts with is outside what role '${this.plan.role}' may update`, path);
            }
            const updated = await this.updateRow(step.table, existing[0], conflictSet, path);
            await this.checkRow(updateCheck, updated, step.table, path);
            affected.push(updated);
            count++;
            continue;
          }
        }
        const d = await this.insertRow(step.table, row, path);
        await this.checkRow(check, d, step.table, path);
        ids.push(d._id as string);
        affected.push(d);
        count++;
      }
    } else {
      const reader = new Reader(this.db, this.plan.readBudget);
      if (!step.target) throw new Error(`a ${step.op} step without its target rows`);
      const rows = await reader.rows(step.target).finally(() => (this.reads += reader.docsRead()));
      const set = decodeSet(step.set);
      for (const row of rows) {
        if (step.op === "update") {
          const updated = await this.updateRow(step.table, row, set, step.path + "/set");
          await this.checkRow(check, updated, step.table, step.path + "/set");
          affected.push(updated);
        } else {
          if ((await this.db.get(row._id as any)) === null) continue;
          await this.deleteRow(step.table, row, step.path + "/where", 0);
          affected.push(row);
        }
        count++;
      }
    }
    if (step.returning) {
      const columns = step.returning === true ? undefined : step.returning;
      return affected.map((d) => project(d, columns));
    }
    const out: Record<string, Value> = { rowsAffected: count };
    if (step.op === "insert") out.ids = ids;
    return out;
  }

  async run(): Promise<Value> {
    const results: Value[] = [];
    for (const step of this.plan.steps) results.push(await this.apply(step));
    return this.plan.transaction ? results : results[0];
  }
}
