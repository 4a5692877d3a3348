// Runs a read plan (server/planner/plan.hpp, as JSON) on Convex's database
// API inside one query transaction: index ranges with withIndex, ids with
// db.get, text search with withSearchIndex, post-filters in JS, relations
// loaded level by level with deduplicated keys. It mirrors the embedded
// engine (server/backend/embedded/executor.cpp) step for step, so the two
// backends give the same rows and count the same documents read.
//
// The parts: read_scan.ts (an access's own rows), read_relations.ts
// (relations, whole accesses, order), read_ranges.ts, read_order.ts,
// read_keys.ts and read_answer.ts (helpers), read_aggregate.ts
// (an aggregate's groups); this file runs a plan and shapes
// its answer.
import type { Value } from "convex/values";
import { missingRequired, queryError } from "./errors.js";
import type { IndexSource, FullScanSource, PlanNode, ReadPlan } from "./plan.js";
import { encodeCursor, jsonSizeEstimate, project, utf8Length, type Weight } from "./read_answer.js";
import { foldGroups } from "./read_aggregate.js";
import { compareToAfter } from "./read_order.js";
import { Relations } from "./read_relations.js";
import { decode, lookupPath, type Doc, type Maybe } from "./values.js";

export { project } from "./read_answer.js";

export class Reader extends Relations {
  // The answer's budget (plan.answerBudget); unbounded when a plan has none.
  private answerRows = Infinity;
  private answerBytes = Infinity;

  protected async readRoot(plan: ReadPlan, out: Doc[], afterKey?: Value[]): Promise<boolean> {
    const a = this.access(plan.root.access);
    let need = 0;
    if (plan.op === "paginate") need = (plan.numItems ?? 0) + 1;
    else if (a.limit !== undefined) need = a.limit + a.offset;
    return this.readAccess(a, need, afterKey, out);
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
      if (step.count) {
        // `_count[relation]`: read (and counted as read), not held: no answer budget.
        const found = await this.related(step, docs, Infinity, () => "");
        out.forEach((o, i) => {
          const n = step.cardinality === "many" ? found[i].length : Math.min(found[i].length, 1);
          o._count = { ...((o._count as Record<string, number> | undefined) ?? {}), [step.relation]: n };
        });
        continue;
      }
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
        else if (kids[i].length) o[step.relation] = shaped[pos.get(kids[i][0]._id as string)!];
        else if (step.required) throw missingRequired(step.relation, docs[i]);
        else o[step.relation] = null;
      });
    }
    return out;
  }

  protected answerRowsRefusal(): string {
    return `the answer would hold more than its budget of ${this.answerRows} rows, nested rows included (--answer-rows): add limits or fewer relations`;
  }

  protected fitsAnswer(w: Weight, path: string) {
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
      case "aggregate":
        return foldGroups(plan.group!, rows);
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
