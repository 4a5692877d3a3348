// Relation keys: one field's value or, for a composite key, the array of
// them; rows grouped by key (as server/backend/embedded/relation_key.hpp).
import type { Value } from "convex/values";
import { isNullish, lookupPath, valueKey, type Doc, type Maybe } from "./values.js";

export type Groups = Map<string, { key: Maybe; rows: Doc[] }>;

// Relation key fields in a plan: one field as a string, several as an array.
export const fieldsOf = (f: string | string[]): string[] => (Array.isArray(f) ? f : [f]);

// A relation's key in a row: the field's value, or for several fields the
// array of their values; undefined when any part is null or missing (such a
// row relates to nothing, as with SQL's NULL).
export function relationKey(row: Doc, fields: string[]): Maybe {
  if (fields.length === 1) {
    const v = lookupPath(row, fields[0]);
    return isNullish(v) ? undefined : v;
  }
  const parts: Value[] = [];
  for (const f of fields) {
    const v = lookupPath(row, f);
    if (isNullish(v)) return undefined;
    parts.push(v as Value);
  }
  return parts;
}

// Relation keys of rows, each once, in the order first met; null keys relate to nothing.
export function distinctKeys(rows: Doc[], fields: string[]): Maybe[] {
  const keys: Maybe[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const k = relationKey(r, fields);
    if (!isNullish(k) && !seen.has(valueKey(k))) {
      seen.add(valueKey(k));
      keys.push(k);
    }
  }
  return keys;
}
