// Post-filters: SQL's three-valued logic over one document, as the embedded
// engine evaluates them (server/backend/embedded/filter_eval.cpp). A filter is
// compiled once per plan, so values are decoded once, not per row.
import type { Value } from "convex/values";
import type { CmpFilter, PlanFilter, PlanRelation } from "./plan.js";
import { compare, decode, isNullish, lookupPath, type Doc, type Maybe } from "./values.js";

export type Truth = 0 | 1 | 2; // false, true, unknown
const F: Truth = 0;
const T: Truth = 1;
const U: Truth = 2;
const truth = (b: boolean): Truth => (b ? T : F);

// Whether a row has a related row (an EXISTS semi-join); it reads, so it is async.
export type ExistsFn = (relation: PlanRelation, doc: Doc) => Promise<boolean>;
export type Filter = (doc: Doc) => Promise<Truth>;

function codePoints(s: string, fold: boolean): number[] {
  const out: number[] = [];
  for (const ch of s) {
    // Unicode's simple lower-case mapping, one code point at a time (as towlower does).
    out.push((fold ? ch.toLowerCase() : ch).codePointAt(0)!);
  }
  return out;
}

const PERCENT = 0x25;
const UNDERSCORE = 0x5f;
const BACKSLASH = 0x5c;

// Wildcard matching with one backtrack point: linear-times-pattern worst case,
// and no regular expression is ever built from user input.
export function likeMatch(text: string, pattern: string, fold: boolean): boolean {
  const t = codePoints(text, fold);
  const p = codePoints(pattern, fold);
  let ti = 0;
  let pi = 0;
  let starP = -1;
  let starT = 0;
  while (ti < t.length) {
    if (pi < p.length && p[pi] === PERCENT) {
      starP = pi++;
      starT = ti;
      continue;
    }
    if (pi < p.length) {
      let pc = p[pi];
      let escaped = false;
      if (pc === BACKSLASH && pi + 1 < p.length) {
        pc = p[pi + 1];
        escaped = true;
      }
      if ((!escaped && pc === UNDERSCORE) || pc === t[ti]) {
        pi += escaped ? 2 : 1;
        ti++;
        continue;
      }
    }
    if (starP < 0) return false;
    pi = starP + 1;
    ti = ++starT;
  }
  while (pi < p.length && p[pi] === PERCENT) pi++;
  return pi === p.length;
}

const inList = (list: Value[], x: Maybe) => list.some((e) => compare(e, x) === 0);

function compileCmp(j: CmpFilter): Filter {
  const field = j.field;
  const op = j.op;
  // The operand, decoded once; its shape follows the operator (a list for in, a pair for between).
  const arg: any = "value" in j ? decode(j.value) : undefined;
  if (op === "isNull") return async (d) => truth(isNullish(lookupPath(d, field)));
  if (op === "isNotNull") return async (d) => truth(!isNullish(lookupPath(d, field)));
  const test = ((): ((v: Value) => Truth) => {
    switch (op) {
      case "eq": return (v) => truth(compare(v, arg) === 0);
      case "ne": return (v) => truth(compare(v, arg) !== 0);
      case "gt": return (v) => truth(compare(v, arg) > 0);
      case "gte": return (v) => truth(compare(v, arg) >= 0);
      case "lt": return (v) => truth(compare(v, arg) < 0);
      case "lte": return (v) => truth(compare(v, arg) <= 0);
      case "in":
      case "notIn": {
        const hasNull = (arg as Value[]).some((e) => e === null);
        const rest = (arg as Value[]).filter((e) => e !== null);
        // x IN (.., NULL) is unknown when nothing matched.
        return (v) => (inList(rest, v) ? truth(op === "in") : hasNull ? U : truth(op === "notIn"));
      }
      case "between":
      case "notBetween":
        return (v) => truth((compare(v, arg[0]) >= 0 && compare(v, arg[1]) <= 0) === (op === "between"));
      case "like":
      case "ilike":
      case "notLike":
      case "notIlike": {
        const fold = op === "ilike" || op === "notIlike";
        const positive = op === "like" || op === "ilike";
        return (v) => (typeof v !== "string" ? F : truth(likeMatch(v, arg, fold) === positive));
      }
      case "startsWith": return (v) => truth(typeof v === "string" && v.startsWith(arg));
      case "endsWith": return (v) => truth(typeof v === "string" && v.endsWith(arg));
      case "contains": return (v) => truth(typeof v === "string" && v.includes(arg));
      case "arrayContains": return (v) => truth(Array.isArray(v) && (arg as Value[]).every((w) => inList(v, w)));
      case "arrayContained": return (v) => truth(Array.isArray(v) && v.every((h) => inList(arg, h)));
      case "arrayOverlaps": return (v) => truth(Array.isArray(v) && (arg as Value[]).some((w) => inList(v, w)));
    }
    throw new Error(`unknown filter operator '${op}'`);
  })();
  return async (d) => {
    const v = lookupPath(d, field);
    return isNullish(v) ? U : test(v as Value);
  };
}

export function compileFilter(j: PlanFilter, exists: ExistsFn): Filter {
  if ("const" in j) {
    const t = truth(!!j.const);
    return async () => t;
  }
  if ("and" in j || "or" in j) {
    const isAnd = "and" in j;
    const parts = ("and" in j ? j.and : j.or).map((c) => compileFilter(c, exists));
    const stop = isAnd ? F : T;
    return async (d) => {
      let acc: Truth = isAnd ? T : F;
      for (const p of parts) {
        const t = await p(d);
        if (t === stop) return t;
        if (t === U) acc = U;
      }
      return acc;
    };
  }
  if ("not" in j) {
    const inner = compileFilter(j.not, exists);
    return async (d) => {
      const t = await inner(d);
      return t === U ? U : t === T ? F : T;
    };
  }
  if ("exists" in j || "notExists" in j) {
    const negate = "notExists" in j;
    const relation = "notExists" in j ? j.notExists : j.exists;
    // A plan the proxy sends has every relation filter planned; a name alone is explain's.
    if (typeof relation === "string") throw new Error(`relation filter '${relation}' is not planned`);
    return async (d) => truth((await exists(relation, d)) !== negate);
  }
  return compileCmp(j);
}
