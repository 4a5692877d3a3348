// Column builders in Drizzle's words, mapped to Convex validators
// (docs: adapter/README.md, "Schemas with column builders"). A column is
// nullable unless `.notNull()`: `v.optional(v.union(T, v.null()))`, as a SQL
// column without NOT NULL may be absent or null. What Convex's validators
// cannot say (defaults, onUpdate, integer, unique, references) is kept on the
// column and reaches the proxy through `describe`, never the deployed schema.
import { convexToJson, v, type GenericId, type Validator, type Value } from "convex/values";

// The marker for "the server's clock at write time": `.default(now)`,
// `.$onUpdate(now)` (Drizzle's `sql\`now()\``).
export const now: unique symbol = Symbol.for("drizzle-convex.now");
export type Now = typeof now;

// A default as the proxy's schema writes it (protocol.md section 8).
export type DefaultJson = { $fn: "now" | "uuid" } | { literal: unknown };

export type OnDelete = "cascade" | "restrict" | "setNull" | "set null";

// A column named by its table, as `.references()` and relations name one.
export type ColumnRef = { readonly table: string; readonly column: string };

export type ColumnConfig = {
  base: () => Validator<any, "required", any>;
  notNull: boolean;
  isArray: boolean;
  integer: boolean;
  default?: DefaultJson;
  onUpdate?: DefaultJson;
  unique: boolean;
  primaryKey: boolean;
  references?: { target: () => ColumnRef; onDelete?: OnDelete };
};

// T: the value's type; NotNull and HasDefault decide the select and insert types.
export class Column<T, NotNull extends boolean = false, HasDefault extends boolean = false> {
  declare readonly _type: T;
  declare readonly _notNull: NotNull;
  declare readonly _hasDefault: HasDefault;

  constructor(readonly config: ColumnConfig) {}

  private with(change: Partial<ColumnConfig>): any {
    return new Column({ ...this.config, ...change });
  }

  notNull(): Column<T, true, HasDefault> {
    return this.with({ notNull: true });
  }

  // A literal (a string is always a literal), or `now` for the write's time.
  default(value: T | (T extends number ? Now : never)): Column<T, NotNull, true> {
    if (value === now) return this.with({ default: { $fn: "now" } });
    return this.with({ default: { literal: value } });
  }

  // The write's time in ms (a number column: the proxy refuses the schema otherwise).
  defaultNow(this: Column<number, NotNull, HasDefault>): Column<T, NotNull, true> {
    return this.with({ default: { $fn: "now" } });
  }

  // A random UUID v4 string per row (Drizzle's defaultRandom on uuid columns); a string column.
  defaultRandom(this: Column<string, NotNull, HasDefault>): Column<T, NotNull, true> {
    return this.with({ default: { $fn: "uuid" } });
  }

  // Written by the server on every update that does not set the column. As in
  // Drizzle, a column without a default gets the same value on insert too.
  // Takes `now` (a number column) or a literal, not Drizzle's function form:
  // the server, not the client, computes the value.
  $onUpdate(this: Column<number, NotNull, HasDefault>, value: Now): Column<T, NotNull, true>;
  $onUpdate(value: T & (string | number | boolean)): Column<T, NotNull, true>;
  $onUpdate(value: unknown): Column<T, NotNull, true> {
    const d: DefaultJson = value === now ? { $fn: "now" } : { literal: value };
    return this.with({ onUpdate: d });
  }

  unique(): Column<T, NotNull, HasDefault> {
    return this.with({ unique: true });
  }

  // A unique key with its index; documents keep Convex's own `_id`.
  primaryKey(): Column<T, true, HasDefault> {
    return this.with({ primaryKey: true, notNull: true, unique: true });
  }

  references(target: () => ColumnRef, options: { onDelete?: OnDelete } = {}): Column<T, NotNull, HasDefault> {
    return this.with({ references: { target, onDelete: options.onDelete } });
  }

  array(): Column<T[], NotNull, HasDefault> {
    if (this.config.isArray) throw new Error("drizzle-convex: .array() of an array column is not supported");
    return this.with({ isArray: true });
  }

  // The field's Convex validator, as `defineTable` would be given it.
  validator(): Validator<any, any, any> {
    let t: Validator<any, "required", any> = this.config.base();
    if (this.config.isArray) t = v.array(t);
    return this.config.notNull ? t : v.optional(v.union(t, v.null()));
  }
}

const column = <T>(base: () => Validator<any, "required", any>, integer = false) =>
  new Column<T>({ base, notNull: false, isArray: false, integer, unique: false, primaryKey: false });

export const text = () => column<string>(() => v.string());
// A number whose writes must be integral (the proxy refuses 1.5 with a 400).
export const integer = () => column<number>(() => v.float64(), true);
export const real = () => column<number>(() => v.float64());
export const doublePrecision = real;
export const bigint = () => column<bigint>(() => v.int64());
export const boolean = () => column<boolean>(() => v.boolean());
export const bytes = () => column<ArrayBuffer>(() => v.bytes());
export const id = <TableName extends string>(table: TableName) => column<GenericId<TableName>>(() => v.id(table));
// Any Convex value; T is the type you promise it has.
export const json = <T = unknown>() => column<T>(() => v.any());
export const textEnum = <const U extends readonly [string, ...string[]]>(values: U) => {
  if (values.length === 0) throw new Error("drizzle-convex: textEnum needs at least one value");
  return column<U[number]>(() =>
    values.length === 1 ? v.literal(values[0]) : v.union(...values.map((x) => v.literal(x))) as Validator<any, "required", any>,
  );
};

// The proxy's field extras of a column (protocol.md section 8).
export function fieldExtras(c: Column<any, any, any>): { default?: unknown; onUpdate?: unknown; integer?: true } {
  const out: { default?: unknown; onUpdate?: unknown; integer?: true } = {};
  const encode = (d: DefaultJson) => ("$fn" in d ? d : convexToJson(d.literal as Value));
  if (c.config.default) out.default = encode(c.config.default);
  if (c.config.onUpdate) {
    out.onUpdate = encode(c.config.onUpdate);
    if (!c.config.default) out.default = encode(c.config.onUpdate);
  }
  if (c.config.integer) out.integer = true;
  return out;
}
