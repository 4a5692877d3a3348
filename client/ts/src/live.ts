// Live reads over /v1/live (protocol.md section 6): one WebSocket per db
// (graphql-transport-ws, through graphql-ws's client), patches applied
// locally, a fresh subscription on a version gap, reconnection with backoff
// after a drop, none after close 4403 (bad credentials).
import { createClient, type Client } from "graphql-ws";
import jsonPatch, { type Operation } from "fast-json-patch";
import { DrizzleConvexError } from "./errors.js";
import { endpointUrl } from "./http.js";
import { decodeAnswer, encodeRequest } from "./values.js";

export type LiveOptions = {
  url: string;
  token?: string | (() => string | Promise<string>);
  WebSocket?: unknown;
};

type Payload = { data?: unknown; patch?: Operation[]; version?: number };

export class Live {
  private client: Client | null = null;
  constructor(private readonly options: LiveOptions) {}

  private connection(): Client {
    if (this.client) return this.client;
    const url = endpointUrl(this.options.url, "/v1/live");
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.client = createClient({
      url: url.href,
      webSocketImpl: this.options.WebSocket ?? (globalThis as any).WebSocket,
      lazy: true,
      connectionParams: async () => {
        const token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
        return token ? { token, patches: true } : { patches: true };
      },
      retryAttempts: Infinity,
      // Capped exponential backoff with jitter: 0.5 s, 1 s, 2 s ... 10 s.
      retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
      shouldRetry: (event: any) => !(event && typeof event === "object" && "code" in event && event.code === 4403),
    });
    return this.client;
  }

  // Runs `query` live; `onData` gets every new result, decoded. Returns a function that stops it.
  subscribe<R>(query: unknown, map: (data: any) => R, onData: (result: R) => void, onError?: (e: DrizzleConvexError) => void): () => void {
    let stopped = false;
    let current: unknown;
    let version = 0;
    // Restarts since the last patch that applied: a server whose patches
    // never apply gets an error after three, not an endless resubscribe loop.
    let restarts = 0;
    let dispose: () => void = () => {};
    const fail = (e: DrizzleConvexError) => {
      try {
        onError?.(e);
      } catch {
        // an onError that throws must not take the shared socket down either
      }
    };
    const start = () => {
      version = 0;
      // The read travels as JSON text in `query`, which graphql-ws insists on (docs/live.md).
      dispose = this.connection().subscribe({ query: JSON.stringify(encodeRequest(query)) }, {
        // Runs inside graphql-ws's message handler, where a throw would close
        // the socket every subscription of this db shares: nothing escapes.
        next: (message) => {
          if (stopped) return;
          const p = message as unknown as Payload;
          let result: R;
          try {
            if (p.data !== undefined) {
              current = p.data;
            } else if (p.patch && p.version === version + 1) {
              current = jsonPatch.applyPatch(jsonPatch.deepClone(current), p.patch, true, false).newDocument;
              restarts = 0;
            } else {
              throw new Error("version gap");
            }
            version = p.version ?? version + 1;
            result = map(decodeAnswer(current));
          } catch (e) {
            // A gap, or a patch that does not apply: this one query starts over.
            dispose();
            if (stopped) return;
            if (++restarts > 3) {
              stopped = true;
              fail(new DrizzleConvexError({ code: "UPSTREAM_ERROR", status: 0, message: `the live read kept failing to apply the server's updates: ${(e as Error)?.message ?? String(e)}`, cause: e }));
              return;
            }
            start();
            return;
          }
          try {
            onData(result);
          } catch (e) {
            fail(new DrizzleConvexError({ code: "CALLBACK_ERROR", status: 0, message: `onData threw: ${(e as Error)?.message ?? String(e)}`, cause: e }));
          }
        },
        error: (e: any) => {
          if (Array.isArray(e)) {
            const first = e[0] ?? {};
            fail(new DrizzleConvexError({ code: first.code ?? "UPSTREAM_ERROR", status: 0, message: first.message ?? "subscription failed", path: first.path }));
          } else if (e && typeof e === "object" && "code" in e && e.code === 4403) {
            fail(new DrizzleConvexError({ code: "UNAUTHENTICATED", status: 0, message: `the server refused the credentials (close ${e.code}: ${e.reason ?? ""})` }));
          } else {
            fail(new DrizzleConvexError({ code: "NETWORK_ERROR", status: 0, message: `the live connection failed: ${e?.message ?? e?.reason ?? String(e)}`, cause: e }));
          }
        },
        complete: () => {},
      });
    };
    start();
    return () => {
      stopped = true;
      dispose();
    };
  }

  close(): Promise<void> {
    const c = this.client;
    this.client = null;
    return c ? Promise.resolve(c.dispose()) : Promise.resolve();
  }
}
