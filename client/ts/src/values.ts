// Values on the wire use Convex's JSON encoding (protocol.md section 2):
// users see bigint, ArrayBuffer and plain numbers, never `$integer`.
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";

// `set({ nickname: unset })` removes the field (`{"$unset": true}`).
export const unset: unique symbol = Symbol.for("drizzle-convex-client.unset");
export type Unset = typeof unset;

const special = (v: unknown) =>
  typeof v === "bigint" || v instanceof ArrayBuffer || (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)));

// Encodes the values inside a request; its keys (operators, `$unset`) stay as written.
export function encodeRequest(x: unknown): unknown {
  if (x === unset) return { $unset: true };
  if (special(x)) return convexToJson(x as Value);
  if (ArrayBuffer.isView(x)) return convexToJson(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength) as ArrayBuffer);
  if (Array.isArray(x)) return x.map(encodeRequest);
  if (x && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = encodeRequest(v);
    return out;
  }
  return x;
}

export function decodeAnswer<T>(x: unknown): T {
  return jsonToConvex(x as JSONValue) as T;
}
