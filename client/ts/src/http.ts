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

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });

export async function call<T>(t: Transport, endpoint: string, body: unknown, retry: boolean, options: CallOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeout ?? t.timeout);
  const text = JSON.stringify(encodeRequest(body));
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) throw new DrizzleConvexError({ code: "TIMEOUT", status: 0, message: `no answer within ${options.timeout ?? t.timeout} ms` });
    const timer = AbortSignal.timeout(left);
    const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
    let res: Response;
    try {
      const token = typeof t.token === "function" ? await t.token() : t.token;
      res = await t.fetch(new URL(endpoint, t.url), {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: text,
        signal,
      });
    } catch (e) {
      if (options.signal?.aborted) throw new DrizzleConvexError({ code: "ABORTED", status: 0, message: "aborted", cause: e });
      if (timer.aborted) throw new DrizzleConvexError({ code: "TIMEOUT", status: 0, message: `no answer within ${options.timeout ?? t.timeout} ms`, cause: e });
      throw new DrizzleConvexError({ code: "NETWORK_ERROR", status: 0, message: `cannot reach ${t.url}: ${(e as Error).message}`, cause: e });
    }
    const retryAfterHeader = res.headers.get("retry-after");
    const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : null;
    let json: any;
    try {
      json = await res.json();
    } catch (e) {
      throw new DrizzleConvexError({ code: "UPSTREAM_ERROR", status: res.status, message: `the answer (HTTP ${res.status}) is not JSON`, cause: e });
    }
    if (res.ok) return decodeAnswer<{ data: T }>(json).data;
    const err = new DrizzleConvexError({
      code: json?.error?.code ?? "UPSTREAM_ERROR",
      status: res.status,
      message: json?.error?.message ?? `HTTP ${res.status}`,
      path: json?.error?.path ?? null,
      retryAfter,
    });
    if (!retry || (res.status !== 503 && res.status !== 504) || attempt >= 3) throw err;
    const wait = Math.min(retryAfter !== null ? retryAfter * 1000 : 100 * 2 ** attempt * (0.5 + Math.random()), 2000);
    if (Date.now() + wait >= deadline) throw err;
    await sleep(wait, options.signal);
  }
}
