// What `describe` answers: the deployed Convex schema (validators and
// indexes, exactly as `npx convex deploy` sends them) plus what the proxy
// needs beside it (protocol.md section 8): field defaults, onUpdate and
// integer marks, unique constraints and relations, gathered from builder
// tables (convexTable), defineRelations and the extras argument.
import type { SchemaDefinition } from "convex/server";
import { relationsJson, type ProxyRelations, type Relations } from "./relations.js";
import { tableMeta } from "./table.js";

export type FieldExtras = { default?: unknown; onUpdate?: unknown; integer?: boolean };

// Declared beside a `v.*` schema, in the proxy's schema format.
export type AdapterExtras = {
  unique?: Record<string, string[][]>;
  relations?: ProxyRelations | Relations;
  fields?: Record<string, Record<string, FieldExtras>>;
};

export type TableExport = { name: string; indexes: any[]; searchIndexes: any[]; documentType: any };

export function tableExports(schema: SchemaDefinition<any, boolean>): TableExport[] {
  return Object.entries(schema.tables).map(([name, t]) => {
    // TableDefinition.export() is internal to convex but present at runtime;
    // it is exactly what `npx convex deploy` sends.
    const e = (t as any).export();
    return { name, indexes: e.indexes ?? [], searchIndexes: e.searchIndexes ?? [], documentType: e.documentType ?? null };
  });
}

function merge<T>(a: Record<string, T> | undefined, b: Record<string, T> | undefined): Record<string, T> {
  return { ...(a ?? {}), ...(b ?? {}) };
}

// `exported`: tableExports(schema), when the caller has it already.
export function describeSchema(schema: SchemaDefinition<any, boolean>, extras: AdapterExtras | Relations = {}, exported = tableExports(schema)) {
  const given: AdapterExtras = relationsJson(extras) ? { relations: extras as Relations } : (extras as AdapterExtras);
  const declared = relationsJson(given.relations) ?? (given.relations as ProxyRelations | undefined) ?? {};
  const relations: ProxyRelations = Object.fromEntries(Object.entries(declared).map(([t, r]) => [t, { ...r }]));
  const tables: Record<string, unknown> = {};
  for (const t of exported) {
    const meta = tableMeta(schema.tables[t.name]);
    const fieldExtras = merge(meta?.fields, given.fields?.[t.name]);
    let documentType = t.documentType;
    if (Object.keys(fieldExtras).length) {
      if (documentType?.type !== "object") throw new Error(`drizzle-convex: ${t.name}: defaults need a table of objects`);
      const value = { ...documentType.value };
      for (const [field, x] of Object.entries(fieldExtras)) {
        if (!value[field]) throw new Error(`drizzle-convex: ${t.name}.${field}: extras for a field the table does not have`);
        value[field] = { ...value[field], ...x };
      }
      documentType = { ...documentType, value };
    }
    const unique = [...(meta?.unique ?? []), ...(given.unique?.[t.name] ?? [])];
    tables[t.name] = { documentType, indexes: t.indexes, searchIndexes: t.searchIndexes, unique };
    // `.references(() => users._id, { onDelete })`: the one relation over
    // that column carries the rule; one is declared when none was.
    for (const ref of meta?.references ?? []) {
      const target = ref.target();
      const mine = (relations[t.name] ??= {});
      const over = Object.values(mine).find((r) => "one" in r && r.from === ref.field && r.one === target.table);
      const onDelete = ref.onDelete === "set null" ? "setNull" : ref.onDelete;
      if (over) {
        if (onDelete && over.onDelete === undefined) over.onDelete = onDelete;
        continue;
      }
      const name = ref.field.endsWith("Id") && ref.field.length > 2 ? ref.field.slice(0, -2) : `${ref.field}Ref`;
      if (mine[name]) throw new Error(`drizzle-convex: ${t.name}.${ref.field} references ${target.table}: relation name '${name}' is taken; declare it in defineRelations`);
      mine[name] = { one: target.table, from: ref.field, to: target.column, ...(onDelete ? { onDelete } : {}) };
      // A declared relation stops the proxy inferring the inverse from the
      // id field; declare the inverse it would have inferred, named after
      // this table, when the reference is the only one to that table.
      const theirs = (relations[target.table] ??= {});
      const refsToTarget = (meta?.references ?? []).filter((r) => r.target().table === target.table).length;
      const backDeclared = Object.values(theirs).some((r) => "many" in r && r.many === t.name && r.to === ref.field);
      const targetFields = exported.find((x) => x.name === target.table)?.documentType?.value ?? {};
      if (refsToTarget === 1 && !backDeclared && !theirs[t.name] && !(t.name in targetFields)) {
        theirs[t.name] = { many: t.name, from: target.column, to: ref.field };
      }
    }
  }
  return { tables, relations };
}
