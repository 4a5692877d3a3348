// Where conformance cases run: the server on its embedded engine, the Convex
// adapter under convex-test, or the server in front of the Convex emulator.
// Each target answers post(endpoint, body) → {status, json, text} like HTTP.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convexToJson } from 'convex/values';
import { startServer, startEmulator, post, waitReady, metric } from '../lib/server.mjs';
import { createDeployment } from '../emulator/deployment.mjs';

const ADMIN_KEY = 'conformance-admin-key';

// Fixture ids (u1, p2) name rows; a Convex deployment gives those rows ids of
// its own. Requests are rewritten to the deployment's ids and responses back,
// so the cases' expected results hold unchanged. Only whole JSON strings equal
// to a fixture id are rewritten (and ids inside error messages).
export function idMapper(fixtureToDeployment) {
  const back = new Map([...fixtureToDeployment].map(([f, d]) => [d, f]));
  const toDeploymentText = (text) => text.replace(/"((?:[^"\\]|\\.)*)"/g, (m, s) => (fixtureToDeployment.has(s) ? JSON.stringify(fixtureToDeployment.get(s)) : m));
  const idPattern = back.size ? new RegExp([...back.keys()].sort((a, b) => b.length - a.length).join('|'), 'g') : null;
  const fromDeployment = (v) => {
    if (typeof v === 'string') return back.get(v) ?? (idPattern ? v.replace(idPattern, (m) => back.get(m)) : v);
    if (Array.isArray(v)) return v.map(fromDeployment);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromDeployment(x)]));
    return v;
  };
  return {
    request: (body) => toDeploymentText(typeof body === 'string' ? body : JSON.stringify(body)),
    response: (res) => {
      const json = res.json === undefined ? undefined : fromDeployment(res.json);
      return { ...res, json, text: json === undefined ? res.text : JSON.stringify(json) };
    },
  };
}

const serverFlags = (fixtureDir) => ['--schema', join(fixtureDir, 'schema.json'), '--import', join(fixtureDir, 'data')];

// Cases with an auth file (auth.md) name who calls: {"as": {claims}} signs an
// HS256 token with the file's secret (valid for an hour), {"apiKey": "..."}
// sends a key. Claims pass through `mapIds` first, so a "sub" naming a
// fixture row names the deployment's row on the Convex paths.
export function credentialHeaders(authFile, who, mapIds = (x) => x) {
  if (!who) return {};
  if (who.apiKey !== undefined) return { authorization: `Bearer ${who.apiKey}` };
  const secret = JSON.parse(readFileSync(authFile, 'utf8')).jwt.secret;
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = JSON.parse(mapIds(JSON.stringify(who.as)));
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims });
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return { authorization: `Bearer ${head}.${body}.${sig}` };
}
const authFlags = (auth) => (auth ? ['--auth', auth] : []);

async function stopServer(server, what) {
  const code = await server.stop();
  return code === 0 ? null : `${what} exited with ${code}\n${server.stderr().slice(-2000)}`;
}

async function embedded({ bin, fixtureDir, serverArgs, auth }) {
  const server = await startServer(bin, [...serverFlags(fixtureDir), ...authFlags(auth), ...serverArgs]);
  return {
    post: (endpoint, body, who) => post(server.url, endpoint, body, credentialHeaders(auth, who)),
    // Reads answered from the result cache so far (run.mjs --twice).
    cacheHits: () => metric(server.url, 'dc_result_cache_hits_total'),
    stop: () => stopServer(server, 'server'),
  };
}

// Statuses of the protocol's error codes (server/net/reply.cpp).
const STATUS = { INVALID_QUERY: 400, INVALID_VALUE: 400, CONFLICT: 409, NOT_FOUND: 404, FORBIDDEN: 403, UPSTREAM_ERROR: 502 };

// Accesses whose rows the engine may count in an index instead of reading
// them: the last step of an order key's relation path with no field (a count
// of rows), and the target of an EXISTS probe without a junction.
function countedAccesses(plan) {
  const ids = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v.through) && v.field === undefined && v.through.length) ids.add(v.through.at(-1).target.access.id);
    for (const probe of [v.exists, v.notExists]) if (probe?.target && !probe.junction) ids.add(probe.target.access.id);
    Object.values(v).forEach(walk);
  };
  walk(plan);
  return ids;
}
// Engine (explain analyze) and adapter agree on every access's reads, but
// for counted accesses the engine read none of.
function onlyCountedDiffer(analyzed, adapterReads) {
  const counted = countedAccesses(analyzed);
  const engineReads = new Map();
  const walk = (v) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    if (typeof v.id === 'number' && typeof v.actualReads === 'number') engineReads.set(v.id, v.actualReads);
    Object.values(v).forEach(walk);
  };
  walk(analyzed.root);
  if (!counted.size) return false;
  for (const [id, n] of engineReads) {
    if (n !== (adapterReads[id] ?? 0) && !(counted.has(id) && n === 0)) return false;
  }
  return true;
}

// The adapter alone: the embedded server only plans (/v1/explain); the plan
// runs in the adapter under convex-test, as the proxy would ship it.
async function adapter({ bin, fixtureDir, serverArgs, auth }) {
  // Whole plans, as the proxy ships them: explain would hide indexes over columns the caller cannot see.
  const planner = await startServer(bin, [...serverFlags(fixtureDir), ...authFlags(auth), ...serverArgs, '--explain-unredacted']);
  const schemaJson = JSON.parse(readFileSync(join(fixtureDir, 'schema.json'), 'utf8'));
  const deployment = await createDeployment({ schemaJson, importDir: join(fixtureDir, 'data') });
  const ids = idMapper(deployment.idMap);
  // Until the first write both hold the same documents: a read then runs on
  // the planning server too, and the two runners' documents read are compared.
  let wrote = false;
  const run = async (endpoint, body, who) => {
    // The plan is made for the caller (their rules are in it); the adapter runs it with no rules of its own.
    const headers = credentialHeaders(auth, who, ids.request);
    if (endpoint !== '/v1/query' && endpoint !== '/v1/mutate') return post(planner.url, endpoint, body, headers);
    const planned = await post(planner.url, '/v1/explain', ids.request(body), headers);
    if (planned.status !== 200) return planned;
    const plan = planned.json.data;
    // A read sent to /v1/mutate (or the reverse) is refused by the server without running anything.
    if ((plan.kind === 'mutation') !== (endpoint === '/v1/mutate')) return post(planner.url, endpoint, body, headers);
    if (plan.kind === 'mutation') wrote = true;
    try {
      const fn = plan.kind === 'mutation' ? deployment.mutation('drizzle:mutate', { plan: JSON.stringify(plan) })
        : deployment.query('drizzle:execute', { plan: JSON.stringify(plan) });
      const out = await fn;
      const json = { data: convexToJson(out.data) };
      let engineDocsRead;
      if (plan.kind === 'read' && !wrote) {
        const engine = await post(planner.url, '/v1/query', body, credentialHeaders(auth, who));
        const header = engine.headers?.get('x-docs-read');
        if (engine.status === 200 && header) engineDocsRead = Number(header);
      }
      // A count or an aggregate of row counts the engine answered from its
      // indexes' per-value counts (index_counts.cpp); Convex keeps none.
      let countedByEngine = engineDocsRead === 0 && (plan.op === 'count' || plan.op === 'aggregate');
      if (!countedByEngine && engineDocsRead !== undefined && engineDocsRead !== out.docsRead) {
        // An order by the number of related rows, counted from the index on
        // the engine (relation_order.cpp): only those accesses may differ.
        const analyzed = await post(planner.url, '/v1/explain', ids.request({ ...body, analyze: true }), headers);
        const again = await deployment.query('drizzle:execute', { plan: JSON.stringify({ ...plan, analyze: true }) });
        countedByEngine = analyzed.status === 200 && onlyCountedDiffer(analyzed.json.data, again.readsByAccess ?? []);
      }
      return { status: 200, json, text: JSON.stringify(json), docsRead: out.docsRead, engineDocsRead, countedByEngine };
    } catch (e) {
      const d = e?.data;
      if (!d?.code) throw e;
      const json = { error: d };
      return { status: STATUS[d.code] ?? 500, json, text: JSON.stringify(json) };
    }
  };
  return {
    post: async (endpoint, body, who) => ids.response(await run(endpoint, body, who)),
    stop: () => stopServer(planner, 'planning server'),
  };
}

// The whole Convex path: the server (schema from the adapter's describe)
// calling the emulator over HTTP.
async function convex({ bin, fixtureDir, serverArgs, auth }) {
  const emulator = await startEmulator(['--schema', join(fixtureDir, 'schema.json'), '--import', join(fixtureDir, 'data'), '--admin-key', ADMIN_KEY]);
  let server;
  try {
    const idMap = new Map(Object.entries(await (await fetch(`${emulator.url}/_emulator/ids`)).json()));
    const ids = idMapper(idMap);
    server = await startServer(bin, ['--convex-url', emulator.url, '--convex-deploy-key', ADMIN_KEY, ...authFlags(auth), ...serverArgs]);
    await waitReady(server.url);
    return {
      post: async (endpoint, body, who) =>
        ids.response(await post(server.url, endpoint, ids.request(body), credentialHeaders(auth, who, ids.request))),
      stop: async () => (await stopServer(server, 'server')) ?? (await stopServer(emulator, 'emulator')),
    };
  } catch (e) {
    if (server) await server.stop();
    await emulator.stop();
    throw e;
  }
}

export function startTarget(backend, options) {
  return { embedded, adapter, convex }[backend](options);
}
