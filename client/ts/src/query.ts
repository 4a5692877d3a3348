// db.query.<table>.findMany / findFirst / paginate / count / aggregate: a read is a
// thenable (await runs it once over HTTP), `.subscribe()` runs it live,
// `.execute({ signal, timeout })` runs it with call options.
import type {
  Check,
  CountConfig,
  FindFirstConfig,
  FindManyConfig,
  Page,
  PaginateConfig,
  Result,
} from "./config.js";
import type { AggregateConfig, AggregateResult, CheckAggregate } from "./aggregate.js";
import type { DrizzleConvexError } from "./errors.js";
import { call, type CallOptions, type Transport } from "./http.js";
import type { Live } from "./live.js";
import type { SchemaJson, TableName } from "./schema.js";

export class Read<R> implements PromiseLike<R> {
  constructor(
    private readonly transport: Transport,
    private readonly live: Live,
    readonly body: Record<string, unknown>,
    private readonly map: (data: any) => R = (d) => d,
  ) {}

  execute(options?: CallOptions): Promise<R> {
    return call<unknown>(this.transport, "/v1/query", this.body, true, options).then(this.map);
  }

  then<A = R, B = never>(onfulfilled?: ((value: R) => A | PromiseLike<A>) | null, onrejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.execute().then(onfulfilled, onrejected);
  }

  // Live: `onData` gets the result now and after every change. Returns a function that stops it.
  subscribe(onData: (result: R) => void, onError?: (error: DrizzleConvexError) => void): () => void {
    return this.live.subscribe(this.body, this.map, onData, onError);
  }
}

export class TableQuery<S extends SchemaJson, T extends TableName<S>> {
  constructor(
    private readonly transport: Transport,
    private readonly live: Live,
    private readonly table: T,
  ) {}

  private read<R>(op: string, config: object | undefined, map?: (d: any) => R): Read<R> {
    return new Read<R>(this.transport, this.live, { table: this.table, op, ...(config ?? {}) }, map);
  }

  findMany<const C extends FindManyConfig<S, T> = {}>(config?: C & Check<C, S, T, FindManyConfig<S, T>>): Read<Result<S, T, C>[]> {
    return this.read("findMany", config);
  }

  findFirst<const C extends FindFirstConfig<S, T> = {}>(config?: C & Check<C, S, T, FindFirstConfig<S, T>>): Read<Result<S, T, C> | null> {
    return this.read("findFirst", config);
  }

  paginate<const C extends PaginateConfig<S, T>>(config: C & Check<C, S, T, PaginateConfig<S, T>>): Read<Page<Result<S, T, C>>> {
    return this.read("paginate", { cursor: null, ...config });
  }

  // The number of rows (the protocol's {"count": N}, unwrapped as Drizzle's $count is).
  count<const C extends CountConfig<S, T> = {}>(config?: C & Check<C, S, T, CountConfig<S, T>>): Read<number> {
    return this.read("count", config, (d: { count: number | bigint }) => Number(d.count));
  }

  // Functions over the rows `where` selects, per group of `groupBy` values (protocol.md section 11).
  aggregate<const C extends AggregateConfig<S, T>>(config: C & CheckAggregate<C, S, T>): Read<AggregateResult<S, T, C>> {
    return this.read("aggregate", config);
  }
}
