// A Postgres mirror of a fixture for Drizzle itself: one pg table per Convex
// table (columns typed from the validators), Drizzle RQBv2 relations built
// from the proxy's own /v1/schema (declared and inferred relations, with
// their predefined `where`), and the fixture's documents inserted.
// Runs on PGlite (Postgres compiled to WebAssembly), in process.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { defineRelations } from 'drizzle-orm';
import { pgTable, text, doublePrecision, boolean, bigint, jsonb } from 'drizzle-orm/pg-core';
import { jsonToConvex } from 'convex/values';

// The pg column (Drizzle builder and SQL type) for a Convex validator; `null`
// in a union only makes it nullable.
function columnFor(name, validator) {
  let v = validator;
  if (v.type === 'union') {
    const members = v.value.filter((m) => m.type !== 'null');
    const kinds = new Set(members.map((m) => (m.type === 'literal' ? typeof m.value : m.type)));
    if (kinds.size === 1) v = members[0].type === 'literal' ? { type: typeof members[0].value } : members[0];
    else return [jsonb(name), 'jsonb'];  // mixed types: jsonb keeps each value's type
  }
  switch (v.type) {
    case 'string': case 'id': return [text(name), 'text'];
    case 'number': return [doublePrecision(name), 'double precision'];
    case 'boolean': return [boolean(name), 'boolean'];
    case 'bigint': return [bigint(name, { mode: 'bigint' }), 'bigint'];
    case 'array':
      if (v.value.type === 'string' || v.value.type === 'id') return [text(name).array(), 'text[]'];
      if (v.value.type === 'number') return [doublePrecision(name).array(), 'double precision[]'];
      return [jsonb(name), 'jsonb'];
    default: return [jsonb(name), 'jsonb'];
  }
}

// Values in the proxy's JSON ($integer, $float, $bytes) as JavaScript values.
export function fromConvexJson(x) {
  if (Array.isArray(x)) return x.map(fromConvexJson);
  if (x && typeof x === 'object') {
    const keys = Object.keys(x);
    if (keys.length === 1 && keys[0].startsWith('$')) return jsonToConvex(x);
    return Object.fromEntries(keys.map((k) => [k, fromConvexJson(x[k])]));
  }
  return x;
}

export async function mirror(schema, fixtureDir) {
  const tables = {};
  const columnTypes = {};
  const ddl = [];
  for (const [name, def] of Object.entries(schema.tables)) {
    const cols = { _id: text('_id').primaryKey(), _creationTime: doublePrecision('_creationTime').notNull() };
    const sqlCols = ['"_id" text primary key', '"_creationTime" double precision not null'];
    columnTypes[name] = {};
    for (const [field, f] of Object.entries(def.documentType.value ?? {})) {
      const [column, sqlType] = columnFor(field, f.fieldType);
      cols[field] = column;
      sqlCols.push(`"${field}" ${sqlType}`);
      columnTypes[name][field] = f.fieldType;
    }
    tables[name] = pgTable(name, cols);
    ddl.push(`create table "${name}" (${sqlCols.join(', ')})`);
  }
  const relations = defineRelations(tables, (r) => Object.fromEntries(Object.entries(schema.relations).map(([table, rels]) => [
    table,
    Object.fromEntries(Object.entries(rels).map(([rel, d]) => {
      const target = d.many ?? d.one;
      // One field or several (a composite key), matched pairwise as in Drizzle's `from: [a, b]`.
      const list = (x) => (Array.isArray(x) ? x : [x]);
      const cols = (t, fields) => { const c = list(fields).map((f) => r[t][f]); return c.length === 1 ? c[0] : c; };
      const via = (t, fields, jt, jfields) => {
        const c = list(fields).map((f, i) => r[t][f].through(r[jt][list(jfields)[i]]));
        return c.length === 1 ? c[0] : c;
      };
      const config = d.through
        ? { from: via(table, d.from, d.through.table, d.through.from), to: via(target, d.to, d.through.table, d.through.to) }
        : { from: cols(table, d.from), to: cols(target, d.to) };
      if (d.where) config.where = fromConvexJson(d.where);
      return [rel, d.many ? r.many[target](config) : r.one[target](config)];
    })),
  ])));

  const client = new PGlite();
  const db = drizzle({ client, relations });
  for (const statement of ddl) await client.exec(statement);
  for (const [name, table] of Object.entries(tables)) {
    const dir = join(fixtureDir, 'data', name);
    let lines = [];
    try { lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n')).filter(Boolean); } catch { /* no documents */ }
    const rows = lines.map((l) => {
      const doc = JSON.parse(l);
      for (const [field, type] of Object.entries(columnTypes[name])) {
        if (doc[field] !== undefined && type.type === 'bigint') doc[field] = BigInt(doc[field]);
      }
      return doc;
    });
    if (rows.length) await db.insert(table).values(rows);
  }
  return { db, client, tables };
}
