// Writes as in Drizzle: db.insert(table).values(...), db.update(table)
// .set(...).where(FILTER), db.delete(table).where(FILTER), each awaitable,
// with .returning(); update and delete are not awaitable before .where()
// (`.where({})` touches every row, as protocol.md section 5 asks).
import type { CheckFilter, Columns, Filter, Selected } from "./config.js";
import { call, type CallOptions, type Transport } from "./http.js";
import type { FieldName, FieldValue, FieldsOf, Id, Insert, Row, SchemaJson, Simplify, TableName, TableRef } from "./schema.js";
import type { Unset } from "./values.js";


// A mutation that can run alone or inside db.transaction([...]).
export abstract class Mutation<R> implements PromiseLike<R> {
  declare readonly _result: R;
  constructor(protected readonly transport: Transport, readonly body: Record<string, unknown>) {}

  execute(options?: CallOptions): Promise<R> {
    return call<R>(this.transport, "/v1/mutate", this.body, false, options);
  }

  then<A = R, B = never>(onfulfilled?: ((value: R) => A | PromiseLike<A>) | null, onrejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.execute().then(onfulfilled, onrejected);
  }
}

export type SetValues<S extends SchemaJson, T extends TableName<S>> = {
  [K in keyof FieldsOf<S, T> & string]?: FieldValue<S, T, K> | (FieldsOf<S, T>[K] extends { optional: true } ? Unset : never);
};

type Target<S extends SchemaJson, T extends TableName<S>> = FieldName<S, T> | readonly FieldName<S, T>[];

export class InsertQuery<S extends SchemaJson, T extends TableName<S>, R> extends Mutation<R> {
  returning(): InsertQuery<S, T, Row<S, T>[]>;
  returning<const C extends Columns<S, T>>(columns: C): InsertQuery<S, T, Simplify<Selected<Row<S, T>, C>>[]>;
  returning(columns?: object): InsertQuery<S, T, any> {
    return new InsertQuery(this.transport, { ...this.body, returning: columns ?? true });
  }
  onConflictDoNothing(config: { target: Target<S, T> }): InsertQuery<S, T, R> {
    return new InsertQuery(this.transport, { ...this.body, onConflict: { target: list(config.target), do: "nothing" } });
  }
  onConflictDoUpdate(config: { target: Target<S, T>; set: SetValues<S, T> }): InsertQuery<S, T, R> {
    return new InsertQuery(this.transport, { ...this.body, onConflict: { target: list(config.target), do: "update", set: config.set } });
  }
}

export class WhereQuery<S extends SchemaJson, T extends TableName<S>, R> extends Mutation<R> {
  returning(): WhereQuery<S, T, Row<S, T>[]>;
  returning<const C extends Columns<S, T>>(columns: C): WhereQuery<S, T, Simplify<Selected<Row<S, T>, C>>[]>;
  returning(columns?: object): WhereQuery<S, T, any> {
    return new WhereQuery(this.transport, { ...this.body, returning: columns ?? true });
  }
}

const list = (t: string | readonly string[]) => (typeof t === "string" ? [t] : [...t]);

export class InsertBuilder<S extends SchemaJson, T extends TableName<S>> {
  constructor(private readonly transport: Transport, private readonly table: TableRef<S, T>) {}
  values(values: Insert<S, T> | readonly Insert<S, T>[]): InsertQuery<S, T, { rowsAffected: number; ids: Id<T>[] }> {
    return new InsertQuery(this.transport, { op: "insert", table: this.table.$name, values });
  }
}

export class UpdateBuilder<S extends SchemaJson, T extends TableName<S>> {
  constructor(private readonly transport: Transport, private readonly table: TableRef<S, T>) {}
  set(values: SetValues<S, T>) {
    const { transport, table } = this;
    return {
      where<const F extends Filter<S, T>>(filter: F & CheckFilter<F, S, T>): WhereQuery<S, T, { rowsAffected: number }> {
        return new WhereQuery(transport, { op: "update", table: table.$name, set: values, where: filter });
      },
    };
  }
}

export class DeleteBuilder<S extends SchemaJson, T extends TableName<S>> {
  constructor(private readonly transport: Transport, private readonly table: TableRef<S, T>) {}
  where<const F extends Filter<S, T>>(filter: F & CheckFilter<F, S, T>): WhereQuery<S, T, { rowsAffected: number }> {
    return new WhereQuery(this.transport, { op: "delete", table: this.table.$name, where: filter });
  }
}

export type Results<Ops extends readonly Mutation<any>[]> = { -readonly [I in keyof Ops]: Ops[I] extends Mutation<infer R> ? R : never };

export function transaction<const Ops extends readonly Mutation<any>[]>(transport: Transport, ops: Ops, options?: CallOptions): Promise<Results<Ops>> {
  return call<Results<Ops>>(transport, "/v1/mutate", { op: "transaction", ops: ops.map((o) => o.body) }, false, options);
}
