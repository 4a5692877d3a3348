// drizzle-convex-client: Drizzle's query API over the drizzle-convex proxy's
// HTTP and WebSocket protocol, with result types computed from the schema.
//
//   import { connect } from "drizzle-convex-client";
//   import { schema } from "./schema"; // dcq codegen --lang ts --url http://127.0.0.1:8080
//   const db = connect({ url: "http://127.0.0.1:8080", schema });
//   const users = await db.query.users.findMany({ columns: { name: true }, with: { posts: { limit: 5 } } });
import { call, type CallOptions, type Transport } from "./http.js";
import { Live } from "./live.js";
import { DeleteBuilder, InsertBuilder, transaction, UpdateBuilder, type Mutation, type Results } from "./mutations.js";
import { Read, TableQuery } from "./query.js";
import type { ClientSchema, SchemaJson, TableName, TableRef } from "./schema.js";
import { builderTables, type SchemaFromModule } from "./builders.js";

export { clientSchema } from "./schema.js";
export type * from "./schema.js";
export type * from "./config.js";
export type * from "./aggregate.js";
export { DrizzleConvexError } from "./errors.js";
export { unset, type Unset } from "./values.js";
export type { Read } from "./query.js";
export type { Mutation, InsertQuery, WhereQuery } from "./mutations.js";
export type { CallOptions } from "./http.js";
export type { SchemaFromModule, BuilderTable } from "./builders.js";

export type ConnectOptions<S extends SchemaJson> = {
  url: string;
  // Sent as `Authorization: Bearer` and in the live connection's init; a
  // function is called for every request and every (re)connection.
  token?: string | (() => string | Promise<string>);
  schema: ClientSchema<S>;
  fetch?: typeof fetch;
  // The WebSocket class for live reads (browsers have one; in Node 20 pass `ws`).
  WebSocket?: unknown;
  // Milliseconds for a call, its retries included (default 30 000).
  timeout?: number;
};

export type Db<S extends SchemaJson> = {
  query: { [T in TableName<S>]: TableQuery<S, T> };
  insert<T extends TableName<S>>(table: TableRef<S, T>): InsertBuilder<S, T>;
  update<T extends TableName<S>>(table: TableRef<S, T>): UpdateBuilder<S, T>;
  delete<T extends TableName<S>>(table: TableRef<S, T>): DeleteBuilder<S, T>;
  // One protocol transaction: all or nothing, each op's result typed.
  transaction<const Ops extends readonly Mutation<any>[]>(ops: Ops, options?: CallOptions): Promise<Results<Ops>>;
  // The plan the server would run (protocol.md section 7); nothing is executed.
  explain(query: Read<unknown> | Mutation<unknown>, options?: CallOptions): Promise<unknown>;
  // Closes the live connection, if one was opened.
  close(): Promise<void>;
};

// `schema`: a generated module's `schema` (dcq codegen --lang ts), or the
// module of builder tables itself (`import * as schema from "./convex/schema"`).
export function connect<S extends SchemaJson>(options: ConnectOptions<S>): Db<S>;
export function connect<M extends object>(options: Omit<ConnectOptions<any>, "schema"> & { schema: M }): Db<SchemaFromModule<M>>;
export function connect(options: Omit<ConnectOptions<any>, "schema"> & { schema: any }): Db<any> {
  const f = options.fetch ?? globalThis.fetch;
  if (!f) throw new Error("drizzle-convex-client: no fetch: pass connect({ fetch })");
  const transport: Transport = { url: options.url, token: options.token, fetch: f.bind(globalThis), timeout: options.timeout ?? 30_000 };
  const live = new Live({ url: options.url, token: options.token, WebSocket: options.WebSocket });
  const query: Record<string, TableQuery<any, any>> = {};
  const names = options.schema.$schema ? Object.keys(options.schema.$schema.tables) : builderTables(options.schema);
  if (!names.length) throw new Error("drizzle-convex-client: the schema names no tables: pass a generated module's `schema` or a module of convexTable tables");
  for (const name of names) query[name] = new TableQuery(transport, live, name);
  return {
    query: query as Db<any>["query"],
    insert: (table) => new InsertBuilder(transport, table),
    update: (table) => new UpdateBuilder(transport, table),
    delete: (table) => new DeleteBuilder(transport, table),
    transaction: (ops, callOptions) => transaction(transport, ops, callOptions),
    explain: (q, callOptions) => call(transport, "/v1/explain", q.body, true, callOptions, true),
    close: () => live.close(),
  };
}
