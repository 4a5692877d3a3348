#!/usr/bin/env node
// Differential check against Drizzle itself: every read case of the
// conformance suite that Drizzle's RQBv2 can express (a count as the length
// of findMany with the same where) runs twice, through the
// proxy (embedded engine) and through drizzle-orm on PGlite over a Postgres
// mirror of the same fixture (pg_mirror.mjs), and the answers must agree.
// When the proxy refuses a query (400), Drizzle must refuse it too.
// Where the two differ on purpose, the case is listed in DIFFERENCES with the
// reason, the same reason docs/query-language.md gives; a listed case that
// stops differing fails too, so the list stays true.
//
//   node tests/drizzle/differential.mjs --server build/debug/drizzle-convex-server [--filter TEXT] [--verbose]
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { startServer, post } from '../lib/server.mjs';
import { mirror, fromConvexJson } from './pg_mirror.mjs';
import { numbersAsNumbers, sqlAggregate } from './sql_aggregate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const casesDir = join(here, '..', 'conformance', 'cases');
const fixturesDir = join(here, '..', 'conformance', 'fixtures');
const argv = process.argv.slice(2);
const flag = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const bin = flag('--server');
const filter = flag('--filter');
const verbose = argv.includes('--verbose');
if (!bin) { console.error('usage: differential.mjs --server PATH [--filter TEXT] [--verbose]'); process.exit(2); }

// Cases whose answers differ from Drizzle's by design ("file: case name" → why).
const NULLS_FIRST = 'ordering follows Convex: missing, then null, then values (Postgres puts nulls last)';
const TOTAL_ORDER = 'values of different types compare in Convex\'s total order (Postgres jsonb has another)';
const STRICT = 'the proxy refuses what Drizzle\'s JavaScript would coerce or ignore: a typo is never silently dropped';
const RELATION_IN_WHERE = 'relation filters inside a relation\'s predefined where are an extension (Drizzle: "Unknown relational filter field")';
const DIFFERENCES = {
  // Drizzle's optional: false is a type only; protocol.md section 8 makes a missing target an upstream error.
  '21_defaults.json: a one relation declared optional: false that finds no row fails the read, naming the row':
    'optional: false is checked: no row is a 502, where Drizzle answers null against its own types',
  '03_order_columns.json: missing sorts before null before values': NULLS_FIRST,
  '03_order_columns.json: desc puts values first, missing last, ties by _creationTime': NULLS_FIRST,
  '16_relation_order.json: no related row orders as null, lowest as everywhere here: last in desc': NULLS_FIRST,
  '17_read_less.json: asc(first) over one many relation reads each row\'s first related row in index order, not all of them': NULLS_FIRST,
  '09_values.json: mixed types sort in Convex\'s total order': TOTAL_ORDER,
  '09_values.json: comparisons across types use the total order': TOTAL_ORDER,
  '24_aggregates.json: values of different types group apart, ordered null, numbers, strings': TOTAL_ORDER,
  '07_errors.json: columns value must be boolean': STRICT,
  '07_errors.json: relation filter of the wrong type': STRICT,
  '07_errors.json: unknown top-level key': STRICT,
  '14_drizzle_parity.json: strategy inside with is refused (a root option, as in Drizzle\'s types)': STRICT,
  '14_drizzle_parity.json: an empty relation filter object means a related row exists (protocol.md section 4)':
    'protocol.md section 4 reads {"rel": {}} as "a related row exists"; Drizzle drops the condition',
  '14_drizzle_parity.json: a relation where that uses a relation filter (whose relation has a where too)': RELATION_IN_WHERE,
  '14_drizzle_parity.json: a relation filter on a relation whose where uses a relation filter': RELATION_IN_WHERE,
  '07_errors.json: with nested too deep': 'the proxy bounds the nesting of with (4 levels; docs/query-language.md, Limits); Drizzle has no bound',
};

// Constructs of the proxy's grammar that RQBv2 has no object form for.
const EXTENSION_OPS = new Set(['between', 'notBetween', 'startsWith', 'endsWith', 'contains']);

// Why Drizzle cannot run this query as written, or null.
function notExpressible(q) {
  if (!['findMany', 'findFirst', 'count', 'aggregate'].includes(q.op ?? 'findMany')) return `${q.op} has no RQBv2 form`;
  if (q.search) return 'full-text search has no RQBv2 form';
  const inFilter = (f) => {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return null;
    for (const [k, v] of Object.entries(f)) {
      if (EXTENSION_OPS.has(k)) return `${k} is an extension`;
      if (k.includes('.')) return 'dotted paths into objects are an extension';
      if (v === null) return 'a JSON null as a filter value (isNull here; a TypeError in Drizzle)';
      if ((k === 'eq' || k === 'ne') && v === null) return 'eq/ne null is an extension';
      const inner = inFilter(v) ?? (Array.isArray(v) ? v.map(inFilter).find(Boolean) : null);
      if (inner) return inner;
    }
    return null;
  };
  const inConfig = (c) => {
    if (!c || typeof c !== 'object') return null;
    const w = inFilter(c.where);
    if (w) return w;
    if (c.with?._count && Object.keys(c.with._count).some((r) => r in c.with)) return '_count of a relation loaded beside it needs an alias RQBv2 lacks';
    for (const sub of Object.values(c.with ?? {})) {
      const r = inConfig(sub);
      if (r) return r;
    }
    return null;
  };
  return inConfig(q);
}

// Order is only comparable where it is specified: a level without orderBy
// but with limit/offset may rightly pick other rows.
function unspecifiedOrder(c, first) {
  if (!c || typeof c !== 'object') return false;
  const ordered = c.orderBy && Object.keys(c.orderBy).length;
  if (!ordered && (first || c.limit !== undefined || c.offset !== undefined)) return true;
  return Object.values(c.with ?? {}).some((sub) => unspecifiedOrder(sub, false));
}

// The query as a Drizzle config: values decoded, the array orderBy form as
// the object form, and the proxy's documented tie-breakers (_creationTime,
// _id) appended so both sides order ties alike.
function drizzleConfig(c) {
  if (c === true || !c || typeof c !== 'object') return c;
  const out = {};
  for (const [k, v] of Object.entries(c)) {
    if (k === 'table' || k === 'op') continue;
    if (k === 'where') out.where = fromConvexJson(v);
    else if (k === 'orderBy') {
      const entries = Array.isArray(v) ? v.flatMap((o) => Object.entries(o)) : Object.entries(v);
      const order = Object.fromEntries(entries);
      if (entries.some(([, d]) => d)) {
        if (!('_creationTime' in order)) order._creationTime = 'asc';
        if (!('_id' in order)) order._id = 'asc';
      }
      out.orderBy = order;
    } else if (k === 'with') {
      out.with = {};
      for (const [r, sub] of Object.entries(v)) {
        if (r !== '_count') { out.with[r] = drizzleConfig(sub); continue; }
        // A count is the length `with: {rel: {where}}` would have (section 11): load the ids, count them after.
        for (const [rel, spec] of Object.entries(sub)) {
          out.with[rel] = { columns: { _id: true }, ...(spec?.where ? { where: fromConvexJson(spec.where) } : {}) };
        }
      }
    }
    else out[k] = v;
  }
  return out;
}

// Drizzle's rows with each counted relation's loaded rows replaced by their
// number, as the proxy's `_count` holds it (a one relation: 0 or 1).
function foldCounts(data, c) {
  if (!c || typeof c !== 'object' || !c.with) return data;
  const row = (r) => {
    if (!r) return r;
    for (const rel of Object.keys(c.with._count ?? {})) {
      const loaded = r[rel];
      r._count = { ...(r._count ?? {}), [rel]: Array.isArray(loaded) ? loaded.length : loaded ? 1 : 0 };
      delete r[rel];
    }
    for (const [rel, sub] of Object.entries(c.with)) {
      if (rel !== '_count' && r[rel] !== undefined) r[rel] = foldCounts(r[rel], sub);
    }
    return r;
  };
  return Array.isArray(data) ? data.map(row) : row(data);
}

// Comparable form: nulls and missing fields are one thing in Postgres, so
// null-valued keys are dropped on both sides; bigints as strings; rows of an
// unordered level sorted.
function normalize(data, config, first) {
  const canon = (x) => JSON.stringify(x, (k, v) => (typeof v === 'bigint' ? `${v}n`
    : v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().filter((key) => v[key] !== null).map((key) => [key, v[key]])) : v));
  const row = (r, c) => {
    if (r === null || r === undefined) return null;
    const out = {};
    for (const [k, v] of Object.entries(r)) {
      if (v === null || v === undefined) continue;
      const sub = c && typeof c === 'object' ? c.with?.[k] : undefined;
      out[k] = sub !== undefined ? rows(v, sub) : v;
    }
    return JSON.parse(canon(out));
  };
  const rows = (v, c) => {
    if (!Array.isArray(v)) return row(v, c);
    const mapped = v.map((r) => row(r, c));
    const ordered = c && typeof c === 'object' && c.orderBy && Object.keys(c.orderBy).length;
    return ordered ? mapped : mapped.sort((a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0));
  };
  return first ? row(data, config) : rows(data, config);
}

const cases = [];
for (const file of readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort()) {
  const spec = JSON.parse(readFileSync(join(casesDir, file), 'utf8'));
  for (const c of spec.cases) {
    const name = `${file}: ${c.name}`;
    if (filter && !name.includes(filter)) continue;
    let why = null;
    if (spec.auth) why = 'roles and rules are the proxy\'s own';
    else if (spec.serverArgs?.length) why = 'runs with server flags (limits) Drizzle does not have';
    else if (c.steps || c.pages || c.rawBody !== undefined || (c.endpoint && c.endpoint !== '/v1/query')) why = 'not a single read';
    else if ((c.query.op === 'aggregate' || JSON.stringify(c.query).includes('"_count"')) && c.expect?.error) why = 'section 11 refusals are the proxy\'s own checks (Postgres accepts several of them)';
    else why = notExpressible(c.query) ?? (unspecifiedOrder(c.query, c.query.op === 'findFirst') ? 'no orderBy with limit/offset: either answer is right' : null);
    cases.push({ name, fixture: spec.fixture, query: c.query, why });
  }
}

let same = 0, refusedBoth = 0, skipped = 0, listed = 0;
const problems = [];
const report = (line) => { if (verbose) console.log(line); };
for (const fixture of [...new Set(cases.map((c) => c.fixture))]) {
  const fx = join(fixturesDir, fixture);
  const server = await startServer(bin, ['--schema', join(fx, 'schema.json'), '--import', join(fx, 'data')]);
  const schema = await (await fetch(`${server.url}/v1/schema`)).json();
  const { db, client } = await mirror(schema, fx);
  try {
    for (const c of cases.filter((x) => x.fixture === fixture)) {
      if (c.why) { skipped++; report(`skip - ${c.name}: ${c.why}`); continue; }
      const res = await post(server.url, '/v1/query', c.query);
      const first = c.query.op === 'findFirst';
      let drizzle;
      try {
        const rq = db.query[c.query.table];
        if (c.query.op === 'aggregate') {
          // GROUP BY in Postgres over the rows Drizzle's where selects (sql_aggregate.mjs).
          drizzle = { data: await sqlAggregate(db, client, c.query) };
        } else if (c.query.op === 'count') {
          // A count is the number of rows findMany returns with the same where.
          const rows = await rq.findMany({ columns: { _id: true }, ...(c.query.where ? { where: fromConvexJson(c.query.where) } : {}) });
          drizzle = { data: { count: rows.length } };
        } else {
          drizzle = { data: foldCounts(await (first ? rq.findFirst(drizzleConfig(c.query)) : rq.findMany(drizzleConfig(c.query))), c.query) };
          if (first && drizzle.data === undefined) drizzle.data = null;
        }
      } catch (e) {
        drizzle = { error: e.message.split('\n')[0] };
      }
      let problem = null;
      if (res.status === 200 && drizzle.error) problem = `the proxy answers, Drizzle throws: ${drizzle.error}`;
      else if (res.status !== 200 && !drizzle.error) problem = `the proxy refuses (${res.status} ${res.json?.error?.path}: ${res.json?.error?.message}), Drizzle answers ${JSON.stringify(drizzle.data, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 300)}`;
      else if (res.status === 200) {
        const aggregate = c.query.op === 'aggregate';
        const single = first || c.query.op === 'count' || (aggregate && !c.query.groupBy);
        // An aggregate's groups are ordered (section 11): compared in order.
        const shape = aggregate ? { orderBy: { groups: 'asc' } } : c.query;
        const got = normalize(aggregate ? numbersAsNumbers(fromConvexJson(res.json.data)) : fromConvexJson(res.json.data), shape, single);
        const want = normalize(aggregate ? numbersAsNumbers(drizzle.data) : drizzle.data, shape, single);
        if (!isDeepStrictEqual(got, want)) problem = `answers differ\n    proxy:   ${JSON.stringify(got)}\n    drizzle: ${JSON.stringify(want)}`;
      }
      const reason = DIFFERENCES[c.name];
      if (reason && problem) { listed++; report(`differs (listed) - ${c.name}: ${reason}`); continue; }
      if (reason) { problems.push(`${c.name}: listed as differing (${reason}) but now agrees: take it off the list`); continue; }
      if (problem) { problems.push(`${c.name}: ${problem}`); continue; }
      if (res.status === 200) { same++; report(`same - ${c.name}`); } else { refusedBoth++; report(`both refuse - ${c.name}: ${drizzle.error}`); }
    }
  } finally {
    await client.close();
    const code = await server.stop();
    if (code !== 0) problems.push(`server for ${fixture} exited with ${code}`);
  }
}
for (const p of problems) console.log(`not ok - ${p}`);
console.log(`drizzle differential: ${same} same answers, ${refusedBoth} refused by both, ${listed} listed differences, ${skipped} not expressible in RQBv2, ${problems.length} problems`);
process.exit(problems.length || !same ? 1 : 0);
