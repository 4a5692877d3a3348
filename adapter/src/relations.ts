// defineRelations in Drizzle v2's words, written out in the proxy's relation
// format (protocol.md section 8):
//
//   defineRelations({ users, posts }, (r) => ({
//     users: { posts: r.many.posts() },
//     posts: { author: r.one.users({ from: r.posts.authorId, to: r.users._id, optional: false }) },
//   }))
//
// `r.<table>.<column>` names a column; `.through(r.<junction>.<column>)` on a
// `from`/`to` column makes a many-to-many through a junction table. A `many`
// without `from`/`to` takes them from the `one` relation that points back
// at it, or else from the one `id("<source>")` column of the target.
import type { ColumnRef } from "./columns.js";

const RELATIONS: unique symbol = Symbol.for("drizzle-convex.relations");

export type ThroughRef = ColumnRef & { readonly via: ColumnRef };
type Endpoint = ColumnRef | ThroughRef | (ColumnRef | ThroughRef)[];

export type RelationOptions = {
  from?: Endpoint;
  to?: Endpoint;
  where?: Record<string, unknown>;
  optional?: boolean;
  onDelete?: "cascade" | "restrict" | "setNull";
};

export type RelationSpec<K extends "one" | "many" = "one" | "many", T extends string = string, O extends RelationOptions = RelationOptions> = {
  kind: K;
  target: T;
  options: O;
};

type ColumnRefs = Record<string, ColumnRef & { through(via: ColumnRef): ThroughRef }>;
type Builder<Tables extends Record<string, unknown>> = {
  one: { [T in keyof Tables & string]: <const O extends RelationOptions = {}>(options?: O) => RelationSpec<"one", T, O> };
  many: { [T in keyof Tables & string]: <const O extends RelationOptions = {}>(options?: O) => RelationSpec<"many", T, O> };
} & { [T in keyof Tables & string]: ColumnRefs };

export type ProxyRelations = Record<string, Record<string, Record<string, unknown>>>;
// `$relationTypes` exists in the types only: what drizzle-convex-client
// reads the relations' names, targets and cardinality from.
export type Relations<D = unknown> = { readonly [RELATIONS]: ProxyRelations; readonly $relationTypes?: D };

// The tables of a schema object ({users, posts}) or of a SchemaDefinition.
function tableRecord(tables: Record<string, unknown>): Record<string, unknown> {
  return (tables as any).tables && typeof (tables as any).export === "function" ? (tables as any).tables : tables;
}

export function defineRelations<
  Tables extends Record<string, unknown>,
  const D extends { [T in keyof Tables & string]?: Record<string, RelationSpec> },
>(tables: Tables, define: (r: Builder<Tables>) => D): Relations<D> {
  const names = new Set(Object.keys(tableRecord(tables)));
  const known = (t: string) => {
    if (!names.has(t)) throw new Error(`drizzle-convex: defineRelations: no table '${t}' in the schema`);
    return t;
  };
  const columnsOf = (table: string): ColumnRefs =>
    new Proxy({} as ColumnRefs, {
      get: (_, column) => {
        if (typeof column !== "string") return undefined;
        const ref = { table, column };
        return { ...ref, through: (via: ColumnRef) => ({ ...ref, via }) };
      },
    });
  const relationMaker = (kind: "one" | "many") =>
    new Proxy({}, { get: (_, t) => (options: RelationOptions = {}) => ({ kind, target: known(String(t)), options }) });
  const r = new Proxy({} as any, {
    get: (_, key) => (key === "one" || key === "many" ? relationMaker(key) : columnsOf(known(String(key)))),
  }) as Builder<Tables>;
  const declared = define(r);
  const out: ProxyRelations = {};
  for (const [source, rels] of Object.entries(declared)) {
    known(source);
    for (const [name, spec] of Object.entries(rels ?? {})) {
      (out[source] ??= {})[name] = toProxy(source, name, spec as RelationSpec, declared as any, tableRecord(tables));
    }
  }
  return { [RELATIONS]: out };
}

export function relationsJson(x: unknown): ProxyRelations | undefined {
  return x && typeof x === "object" && RELATIONS in x ? (x as Relations)[RELATIONS] : undefined;
}

const list = (e: Endpoint) => (Array.isArray(e) ? e : [e]);
const names = (refs: (ColumnRef | ThroughRef)[]) => (refs.length === 1 ? refs[0].column : refs.map((c) => c.column));

function toProxy(
  source: string,
  name: string,
  spec: RelationSpec,
  all: Record<string, Record<string, RelationSpec>>,
  tables: Record<string, unknown>,
): Record<string, unknown> {
  const where = `defineRelations: ${source}.${name}`;
  let { from, to } = spec.options;
  if (!from !== !to) throw new Error(`drizzle-convex: ${where} needs both from and to, or neither`);
  if (!from || !to) {
    if (spec.kind === "one") throw new Error(`drizzle-convex: ${where}: a one relation names from and to`);
    [from, to] = inverseOf(source, spec.target, all, tables, where);
  }
  const f = list(from);
  const t = list(to);
  for (const c of f) if (c.table !== source) throw new Error(`drizzle-convex: ${where}: from names ${c.table}.${c.column}, a column of another table`);
  for (const c of t) if (c.table !== spec.target) throw new Error(`drizzle-convex: ${where}: to names ${c.table}.${c.column}, not a column of ${spec.target}`);
  const out: Record<string, unknown> = { [spec.kind]: spec.target, from: names(f), to: names(t) };
  const via = (refs: (ColumnRef | ThroughRef)[]) => refs.map((c) => ("via" in c ? c.via : undefined));
  const fromVia = via(f);
  const toVia = via(t);
  if (fromVia.some(Boolean) || toVia.some(Boolean)) {
    if (![...fromVia, ...toVia].every(Boolean)) throw new Error(`drizzle-convex: ${where}: every from and to column needs .through() for a junction`);
    const junction = fromVia[0]!.table;
    if (![...fromVia, ...toVia].every((c) => c!.table === junction)) throw new Error(`drizzle-convex: ${where}: .through() names one junction table`);
    out.through = { table: junction, from: names(fromVia as ColumnRef[]), to: names(toVia as ColumnRef[]) };
  }
  if (spec.options.where !== undefined) out.where = spec.options.where;
  if (spec.options.optional !== undefined) out.optional = spec.options.optional;
  if (spec.options.onDelete !== undefined) out.onDelete = spec.options.onDelete;
  return out;
}

// A `many` without from/to: the inverse of the target's `one` back to the
// source, or the target's single id(source) column.
function inverseOf(
  source: string,
  target: string,
  all: Record<string, Record<string, RelationSpec>>,
  tables: Record<string, unknown>,
  where: string,
): [Endpoint, Endpoint] {
  const back = Object.values(all[target] ?? {}).filter((s) => s.kind === "one" && s.target === source && s.options.from && s.options.to);
  if (back.length === 1) return [back[0].options.to!, back[0].options.from!];
  if (back.length > 1) throw new Error(`drizzle-convex: ${where}: ${target} has several one relations to ${source}; name from and to`);
  const doc = (tables as any)[target]?.export?.().documentType;
  const ids = doc?.type === "object"
    ? Object.entries(doc.value as Record<string, any>).filter(([, f]) => idTarget(f.fieldType) === source).map(([k]) => k)
    : [];
  if (ids.length === 1) return [{ table: source, column: "_id" }, { table: target, column: ids[0] }];
  throw new Error(`drizzle-convex: ${where}: cannot tell which column of ${target} points at ${source}; name from and to`);
}

function idTarget(t: any): string | undefined {
  if (t?.type === "id") return t.tableName;
  if (t?.type === "union") {
    const ids = t.value.filter((m: any) => m.type !== "null");
    return ids.length === 1 ? idTarget(ids[0]) : undefined;
  }
  return undefined;
}
