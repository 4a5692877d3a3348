// The schema module of builder tables (drizzle-convex-adapter's convexTable
// and defineRelations) as the client's schema: `import * as schema from
// "./convex/schema"; connect({ url, schema })`. Matched by shape, so this
// package does not depend on the adapter: a table is a value with `$name`
// and `$columns` (column builders with their value type, nullability and
// default), relations the `$relationTypes` of a defineRelations result.

type BuilderColumn = { readonly _type: unknown; readonly _notNull: boolean; readonly _hasDefault: boolean };
export type BuilderTable = { readonly $name: string; readonly $columns: { readonly [field: string]: BuilderColumn } };
type RelationSpec = { readonly kind: "one" | "many"; readonly target: string; readonly options: { readonly optional?: boolean } };
type BuilderRelations = { readonly $relationTypes?: { readonly [table: string]: { readonly [name: string]: RelationSpec } | undefined } };

// A field as /v1/schema would write it; `{type: "ts"}` carries the column's TypeScript type.
type FieldFrom<C extends BuilderColumn> = {
  readonly fieldType: { readonly type: "ts"; readonly ts: C["_notNull"] extends true ? C["_type"] : C["_type"] | null };
  readonly optional: C["_notNull"] extends true ? false : true;
} & (C["_hasDefault"] extends true ? { readonly default: unknown } : {});

type TablesOf<M> = {
  readonly [K in keyof M as M[K] extends BuilderTable ? M[K]["$name"] : never]: M[K] extends BuilderTable
    ? { readonly documentType: { readonly type: "object"; readonly value: { readonly [F in keyof M[K]["$columns"]]: FieldFrom<M[K]["$columns"][F]> } } }
    : never;
};

type RelationJsonOf<R extends RelationSpec> = R["kind"] extends "many"
  ? { readonly many: R["target"] }
  : R["options"] extends { optional: false }
    ? { readonly one: R["target"]; readonly optional: false }
    : { readonly one: R["target"] };

type RelationTypes<M> = {
  [K in keyof M]: M[K] extends BuilderRelations ? NonNullable<M[K]["$relationTypes"]> : never;
}[keyof M];

type RelationsOf<M> = [RelationTypes<M>] extends [never]
  ? {}
  : {
      readonly [T in keyof RelationTypes<M>]: {
        readonly [R in keyof NonNullable<RelationTypes<M>[T]>]: NonNullable<RelationTypes<M>[T]>[R] extends RelationSpec
          ? RelationJsonOf<NonNullable<RelationTypes<M>[T]>[R]>
          : never;
      };
    };

export type SchemaFromModule<M> = { readonly tables: TablesOf<M>; readonly relations: RelationsOf<M> };

// The table names of a builder module, at run time.
export function builderTables(module: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const v of Object.values(module)) {
    if (v && typeof v === "object" && typeof (v as any).$name === "string" && (v as any).$columns) names.add((v as any).$name);
  }
  return [...names];
}
