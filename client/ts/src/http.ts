// One request to the proxy. Reads are retried on 503 and 504 (at most 3
// times, within `timeout`, honouring Retry-After, capped backoff);
// mutations are never retried once sent.
import { DrizzleConvexError } from "./errors.js";
import { decodeAnswer, encodeRequest } from "./values.js";

export type Transport = {
  url: string;
  token?: string | (() => string | Promise<string>);
  fetch: typeof fetch;
  timeout: number; // ms, the whole call with its retries
};

export type CallOptions = { signal?: AbortSignal; timeout?: number };

// The endpoint under the base URL's own path: http://h/api + /v1/query → http://h/api/v1/query.
export function endpointUrl(base: string, endpoint: string): URL {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, "") + endpoint;
  return u;
}

const aborted = (cause?: unknown) => new DrizzleConvexError({ code: "ABORTED", status: 0, message: "aborted", cause });

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal.reason));
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted(signal?.reason));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

// `raw`: the answer's data as JSON, not decoded (explain's plans hold keys such as "$unset").
export async function call<T>(t: Transport, endpoint: string, body: unknown, retry: boolean, options: CallOptions = {}, raw = false): Promise<T> {
  const limit = options.timeout ?? t.timeout;
  const deadline = Date.now() + limit;
  const text = JSON.stringify(encodeRequest(body));
  const timeout = (cause?: unknown) => new DrizzleConvexError({ code: "TIMEOUT", status: 0, message: `no answer within ${limit} ms`, cause });
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) throw timeout();
    const timer = AbortSignal.timeout(left);
    const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
    let res: Response;
    let json: any;
    let parsed = true;
    try {
      const token = typeof t.token === "function" ? await t.token() : t.token;
      res = await t.fetch(endpointUrl(t.url, endpoint), {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: text,
        signal,
      });
      try {
        json = await res.json();
      } catch (e) {
        if (signal.aborted) throw e;
        parsed = false;
      }
    } catch (e) {
      if (options.signal?.aborted) throw aborted(e);
      if (timer.aborted) throw timeout(e);
      throw new DrizzleConvexError({ code: "NETWORK_ERROR", status: 0, message: `cannot reach ${t.url}: ${(e as Error).message}`, cause: e });
    }
    const retryAfterHeader = res.headers.get("retry-after");
    const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : null;
    if (res.ok && parsed) return (raw ? json.data : decodeAnswer<{ data: T }>(json).data) as T;
    const err = parsed
      ? new DrizzleConvexError({
          code: json?.error?.code ?? "UPSTREAM_ERROR",
          status: res.status,
          message: json?.error?.message ?? `HTTP ${res.status}`,
          path: json?.error?.path ?? null,
          retryAfter,
        })
      : new DrizzleConvexError({ code: res.status === 503 ? "UNAVAILABLE" : "UPSTREAM_ERROR", status: res.status, message: `the answer (HTTP ${res.status}) is not JSON`, retryAfter });
    if (!retry || (res.status !== 503 && res.status !== 504) || attempt >= 3) throw err;
    // Retry-After is honoured as given; without it, capped exponential backoff with jitter.
    const wait = retryAfter !== null ? retryAfter * 1000 : Math.min(100 * 2 ** attempt, 2000) * (0.5 + Math.random());
    if (Date.now() + wait >= deadline) throw err;
    await sleep(wait, options.signal);
  }
}
