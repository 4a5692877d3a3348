// db.query.<table>.aggregate (protocol.md section 11): the config's types and
// the exact type of the answer, computed from the config's literal type —
// one object without groupBy, an array of group objects with it; counts are
// numbers, sum keeps the field's number kind (bigint for int64), avg is a
// number, min/max the field's type, and every function but the counts may
// be null (no values in the group).
import type { ColumnOps, Direction, Filter } from "./config.js";
import type { FieldName, FieldValue, FieldsOf, SchemaJson, Simplify, TableName } from "./schema.js";

// Fields sum and avg take: only float64, or only int64 (null aside).
export type NumericField<S extends SchemaJson, T extends TableName<S>> = {
  [K in FieldName<S, T>]: [NonNullable<FieldValue<S, T, K>>] extends [number]
    ? K
    : [NonNullable<FieldValue<S, T, K>>] extends [bigint]
      ? K
      : never;
}[FieldName<S, T>];

export type AggregateFunction<S extends SchemaJson, T extends TableName<S>> =
  | { count: true | FieldName<S, T> }
  | { countDistinct: FieldName<S, T> }
  | { sum: NumericField<S, T> }
  | { avg: NumericField<S, T> }
  | { min: FieldName<S, T> }
  | { max: FieldName<S, T> };

export type AggregateConfig<S extends SchemaJson, T extends TableName<S>> = {
  where?: Filter<S, T>;
  groupBy?: FieldName<S, T> | readonly FieldName<S, T>[];
  aggregates?: { readonly [name: string]: AggregateFunction<S, T> };
  having?: object; // over group fields and aggregate names: checked by CheckAggregate
  orderBy?: object;
  limit?: number;
  offset?: number;
};

type GroupFields<C> = C extends { groupBy: infer G } ? (G extends readonly (infer F)[] ? F : G) : never;
type Optional<S extends SchemaJson, T extends TableName<S>, K> = K extends keyof FieldsOf<S, T>
  ? FieldsOf<S, T>[K] extends { optional: true }
    ? null // a missing field groups as null
    : never
  : never;
type FunctionResult<S extends SchemaJson, T extends TableName<S>, F> = F extends { count: unknown } | { countDistinct: unknown }
  ? number
  : F extends { avg: unknown }
    ? number | null
    : F extends { sum: infer K } | { min: infer K } | { max: infer K }
      ? NonNullable<FieldValue<S, T, K>> | null
      : never;

// One group (or the one object without groupBy).
export type AggregateRow<S extends SchemaJson, T extends TableName<S>, C> = Simplify<
  { -readonly [K in GroupFields<C> & FieldName<S, T>]: FieldValue<S, T, K> | Optional<S, T, K> } & (C extends {
    aggregates: infer A;
  }
    ? { -readonly [N in keyof A]: FunctionResult<S, T, A[N]> }
    : {})
>;
export type AggregateResult<S extends SchemaJson, T extends TableName<S>, C> = [GroupFields<C>] extends [never]
  ? AggregateRow<S, T, C>
  : AggregateRow<S, T, C>[];

// having and orderBy name group fields and aggregate names only.
type RowFilter<Row> = { [K in keyof Row]?: Row[K] | ColumnOps<NonNullable<Row[K]>> } & {
  AND?: readonly RowFilter<Row>[];
  OR?: readonly RowFilter<Row>[];
  NOT?: RowFilter<Row>;
};
type RowOrder<Row> = { [K in keyof Row]?: Direction } | readonly { [K in keyof Row]?: Direction }[];
type KnownKeys<X, Allowed> = { [K in keyof X]: K extends keyof Allowed ? X[K] : never };
export type CheckAggregate<C, S extends SchemaJson, T extends TableName<S>> = {
  [K in keyof C]: K extends "having"
    ? KnownKeys<C[K], RowFilter<AggregateRow<S, T, C>>> & RowFilter<AggregateRow<S, T, C>>
    : K extends "orderBy"
      ? C[K] extends readonly unknown[]
        ? RowOrder<AggregateRow<S, T, C>>
        : KnownKeys<C[K], AggregateRow<S, T, C>> & RowOrder<AggregateRow<S, T, C>>
      : K extends keyof AggregateConfig<S, T>
        ? C[K]
        : never;
};
