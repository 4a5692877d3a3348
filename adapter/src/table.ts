// convexTable: a Convex table built from column builders, with Drizzle's
// index callback. The result is a real TableDefinition (defineSchema takes
// it; its export() is the equivalent defineTable's), with the table's
// columns as ColumnRefs on it and what the proxy needs beside Convex's
// schema kept under a symbol for defineAdapter.
import { defineTable, type TableDefinition } from "convex/server";
import { v, type GenericId, type VObject } from "convex/values";
import { Column, fieldExtras, type ColumnRef, type OnDelete } from "./columns.js";

const TABLE_META: unique symbol = Symbol.for("drizzle-convex.table");

export type TableMeta = {
  name: string;
  fields: Record<string, { default?: unknown; onUpdate?: unknown; integer?: true }>;
  unique: string[][];
  references: { field: string; target: () => ColumnRef; onDelete?: OnDelete }[];
};

type AnyColumn = Column<any, boolean, boolean>;
type Columns = Record<string, AnyColumn>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type NotNullKeys<C extends Columns> = { [K in keyof C]: C[K]["_notNull"] extends true ? K : never }[keyof C];
type RequiredOnInsert<C extends Columns> = {
  [K in keyof C]: C[K]["_notNull"] extends true ? (C[K]["_hasDefault"] extends true ? never : K) : never;
}[keyof C];

// A row as reads return it: nullable columns may be null or absent.
export type InferSelect<Name extends string, C extends Columns> = Simplify<
  { _id: GenericId<Name>; _creationTime: number } & { [K in NotNullKeys<C>]: C[K]["_type"] } & {
    [K in Exclude<keyof C, NotNullKeys<C>>]?: C[K]["_type"] | null;
  }
>;
// A row as an insert takes it: defaulted and nullable columns may be left out.
export type InferInsert<C extends Columns> = Simplify<
  { [K in RequiredOnInsert<C>]: C[K]["_type"] } & {
    [K in Exclude<keyof C, RequiredOnInsert<C>>]?: C[K]["_notNull"] extends true ? C[K]["_type"] : C[K]["_type"] | null;
  }
>;

// The document as Convex's own types see it (what ctx.db reads and writes).
type ConvexDoc<C extends Columns> = Simplify<
  { [K in NotNullKeys<C>]: C[K]["_type"] } & { [K in Exclude<keyof C, NotNullKeys<C>>]?: C[K]["_type"] | null }
>;

export type ConvexTable<Name extends string, C extends Columns> = TableDefinition<VObject<ConvexDoc<C>, any>> & {
  readonly [K in keyof C | "_id" | "_creationTime"]: ColumnRef;
} & {
  readonly $name: Name;
  readonly $columns: C; // the column builders, whose types drizzle-convex-client reads
  readonly $inferSelect: InferSelect<Name, C>;
  readonly $inferInsert: InferInsert<C>;
};

export class IndexBuilder {
  constructor(readonly name: string, readonly isUnique: boolean) {}
  on(...columns: [ColumnRef, ...ColumnRef[]]): { name: string; unique: boolean; fields: string[] } {
    return { name: this.name, unique: this.isUnique, fields: columns.map((c) => c.column) };
  }
}
export const index = (name: string) => new IndexBuilder(name, false);
export const uniqueIndex = (name: string) => new IndexBuilder(name, true);
type IndexSpec = ReturnType<IndexBuilder["on"]>;

export function convexTable<const Name extends string, C extends Columns>(
  name: Name,
  columns: C,
  extra?: (t: { [K in keyof C | "_id" | "_creationTime"]: ColumnRef }) => IndexSpec[],
): ConvexTable<Name, C> {
  const refs: Record<string, ColumnRef> = {};
  for (const key of [...Object.keys(columns), "_id", "_creationTime"]) refs[key] = Object.freeze({ table: name, column: key });
  const fields: Record<string, any> = {};
  const meta: TableMeta = { name, fields: {}, unique: [], references: [] };
  for (const [key, col] of Object.entries(columns)) {
    if (!(col instanceof Column)) throw new Error(`drizzle-convex: ${name}.${key} is not a column builder`);
    fields[key] = col.validator();
    const extras = fieldExtras(col);
    if (Object.keys(extras).length) meta.fields[key] = extras;
    if (col.config.unique) meta.unique.push([key]);
    if (col.config.references) meta.references.push({ field: key, ...col.config.references });
  }
  let table: any = defineTable(v.object(fields));
  const declared = extra ? extra(refs as any) : [];
  for (const i of declared) {
    table = table.index(i.name, i.fields);
    if (i.unique && !meta.unique.some((u) => sameFields(u, i.fields))) meta.unique.push(i.fields);
  }
  // A unique column needs an index for its checks to stay cheap; one is made
  // unless an index on that column alone was declared.
  for (const [key, col] of Object.entries(columns)) {
    if (col.config.unique && !declared.some((i) => sameFields(i.fields, [key]))) table = table.index(`${key}_unique`, [key]);
  }
  for (const [key, ref] of Object.entries(refs)) {
    if (key in table) {
      throw new Error(`drizzle-convex: column ${name}.${key} has the name of a TableDefinition member; rename the column`);
    }
    Object.defineProperty(table, key, { value: ref, enumerable: false });
  }
  Object.defineProperty(table, "$name", { value: name, enumerable: false });
  Object.defineProperty(table, "$columns", { value: Object.freeze({ ...columns }), enumerable: false });
  Object.defineProperty(table, TABLE_META, { value: meta, enumerable: false });
  return table as ConvexTable<Name, C>;
}

function sameFields(a: string[], b: string[]) {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

// The proxy's extras of a builder table; undefined for a `defineTable` one.
export function tableMeta(table: unknown): TableMeta | undefined {
  return table && typeof table === "object" ? (table as any)[TABLE_META] : undefined;
}
