#!/usr/bin/env node
// B3: documents read ÷ documents returned over the conformance queries that
// an index serves (explain shows no full scan and no in-memory sort).
//
//   node bench/b3_read_ratio.mjs build/release/drizzle-convex-server
//   BASELINE_SERVER=<older build> node bench/b3_read_ratio.mjs build/release/drizzle-convex-server
//   B3_DATA=demo BASELINE_SERVER=<older build> node bench/b3_read_ratio.mjs ...   (the demo blog)
//   node bench/export_demo.mjs DIR && B3_BACKEND=convex B3_FIXTURE=DIR ...           (the demo blog through the emulator)
//   B3_BACKEND=convex BASELINE_SERVER=<older build> BASELINE_TREE=<its checkout> node bench/b3_read_ratio.mjs ...
//
// The second part runs every read case of the blog fixture on this build
// (and on BASELINE_SERVER, side by side): documents read in all, and per
// planning technique the cases whose plan uses it, before and after.
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { startServer, post } from '../tests/lib/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.argv[2] ?? join(root, 'build/release/drizzle-convex-server');
const conf = join(root, 'tests/conformance');

function accesses(node, out = []) {
  out.push(node.access);
  const d = node.access.drivenBy;
  if (d) {
    if (d.junction) out.push(d.junction);
    accesses(d.related, out);
  }
  for (const w of node.with ?? []) {
    if (w.junction) out.push(w.junction);
    accesses(w.target, out);
  }
  return out;
}
function filterAccesses(f, out) {
  if (!f || typeof f !== 'object') return;
  for (const k of ['exists', 'notExists']) if (f[k]?.target) { accesses(f[k].target).forEach((a) => out.push(a)); }
  for (const v of Object.values(f)) if (Array.isArray(v)) v.forEach((x) => filterAccesses(x, out)); else if (typeof v === 'object') filterAccesses(v, out);
}
// Rows returned, following the query's `with` tree (columns may drop _id).
function countRows(config, data) {
  const rows = Array.isArray(data) ? data : data === null || data === undefined ? [] : [data];
  let n = rows.length;
  for (const [rel, sub] of Object.entries(config.with ?? {})) {
    if (!sub) continue;
    for (const row of rows) n += countRows(sub === true ? {} : sub, row[rel]);
  }
  return n;
}

// B3 counts what plans read: answers kept by the result cache (a repeated
// query reads nothing) would hide that, so it is off where a build has one.
const uncached = (binary) => (execFileSync(binary, ['--help'], { encoding: 'utf8' }).includes('--result-cache') ? ['--result-cache', '0'] : []);
const server = await startServer(bin, ['--schema', join(conf, 'fixtures/blog/schema.json'), '--import', join(conf, 'fixtures/blog/data'), ...uncached(bin)]);
// strict: every access answered by its index range alone (no post-filter, no sort);
// indexed: every access is an index range or a get (post-filters and sorts allowed).
const sets = { strict: { read: 0, returned: 0, used: 0, worst: [] }, indexed: { read: 0, returned: 0, used: 0, worst: [] } };
let skipped = 0;
try {
  for (const f of readdirSync(join(conf, 'cases')).sort()) {
    const spec = JSON.parse(readFileSync(join(conf, 'cases', f), 'utf8'));
    if (spec.serverArgs || spec.fixture !== 'blog') continue;
    for (const c of spec.cases) {
      if (!c.query || c.pages || c.endpoint || (c.expect?.status ?? 200) !== 200) continue;
      if (c.query.op === 'count' || c.query.search) { skipped++; continue; }
      const ex = await post(server.url, '/v1/explain', c.query);
      if (ex.status !== 200) throw new Error(`${f}: ${c.name}: explain answered ${ex.status} ${ex.text}`);
      const all = accesses(ex.json.data.root);
      all.forEach((a) => filterAccesses(a.postFilter, all));
      const indexed = all.every((a) => ['index', 'get', 'empty', 'union'].includes(a.source.type));
      const strict = indexed && all.every((a) => a.order.source !== 'sort' && !a.postFilter);
      if (!indexed) { skipped++; continue; }
      const res = await post(server.url, '/v1/query', c.query);
      const r = Number(res.headers.get('x-docs-read'));
      const n = countRows(c.query, res.json.data);
      for (const [name, on] of [['strict', strict], ['indexed', indexed]]) {
        if (!on) continue;
        const set = sets[name];
        set.read += r; set.returned += n; set.used++;
        set.worst.push([n ? r / n : r, r, n, `${f}: ${c.name}`]);
      }
    }
  }
} finally {
  await server.stop();
}
console.log(`B3 documents read / documents returned over the conformance queries (${skipped} with a full scan skipped)`);
for (const [name, set] of Object.entries(sets)) {
  set.worst.sort((a, b) => b[0] - a[0]);
  const what = name === 'strict' ? 'index range alone answers every access' : 'every access is an index range or a get';
  console.log(`  ${name} (${what}): ${set.used} queries, ${set.read} read / ${set.returned} returned = ${(set.read / set.returned).toFixed(3)}`);
  for (const [ratio, r, n, q] of set.worst.slice(0, 4)) console.log(`      ${ratio.toFixed(2)}  (${r}/${n})  ${q}`);
}

// Part two: total documents read by every read case, per technique.
//
// A full scan "an index could serve": a top-level condition of its filter
// compares a field that leads an index of the table (or follows a leading
// field of finite domain: a skip-scan), with an operator a range serves; or
// an OR whose every branch has such a condition. Judged from the schema and
// the plan alone, not from the planner's own choice.
const schema = JSON.parse(readFileSync(join(conf, 'fixtures/blog/schema.json'), 'utf8')).tables;
const finite = (t, f) => {
  const v = schema[t]?.documentType?.value?.[f];
  if (!v || v.optional) return false;
  const ft = v.fieldType;
  const lit = (x) => x.type === 'literal' || x.type === 'boolean' || x.type === 'null';
  return lit(ft) || (ft.type === 'union' && ft.value.every(lit));
};
const rangeOps = new Set(['eq', 'in', 'gt', 'gte', 'lt', 'lte', 'between', 'isNull', 'ne', 'notIn', 'startsWith']);
const servable = (t, c) => {
  const opOk = rangeOps.has(c.op) || (c.op === 'like' && typeof c.value === 'string' && !/^[%_]/.test(c.value));
  if (!opOk || !c.field) return false;
  return (schema[t]?.indexes ?? []).some((ix) => ix.fields[0] === c.field || (ix.fields[1] === c.field && finite(t, ix.fields[0])));
};
const conjuncts = (f) => (!f ? [] : f.and ? f.and.flatMap(conjuncts) : [f]);
const couldServe = (a) =>
  a.source.type === 'fullScan' &&
  conjuncts(a.postFilter).some((c) => (c.or ? c.or.every((b) => conjuncts(b).some((x) => servable(a.table, x))) : servable(a.table, c)));
const usesTechnique = (plan) => {
  const all = accesses(plan.root);
  all.forEach((a) => filterAccesses(a.postFilter, all));
  return {
    'skip-scan': all.some((a) => a.source.skipScan),
    'a relation filter driving': all.some((a) => a.drivenBy),
    'an index union': all.some((a) => a.source.type === 'union'),
    'full scan': all.some((a) => a.source.type === 'fullScan'),
    'a full scan an index, skip-scan or union could serve': all.some(couldServe),
    // Issue 31's classes (plan version 3; a version-2 baseline never shows them).
    'an order whose first keys the index gives (indexThenTies)': all.some((a) => a.order.source === 'indexThenTies'),
    'ranges of one index from an OR of bounds': all.some((a) => a.source.type === 'index' && a.source.ranges.length > 1 && (a.indexFilter ?? []).some((f) => f.or)),
    'an index chosen by counted rows': all.some((a) => a.estimate?.chosenBy === 'rows'),
  };
};
// B3_BACKEND=convex: each build in front of the Convex emulator, with the
// adapter of its own tree (BASELINE_TREE: the baseline's checkout, npm ci'd
// and its adapter built; the plan versions differ across builds).
async function readAll(binary, tree = root) {
  let srv;
  if (process.env.B3_BACKEND === 'convex') {
    const { startTarget } = await import(join(tree, 'tests/conformance/targets.mjs'));
    // B3_FIXTURE: another data set in the fixture's layout (schema.json, data/<table>/documents.jsonl),
    // such as the demo blog written out by bench/export_demo.mjs.
    const fixtureDir = process.env.B3_FIXTURE ?? join(tree, 'tests/conformance/fixtures/blog');
    const target = await startTarget('convex', { bin: binary, fixtureDir, serverArgs: [] });
    srv = { url: null, stop: target.stop, post: target.post };
  } else {
    // B3_DATA=demo: the server's own demo blog (777 documents, the fixture's schema) instead of the fixture.
    const data = process.env.B3_DATA === 'demo' ? [] : ['--schema', join(conf, 'fixtures/blog/schema.json'), '--import', join(conf, 'fixtures/blog/data')];
    const s = await startServer(binary, [...data, ...uncached(binary)]);
    srv = { stop: () => s.stop(), post: (endpoint, body) => post(s.url, endpoint, body) };
  }
  const out = new Map();
  try {
    for (const f of readdirSync(join(conf, 'cases')).sort()) {
      const spec = JSON.parse(readFileSync(join(conf, 'cases', f), 'utf8'));
      if (spec.serverArgs || spec.fixture !== 'blog' || spec.auth) continue;
      for (const c of spec.cases) {
        if (!c.query || c.pages || c.endpoint || (c.expect?.status ?? 200) !== 200) continue;
        const res = await srv.post('/v1/query', c.query);
        if (res.status !== 200) continue;
        const ex = await srv.post('/v1/explain', c.query);
        out.set(`${f}: ${c.name}`, { read: Number(res.headers.get('x-docs-read')), uses: usesTechnique(ex.json.data) });
      }
    }
  } finally {
    await srv.stop();
  }
  return out;
}
const now = await readAll(bin);
const base = process.env.BASELINE_SERVER ? await readAll(process.env.BASELINE_SERVER, process.env.BASELINE_TREE ?? root) : null;
const both = [...now.keys()].filter((k) => !base || base.has(k));
const sum = (m, keys) => keys.reduce((t, k) => t + m.get(k).read, 0);
console.log(`\nB3 every read case of the blog fixture${process.env.B3_DATA === 'demo' ? ' on the demo blog' : ''}${process.env.B3_FIXTURE ? ` on ${process.env.B3_FIXTURE}` : ''}${process.env.B3_BACKEND === 'convex' ? ' through the Convex emulator' : ''} (${both.length} answered by both builds): documents read`);
console.log(`  all: ${sum(now, both)}${base ? ` (baseline ${sum(base, both)})` : ''}`);
for (const technique of Object.keys(now.values().next().value.uses)) {
  const keys = both.filter((k) => now.get(k).uses[technique]);
  const was = base ? both.filter((k) => base.get(k).uses[technique]).length : null;
  if (technique.startsWith('a full scan') && process.env.B3_LIST) for (const k of keys) console.log('      ' + k);
  console.log(`  plans using ${technique}: ${keys.length}${was !== null ? ` (baseline ${was})` : ''}; they read ${sum(now, keys)}${base ? ` (baseline ${sum(base, keys)})` : ''}`);
}
if (base) {
  const worse = both.filter((k) => now.get(k).read > base.get(k).read);
  console.log(`  cases reading more than the baseline: ${worse.length}`);
  for (const k of worse) console.log(`      ${base.get(k).read} -> ${now.get(k).read}  ${k}`);
  const better = both.filter((k) => now.get(k).read < base.get(k).read);
  console.log(`  cases reading less than the baseline: ${better.length}`);
  for (const k of better) console.log(`      ${base.get(k).read} -> ${now.get(k).read}  ${k}`);
}

// Part three: counts (protocol.md section 11). Every blog case that counts
// (op count, an aggregate, a `_count` at any level), on the engine and
// through the Convex emulator: documents read beside the rows counted. The
// engine answers counts an index range selects exactly from the index's
// per-value counts; the adapter reads the rows (Convex keeps no counts).
const countsClass = (q) => {
  if (q.op === 'count') return 'count';
  if (q.op === 'aggregate') {
    const fns = Object.values(q.aggregates ?? {});
    return fns.every((f) => f.count === true) && (!q.groupBy || [q.groupBy].flat().length <= 1) ? 'aggregate of row counts' : 'aggregate with functions';
  }
  return JSON.stringify(q).includes('"_count"') ? '_count in with' : null;
};
// Rows counted: the count, each group's row count, the sum of every _count.
const counted = (q, data) => {
  if (q.op === 'count') return data.count;
  if (q.op === 'aggregate') {
    const rowsFn = Object.entries(q.aggregates ?? {}).find(([, f]) => f.count === true)?.[0];
    const groups = Array.isArray(data) ? data : [data];
    return rowsFn ? groups.reduce((t, g) => t + g[rowsFn], 0) : null;
  }
  let n = 0;
  JSON.stringify(data, (k, v) => { if (k === '_count') n += Object.values(v).reduce((a, b) => a + b, 0); return v; });
  return n;
};
{
  const { startTarget } = await import(join(root, 'tests/conformance/targets.mjs'));
  const fixtureDir = join(conf, 'fixtures/blog');
  const engine = await startServer(bin, ['--schema', join(fixtureDir, 'schema.json'), '--import', join(fixtureDir, 'data'), ...uncached(bin)]);
  const convex = await startTarget('convex', { bin, fixtureDir, serverArgs: [] });
  const classes = new Map();
  try {
    for (const f of readdirSync(join(conf, 'cases')).sort()) {
      const spec = JSON.parse(readFileSync(join(conf, 'cases', f), 'utf8'));
      if (spec.serverArgs || spec.fixture !== 'blog' || spec.auth) continue;
      for (const c of spec.cases) {
        if (!c.query || c.pages || c.endpoint || (c.expect?.status ?? 200) !== 200) continue;
        const kind = countsClass(c.query);
        if (!kind) continue;
        const a = await post(engine.url, '/v1/query', c.query);
        const b = await convex.post('/v1/query', c.query);
        if (a.status !== 200 || b.status !== 200) continue;
        const row = classes.get(kind) ?? { queries: 0, engine: 0, convex: 0, counted: 0, uncounted: 0 };
        row.queries++;
        row.engine += Number(a.headers.get('x-docs-read'));
        row.convex += Number(b.headers.get('x-docs-read'));
        const n = counted(c.query, a.json.data);
        if (n === null) row.uncounted++;
        else row.counted += n;
        classes.set(kind, row);
      }
    }
  } finally {
    await engine.stop();
    await convex.stop();
  }
  console.log('\nB3 counts (blog cases that count): documents read on the engine and through the Convex emulator, beside the rows counted');
  for (const [kind, r] of classes) {
    console.log(`  ${kind}: ${r.queries} queries, engine read ${r.engine}, emulator read ${r.convex}, rows counted ${r.counted}${r.uncounted ? ` (+${r.uncounted} without a row count)` : ''}`);
  }
}
