// Convex values in JS: the total order Convex uses for indexes and
// comparisons, dotted-path lookup, and the plan's value decoding. The order
// must match the embedded engine's (protocol/value.cpp) exactly, or the two
// backends would answer the same plan differently.
import { jsonToConvex, type JSONValue, type Value } from "convex/values";

export type Doc = Record<string, Value>;
export type Maybe = Value | undefined;

// undefined < null < int64 < float64 < boolean < string < bytes < array < object
function rank(v: Maybe): number {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case "bigint": return 2;
    case "number": return 3;
    case "boolean": return 4;
    case "string": return 5;
  }
  if (v instanceof ArrayBuffer) return 6;
  if (Array.isArray(v)) return 7;
  return 8;
}

const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);

// IEEE total order: -NaN < -Inf < ... < -0 < +0 < ... < +Inf < NaN.
function floatKey(d: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  return bits & (1n << 63n) ? ~bits & ((1n << 64n) - 1n) : bits | (1n << 63n);
}

// Strings compare by UTF-8 bytes, which is code point order (not UTF-16 units).
export function compareStrings(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return sign((a.length - i) - (b.length - j));
}

function compareBytes(a: ArrayBuffer, b: ArrayBuffer): number {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return sign(x.length - y.length);
}

export function compare(a: Maybe, b: Maybe): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return sign(ra - rb);
  switch (ra) {
    case 0:
    case 1: return 0;
    case 2: return a! < b! ? -1 : a! > b! ? 1 : 0;
    case 3: {
      const x = floatKey(a as number);
      const y = floatKey(b as number);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4: return sign(Number(a) - Number(b));
    case 5: return compareStrings(a as string, b as string);
    case 6: return compareBytes(a as ArrayBuffer, b as ArrayBuffer);
    case 7: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c) return c;
      }
      return sign(x.length - y.length);
    }
    default: {
      // Objects compare as their (key, value) sequences sorted by key.
      const sorted = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined).sort((p, q) => compareStrings(p[0], q[0]));
      const x = sorted(a as object);
      const y = sorted(b as object);
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareStrings(x[i][0], y[i][0]) || compare(x[i][1], y[i][1]);
        if (c) return c;
      }
      return sign(x.length - y.length);
    }
  }
}

export const isNullish = (v: Maybe) => v === undefined || v === null;

export function lookupPath(doc: Maybe, dotted: string): Maybe {
  let cur: Maybe = doc;
  for (const part of dotted.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur) || cur instanceof ArrayBuffer) return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

// A value as the plan carries it (Convex's encoded JSON).
export const decode = (j: unknown): Value => jsonToConvex(j as JSONValue);

// A key usable in a Map: equal values (in the Convex order) give equal keys.
export function valueKey(v: Maybe): string {
  if (v === undefined) return "u";
  if (typeof v === "bigint") return "i" + v.toString();
  if (typeof v === "number") return "f" + (Object.is(v, -0) ? "-0" : String(v));
  if (v instanceof ArrayBuffer) return "b" + Array.from(new Uint8Array(v)).join(",");
  if (Array.isArray(v)) return "a[" + v.map(valueKey).join(",") + "]";
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => (v as Doc)[k] !== undefined).sort(compareStrings);
    return "o{" + keys.map((k) => JSON.stringify(k) + ":" + valueKey((v as Doc)[k])).join(",") + "}";
  }
  return typeof v + ":" + JSON.stringify(v);
}
