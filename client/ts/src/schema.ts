// The schema as /v1/schema writes it (protocol.md section 8), kept as a
// `const` value: `dcq codegen --lang ts` prints it, and every type of the
// client is computed from it (rows, filters, configs, results).

// A Convex validator in its JSON form.
export type ValidatorJson =
  | { readonly type: "null" | "number" | "bigint" | "boolean" | "string" | "bytes" | "any" }
  | { readonly type: "literal"; readonly value: unknown }
  | { readonly type: "id"; readonly tableName: string }
  | { readonly type: "array"; readonly value: ValidatorJson }
  | { readonly type: "object"; readonly value: { readonly [field: string]: FieldJson } }
  | { readonly type: "record"; readonly keys: ValidatorJson; readonly values: FieldJson | ValidatorJson }
  | { readonly type: "union"; readonly value: readonly ValidatorJson[] };

export type FieldJson = {
  readonly fieldType: ValidatorJson;
  readonly optional: boolean;
  readonly default?: unknown;
  readonly onUpdate?: unknown;
  readonly integer?: boolean;
};

// Loose on purpose: a constraint as recursive as ValidatorJson makes every
// generic use of the schema's types unfold without end.
export type TableJson = { readonly documentType: { readonly type: string }; readonly [key: string]: unknown };

export type RelationJson =
  | { readonly one: string; readonly optional?: boolean; readonly [key: string]: unknown }
  | { readonly many: string; readonly [key: string]: unknown };

export type SchemaJson = {
  readonly tables: { readonly [table: string]: TableJson };
  readonly relations: { readonly [table: string]: { readonly [relation: string]: RelationJson } };
};

// An id of a row of `Table`: a string, branded so ids of two tables do not mix.
export type Id<Table extends string> = string & { __tableName: Table }; // the shape of convex's GenericId

export type Simplify<T> = { [K in keyof T]: T[K] } & {};

// The JS value a validator admits (int64 → bigint, bytes → ArrayBuffer).
type Primitive = { null: null; number: number; bigint: bigint; boolean: boolean; string: string; bytes: ArrayBuffer; any: unknown };
export type ValueOf<V> = V extends { type: infer K }
  ? K extends keyof Primitive
    ? Primitive[K]
    : V extends { type: "ts"; ts: infer X } // a builder column's own type (builders.ts)
      ? X
      : V extends { type: "literal"; value: infer L }
      ? L
      : V extends { type: "id"; tableName: infer T extends string }
        ? Id<T>
        : V extends { type: "array"; value: infer E }
          ? ValueOf<E>[]
          : V extends { type: "object"; value: infer F }
            ? ObjectOf<F>
            : V extends { type: "union"; value: readonly (infer M)[] }
              ? ValueOf<M>
              : V extends { type: "record"; keys: infer RK; values: infer W }
                ? Record<ValueOf<RK> & string, ValueOf<W extends { fieldType: infer X } ? X : W>>
                : never
  : never;

type RequiredKeys<F> = { [K in keyof F]: F[K] extends { optional: true } ? never : K }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { optional: true } ? K : never }[keyof F];

export type ObjectOf<F> = Simplify<
  { -readonly [K in RequiredKeys<F>]: ValueOf<F[K] extends { fieldType: infer X } ? X : never> } & {
    -readonly [K in OptionalKeys<F>]?: ValueOf<F[K] extends { fieldType: infer X } ? X : never>;
  }
>;

export type TableName<S extends SchemaJson> = keyof S["tables"] & string;

// The fields of a table's documents (a union document: every member's).
type DocumentFields<V> = V extends { type: "object"; value: infer F }
  ? F
  : V extends { type: "union"; value: readonly (infer M)[] }
    ? DocumentFields<M>
    : {};
export type FieldsOf<S extends SchemaJson, T extends TableName<S>> = DocumentFields<S["tables"][T]["documentType"]>;
export type FieldName<S extends SchemaJson, T extends TableName<S>> = (keyof FieldsOf<S, T> & string) | "_id" | "_creationTime";

// A document as reads return it.
type Distribute<D, Sys> = D extends unknown ? Simplify<Sys & D> : never;
type DocumentOf<V> = V extends { type: "any" } ? Record<string, unknown> : ValueOf<V>;
export type Row<S extends SchemaJson, T extends TableName<S>> = Distribute<DocumentOf<S["tables"][T]["documentType"]>, { _id: Id<T>; _creationTime: number }>;

// The type of one field (system fields included).
export type FieldValue<S extends SchemaJson, T extends TableName<S>, K> = K extends "_id"
  ? Id<T>
  : K extends "_creationTime"
    ? number
    : K extends keyof FieldsOf<S, T>
      ? ValueOf<FieldsOf<S, T>[K] extends { fieldType: infer X } ? X : never>
      : never;

// A row as an insert takes it: optional and defaulted fields may be left out.
type InsertRequired<F> = {
  [K in keyof F]: F[K] extends { optional: true } ? never : F[K] extends { default: unknown } ? never : K;
}[keyof F];
type InsertOf<V> = V extends { type: "object"; value: infer F }
  ? Simplify<
      { -readonly [K in InsertRequired<F>]: ValueOf<F[K] extends { fieldType: infer X } ? X : never> } & {
        -readonly [K in Exclude<keyof F, InsertRequired<F>>]?: ValueOf<F[K] extends { fieldType: infer X } ? X : never>;
      }
    >
  : V extends { type: "union"; value: readonly (infer M)[] }
    ? InsertOf<M>
    : Record<string, unknown>;
export type Insert<S extends SchemaJson, T extends TableName<S>> = InsertOf<S["tables"][T]["documentType"]>;

export type RelationsOf<S extends SchemaJson, T extends string> = T extends keyof S["relations"] ? S["relations"][T] : {};
export type RelationName<S extends SchemaJson, T extends string> = keyof RelationsOf<S, T> & string;
export type RelationTarget<S extends SchemaJson, T extends string, R> = R extends keyof RelationsOf<S, T>
  ? RelationsOf<S, T>[R] extends { one: infer X extends string }
    ? X & TableName<S>
    : RelationsOf<S, T>[R] extends { many: infer X extends string }
      ? X & TableName<S>
      : never
  : never;
export type IsMany<S extends SchemaJson, T extends string, R> = R extends keyof RelationsOf<S, T>
  ? RelationsOf<S, T>[R] extends { many: string }
    ? true
    : false
  : false;
export type IsRequiredOne<S extends SchemaJson, T extends string, R> = R extends keyof RelationsOf<S, T>
  ? RelationsOf<S, T>[R] extends { one: string; optional: false }
    ? true
    : false
  : false;

// A table of the schema, as db.insert / update / delete take it (a
// generated module's `schema.users`, or a builder table).
export type TableRef<S extends SchemaJson, T extends TableName<S>> = { readonly $name: T; readonly $schema?: S };
export type ClientSchema<S extends SchemaJson> = { readonly [T in TableName<S>]: TableRef<S, T> } & { readonly $schema: S };

// The `schema` value of a generated module: one table object per table.
export function clientSchema<const S extends SchemaJson>(json: S): ClientSchema<S> {
  const out: Record<string, unknown> = { $schema: json };
  for (const name of Object.keys(json.tables)) out[name] = Object.freeze({ $name: name, $schema: json });
  return Object.freeze(out) as ClientSchema<S>;
}
