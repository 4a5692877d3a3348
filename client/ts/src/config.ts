// Read configs (protocol.md section 3, Drizzle RQBv2's object syntax) and the
// exact type of what each read returns, computed from the config's literal
// type: columns, nested `with`, optional fields, relations' cardinality.
import type {
  FieldName,
  FieldValue,
  IsMany,
  IsRequiredOne,
  RelationName,
  RelationTarget,
  Row,
  SchemaJson,
  Simplify,
  TableName,
} from "./schema.js";

// ---- filters (protocol.md section 4) ----------------------------------------

type Scalar<V> = V | null;
export type ColumnOps<V> = {
  eq?: Scalar<V>;
  ne?: Scalar<V>;
  gt?: V;
  gte?: V;
  lt?: V;
  lte?: V;
  in?: readonly Scalar<V>[];
  notIn?: readonly Scalar<V>[];
  isNull?: true;
  isNotNull?: true;
  between?: readonly [V, V];
  notBetween?: readonly [V, V];
  OR?: readonly ColumnOps<V>[];
  AND?: readonly ColumnOps<V>[];
  NOT?: ColumnOps<V>;
} & (V extends string
  ? { like?: string; ilike?: string; notLike?: string; notIlike?: string; startsWith?: string; endsWith?: string; contains?: string }
  : {}) &
  (V extends readonly (infer E)[] ? { arrayContains?: readonly E[]; arrayContained?: readonly E[]; arrayOverlaps?: readonly E[] } : {});

export type Filter<S extends SchemaJson, T extends TableName<S>> = {
  [K in FieldName<S, T>]?: Scalar<FieldValue<S, T, K>> | ColumnOps<FieldValue<S, T, K>>;
} & {
  [R in RelationName<S, T>]?: boolean | Filter<S, RelationTarget<S, T, R>>;
} & {
  AND?: readonly Filter<S, T>[];
  OR?: readonly Filter<S, T>[];
  NOT?: Filter<S, T>;
} & {
  // Nested object fields by their dotted path: not checked beyond the name's shape.
  [path: `${string}.${string}`]: unknown;
};

// ---- configs ------------------------------------------------------------------

export type Direction = "asc" | "desc";
export type Columns<S extends SchemaJson, T extends TableName<S>> = { [K in FieldName<S, T>]?: boolean };
export type OrderBy<S extends SchemaJson, T extends TableName<S>> =
  | { [K in FieldName<S, T>]?: Direction }
  | readonly { [K in FieldName<S, T>]?: Direction }[];

export type RelationConfig<S extends SchemaJson, T extends TableName<S>> = {
  columns?: Columns<S, T>;
  where?: Filter<S, T>;
  orderBy?: OrderBy<S, T>;
  limit?: number;
  offset?: number;
  with?: With<S, T>;
};
export type With<S extends SchemaJson, T extends TableName<S>> = {
  [R in RelationName<S, T>]?: true | RelationConfig<S, RelationTarget<S, T, R>>;
} & {
  // Relation counts (protocol.md section 11): each row gets `_count: {relation: number}`.
  _count?: { [R in RelationName<S, T>]?: true | { where?: Filter<S, RelationTarget<S, T, R>> } };
};
export type Search = { index: string; query: string; filters?: Record<string, unknown> };

export type FindManyConfig<S extends SchemaJson, T extends TableName<S>> = RelationConfig<S, T> & { search?: Search };
export type FindFirstConfig<S extends SchemaJson, T extends TableName<S>> = Omit<FindManyConfig<S, T>, "limit">;
export type PaginateConfig<S extends SchemaJson, T extends TableName<S>> = Omit<RelationConfig<S, T>, "limit" | "offset"> & {
  numItems: number;
  cursor?: string | null;
  search?: Search;
};
export type CountConfig<S extends SchemaJson, T extends TableName<S>> = { where?: Filter<S, T> };

// Unknown keys anywhere in a config do not compile (a generic parameter
// escapes TypeScript's own excess-property check, so it is checked here).
type Known<C, Allowed> = { [K in keyof C]: K extends keyof Allowed ? C[K] : never };
export type CheckFilter<F, S extends SchemaJson, T extends TableName<S>> = F extends object
  ? {
      [K in keyof F]: K extends "AND" | "OR"
        ? F[K] extends readonly (infer E)[]
          ? readonly CheckFilter<E, S, T>[]
          : never
        : K extends "NOT"
          ? CheckFilter<F[K], S, T>
          : K extends RelationName<S, T>
            ? F[K] extends boolean
              ? F[K]
              : CheckFilter<F[K], S, RelationTarget<S, T, K>>
            : K extends FieldName<S, T> | `${string}.${string}`
              ? F[K]
              : never;
    }
  : F;
export type Check<C, S extends SchemaJson, T extends TableName<S>, Allowed> = C extends object
  ? {
      [K in keyof C]: K extends "with"
        ? CheckWith<C[K], S, T>
        : K extends "columns"
          ? Known<C[K], Columns<S, T>>
          : K extends "where"
            ? CheckFilter<C[K], S, T>
            : K extends keyof Allowed
              ? C[K]
              : never;
    }
  : C;
type CheckCount<K, S extends SchemaJson, T extends TableName<S>> = {
  [R in keyof K]: R extends RelationName<S, T>
    ? K[R] extends true
      ? true
      : { [Q in keyof K[R]]: Q extends "where" ? CheckFilter<K[R][Q], S, RelationTarget<S, T, R>> : never }
    : never;
};
type CheckWith<W, S extends SchemaJson, T extends TableName<S>> = {
  [R in keyof W]: R extends "_count"
    ? CheckCount<W[R], S, T>
    : R extends RelationName<S, T>
    ? W[R] extends true
      ? true
      : Check<W[R], S, RelationTarget<S, T, R>, RelationConfig<S, RelationTarget<S, T, R>>>
    : never;
};

// ---- results ------------------------------------------------------------------

type TrueKeys<C> = { [K in keyof C]: C[K] extends true ? K : never }[keyof C];
// A row type narrowed by a columns object (include, exclude, or `{}`: nothing); returning() uses it too.
export type Selected<R, C> = R extends unknown
  ? [TrueKeys<C>] extends [never]
    ? [keyof C] extends [never]
      ? {} // `columns: {}`: rows hold only their relations
      : Omit<R, keyof C & keyof R>
    : Pick<R, TrueKeys<C> & keyof R>
  : never;

type ColumnsOf<S extends SchemaJson, T extends TableName<S>, C> = C extends { columns: infer Cols } ? Selected<Row<S, T>, Cols> : Row<S, T>;

type RelationResult<S extends SchemaJson, T extends TableName<S>, R, RC> =
  IsMany<S, T, R> extends true
    ? Result<S, RelationTarget<S, T, R>, RC extends true ? {} : RC>[]
    : IsRequiredOne<S, T, R> extends true
      ? RC extends { where: object }
        ? Result<S, RelationTarget<S, T, R>, RC> | null // a where may leave no row
        : Result<S, RelationTarget<S, T, R>, RC extends true ? {} : RC>
      : Result<S, RelationTarget<S, T, R>, RC extends true ? {} : RC> | null;

// One row of a read with config C.
export type Result<S extends SchemaJson, T extends TableName<S>, C> = ColumnsOf<S, T, C> extends infer Base
  ? Base extends unknown
    ? Simplify<
        Base &
          (C extends { with: infer W }
            ? { -readonly [R in keyof W & RelationName<S, T>]: RelationResult<S, T, R, W[R]> } & (W extends { _count: infer K }
                ? { _count: { -readonly [R in keyof K & RelationName<S, T>]: number } }
                : {})
            : {})
      >
    : never
  : never;

export type Page<Row> = { page: Row[]; continueCursor: string; isDone: boolean };
