// The answer: columns projected, the weight of each row against the
// answer's budget, and the paginate cursor (as
// server/backend/embedded/answer_shape.cpp and server/planner/cursor_codec.cpp).
import { convexToJson, type Value } from "convex/values";
import type { PlanColumns } from "./plan.js";
import type { Doc, Maybe } from "./values.js";

export function project(doc: Doc, columns?: PlanColumns): Doc {
  if (!columns) return doc;
  const include = "include" in columns;
  const listed = new Set<string>("include" in columns ? columns.include : columns.exclude);
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) if (listed.has(k) === include) out[k] = v;
  return out;
}

const UTF8 = new TextEncoder();
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function base64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=";
    out += i + 2 < bytes.length ? B64[n & 63] : "=";
  }
  return out;
}

// The proxy's cursor: the query's fingerprint and the keyset position
// (server/planner/planner.cpp encode_cursor). Missing fields travel as
// {"$undefined": null}, which sorts below null.
export function encodeCursor(fingerprint: string, key: Maybe[]): string {
  const k = key.map((v) => (v === undefined ? { $undefined: null } : convexToJson(v as Value)));
  return base64(UTF8.encode(`{"q":${JSON.stringify(fingerprint)},"k":${JSON.stringify(k)}}`));
}

// What one shaped row adds to an answer: itself and its nested rows.
export type Weight = { rows: number; bytes: number };

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3; // a surrogate pair: 4 bytes
  }
  return n;
}

// About the bytes of a value's JSON as the proxy writes it
// (protocol/value_json.cpp json_size_estimate: the same rules).
export function jsonSizeEstimate(v: Maybe): number {
  if (v === undefined || v === null) return 4;
  switch (typeof v) {
    case "bigint": return 27;
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v).length : 24;
    case "boolean": return v ? 4 : 5;
    case "string": return utf8Length(v) + 2;
  }
  if (v instanceof ArrayBuffer) return 13 + Math.floor((v.byteLength + 2) / 3) * 4;
  // Brackets, and a comma before every element but the first.
  if (Array.isArray(v)) return Math.max(2, v.reduce((n: number, e) => n + jsonSizeEstimate(e) + 1, 1));
  let n = 1;
  for (const [k, e] of Object.entries(v)) if (e !== undefined) n += utf8Length(k) + 4 + jsonSizeEstimate(e);
  return Math.max(2, n);
}
