// A Convex deployment in process: convex-test running the drizzle-convex
// adapter over a schema built from the proxy's JSON schema format (protocol.md
// section 8). The emulator serves it over HTTP and WebSocket; the adapter's
// own tests call it directly.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { convexTest } from 'convex-test';
import { defineSchema, defineTable, makeFunctionReference, internalMutationGeneric, internalQueryGeneric } from 'convex/server';
import { v, jsonToConvex } from 'convex/values';
import { defineAdapter } from 'drizzle-convex-adapter';

// A Convex validator from its JSON form (what TableDefinition.export() emits).
export function validatorFromJson(j) {
  switch (j.type) {
    case 'null': return v.null();
    case 'number': return v.float64();
    case 'bigint': return v.int64();
    case 'boolean': return v.boolean();
    case 'string': return v.string();
    case 'bytes': return v.bytes();
    case 'any': return v.any();
    case 'literal': return v.literal(jsonToConvex(j.value));
    case 'id': return v.id(j.tableName);
    case 'array': return v.array(validatorFromJson(j.value));
    case 'object': return v.object(fieldsFromJson(j.value));
    case 'record': return v.record(validatorFromJson(j.keys), validatorFromJson(j.values.fieldType ?? j.values));
    case 'union': return v.union(...j.value.map(validatorFromJson));
    default: throw new Error(`schema: unknown validator type '${j.type}'`);
  }
}

function fieldsFromJson(fields) {
  const out = {};
  for (const [name, f] of Object.entries(fields)) {
    const t = validatorFromJson(f.fieldType);
    out[name] = f.optional ? v.optional(t) : t;
  }
  return out;
}

// {tables: {name: {documentType, indexes, searchIndexes, unique}}, relations}
// (or Convex's array form) → a Convex schema and the adapter's extras.
export function convexSchemaFromJson(json) {
  const entries = Array.isArray(json.tables) ? json.tables.map((t) => [t.tableName, t]) : Object.entries(json.tables);
  const tables = {};
  const unique = {};
  const fields = {};
  for (const [name, t] of entries) {
    // What Convex's validators cannot say reaches the proxy through describe.
    for (const [field, f] of Object.entries(t.documentType?.type === 'object' ? t.documentType.value : {})) {
      const x = Object.fromEntries(['default', 'onUpdate', 'integer'].filter((k) => k in f).map((k) => [k, f[k]]));
      if (Object.keys(x).length) (fields[name] ??= {})[field] = x;
    }
    let table = defineTable(t.documentType ? validatorFromJson(t.documentType) : v.any());
    for (const i of t.indexes ?? []) table = table.index(i.indexDescriptor, i.fields);
    for (const s of t.searchIndexes ?? []) {
      table = table.searchIndex(s.indexDescriptor, { searchField: s.searchField, filterFields: s.filterFields ?? [] });
    }
    tables[name] = table;
    if (t.unique?.length) unique[name] = t.unique;
  }
  return { schema: defineSchema(tables), extras: { unique, fields, relations: json.relations ?? {} } };
}

// Fixture ids (u1, p2, ...) are not Convex ids; each becomes the id the
// deployment generates for that row. Documents are inserted in creation-time
// order with the clock pinned to each one's _creationTime, so creation times
// and the creation order survive exactly (as `npx convex import` keeps them).
function readFixture(dir) {
  const docs = [];
  for (const table of readdirSync(dir)) {
    const file = join(dir, table, 'documents.jsonl');
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim()) docs.push({ table, doc: JSON.parse(line) });
    }
  }
  docs.sort((a, b) => a.doc._creationTime - b.doc._creationTime);
  return docs;
}

const tableJson = (schemaJson, name) =>
  Array.isArray(schemaJson.tables) ? schemaJson.tables.find((t) => t.tableName === name) : schemaJson.tables[name];

// convex-test numbers its ids from 10000, padded to 32 characters, table name last.
const predictId = (n, table) => String(10000 + n).padStart(32 - table.length, '0') + table;

// Convex's export format writes int64 as a plain JSON integer; the field's
// validator says which numbers are int64.
const admits = (vj, type) => vj.type === type || vj.type === 'any' || (vj.type === 'union' && vj.value.some((m) => admits(m, type)));
function fromExport(vj, x) {
  if (!vj) return x;
  if (typeof x === 'number' && admits(vj, 'bigint') && !admits(vj, 'number') && Number.isInteger(x)) return BigInt(x);
  const members = vj.type === 'union' ? vj.value : [vj];
  if (Array.isArray(x)) {
    const arr = members.find((m) => m.type === 'array');
    return arr ? x.map((e) => fromExport(arr.value, e)) : x;
  }
  if (x && typeof x === 'object') {
    const obj = members.find((m) => m.type === 'object');
    if (!obj) return x;
    return Object.fromEntries(Object.entries(x).map(([k, e]) => [k, fromExport(obj.value[k]?.fieldType, e)]));
  }
  return x;
}

function idFields(schemaJson) {
  // Top-level fields whose validator is (or admits) v.id(T): field → T, per table.
  const out = {};
  const entries = Array.isArray(schemaJson.tables) ? schemaJson.tables.map((t) => [t.tableName, t]) : Object.entries(schemaJson.tables);
  for (const [name, t] of entries) {
    out[name] = {};
    const fields = t.documentType?.type === 'object' ? t.documentType.value : {};
    for (const [f, spec] of Object.entries(fields)) {
      const ft = spec.fieldType;
      const id = ft.type === 'id' ? ft : ft.type === 'union' ? ft.value.find((m) => m.type === 'id') : null;
      if (id) out[name][f] = id.tableName;
    }
  }
  return out;
}

// `schemaJson` (the proxy's schema format), or `schema` (a Convex
// SchemaDefinition, say of builder tables) with the adapter's `extras`.
export async function createDeployment({ schemaJson, importDir, schema: given, extras: givenExtras }) {
  const { schema, extras } = given ? { schema: given, extras: givenExtras ?? {} } : convexSchemaFromJson(schemaJson);
  schemaJson ??= JSON.parse(schema.export());
  const adapter = defineAdapter(schema, extras);
  const seed = internalMutationGeneric({
    handler: async (ctx, { docs }) => {
      const ids = [];
      for (const { table, fields, creationTime } of docs) {
        const realNow = Date.now;
        Date.now = () => creationTime;
        try { ids.push(await ctx.db.insert(table, fields)); } finally { Date.now = realNow; }
      }
      return ids;
    },
  });
  // What a function sees of its caller: the acting-as identity, or null.
  const whoami = internalQueryGeneric({ handler: async (ctx) => ctx.auth.getUserIdentity() });
  const modules = { drizzle: adapter, _emulator: { seed, whoami } };
  const t = convexTest(schema, {
    './_generated/api.js': async () => ({}),
    './drizzle.js': async () => modules.drizzle,
    './_emulator.js': async () => modules._emulator,
  });
  // 'query' | 'mutation' | 'action' | null, from the registered function itself.
  const kindOf = (path) => {
    const [mod, name] = path.split(':');
    const fn = modules[mod]?.[name ?? 'default'];
    return fn?.isQuery ? 'query' : fn?.isMutation ? 'mutation' : fn?.isAction ? 'action' : null;
  };

  const idMap = new Map(); // fixture id → deployment id
  if (importDir) {
    const docs = readFixture(importDir);
    docs.forEach(({ table, doc }, n) => {
      if (idMap.has(doc._id)) throw new Error(`fixture id ${doc._id} appears twice`);
      idMap.set(doc._id, predictId(n, table));
    });
    const refs = idFields(schemaJson);
    let dangling = 0;
    const mapId = (target, s) => {
      if (!idMap.has(s)) idMap.set(s, predictId(90000 + dangling++, target)); // a reference to no row
      return idMap.get(s);
    };
    const prepared = docs.map(({ table, doc }) => {
      const { _id, _creationTime, ...rest } = doc;
      const fields = fromExport(tableJson(schemaJson, table).documentType, jsonToConvex(rest));
      for (const [f, target] of Object.entries(refs[table] ?? {})) {
        if (typeof fields[f] === 'string') fields[f] = mapId(target, fields[f]);
      }
      return { table, fields, creationTime: _creationTime };
    });
    const got = await t.mutation(makeFunctionReference('_emulator:seed'), { docs: prepared });
    docs.forEach(({ doc }, n) => {
      if (got[n] !== idMap.get(doc._id)) throw new Error(`convex-test gave id ${got[n]} for ${doc._id}, expected ${idMap.get(doc._id)}: its id scheme changed`);
    });
  }

  // convex-test stages a mutation's writes where concurrent functions can see
  // them; Convex isolates transactions. One function at a time restores that.
  let queue = Promise.resolve();
  const serial = (fn) => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };
  // `identity`: an admin acting as a user (Convex <key>:<base64 identity>); functions see it in ctx.auth.
  const call = (kind, path, args, identity) => serial(() => (identity ? t.withIdentity(identity) : t)[kind](makeFunctionReference(path), args));
  return {
    idMap,
    kindOf,
    query: (path, args, identity) => call('query', path, args, identity),
    mutation: (path, args, identity) => call('mutation', path, args, identity),
    action: (path, args, identity) => call('action', path, args, identity),
  };
}
