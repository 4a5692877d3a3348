#!/usr/bin/env node
// The Convex emulator: Convex's public HTTP API and sync WebSocket, served
// over an in-process deployment (deployment.mjs: convex-test running the
// drizzle-convex adapter). Tests start it on loopback; the official `convex`
// npm client works against it unchanged (tests/emulator/fidelity.test.mjs).
//
//   node tests/emulator/main.mjs --port 0 --schema FILE(.json|.mjs) --admin-key KEY [--import DIR]
//        [--latency-ms N] [--error-rate F] [--fail-status CODE] [--tls-cert PEM --tls-key PEM]
//
// Prints `listening on 127.0.0.1:PORT` once it accepts connections. Test-only
// routes live under /_emulator/ (fault knobs, call counts, the fixture id map).
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import { WebSocketServer } from 'ws';
import { convexToJson, jsonToConvex } from 'convex/values';
import { createDeployment } from './deployment.mjs';
import { SyncSession } from './sync.mjs';

const argv = process.argv.slice(2);
const flag = (name, dflt) => { const i = argv.lastIndexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const schemaFile = flag('--schema');
const adminKey = flag('--admin-key');
if (!schemaFile || !adminKey) {
  console.error('usage: main.mjs --port N --schema FILE --admin-key KEY [--import DIR] [--latency-ms N] [--error-rate F] [--fail-status CODE]');
  process.exit(2);
}

// A .mjs schema is a Convex project's schema module: its default export is
// the schema (builder tables or defineTable), `relations` (defineRelations)
// or `extras` the adapter's second argument.
const deployment = /\.m?js$/.test(schemaFile)
  ? await (async () => {
    const mod = await import(pathToFileURL(resolve(schemaFile)).href);
    return createDeployment({ schema: mod.default, extras: mod.relations ?? mod.extras, importDir: flag('--import') });
  })()
  : await createDeployment({ schemaJson: JSON.parse(readFileSync(schemaFile, 'utf8')), importDir: flag('--import') });

// Fault knobs, settable at start and through POST /_emulator/faults.
const faults = {
  latencyMs: Number(flag('--latency-ms', 0)), // added before every API answer
  errorRate: Number(flag('--error-rate', 0)), // share of function calls answered with failStatus
  failStatus: Number(flag('--fail-status', 503)),
  failNext: 0,                                // the next N function calls fail (without running)
  failAfterNext: 0,                           // the next N calls run, then answer failStatus anyway
  stall: false,                               // hold function calls without answering
  breakTransitions: 0,                        // the next N sync Transitions start at a wrong version (a gap)
};
const stats = { calls: 0, byKind: {}, byPath: {}, syncConnects: 0 };
const stalled = new Set();

// Timestamps: u64 nanoseconds, strictly increasing, as base64 of 8 LE bytes.
let lastTs = 0n;
function nextTs() {
  const now = BigInt(Date.now()) * 1000000n;
  lastTs = now > lastTs ? now : lastTs + 1n;
  return lastTs;
}
const encodeTs = (ts) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(ts); return b.toString('base64'); };

const sessions = new Set();

// Function logs, as Convex keeps them: what a function writes with console.*
// during its run comes back in the answer's logLines ("[LOG] text") and
// stays in a recent-lines list (GET /_emulator/logs: {path, line}).
const functionLogs = new AsyncLocalStorage();
const recentLogs = [];
for (const [method, level] of [['log', 'LOG'], ['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['debug', 'DEBUG']]) {
  const original = console[method].bind(console);
  console[method] = (...args) => {
    const run = functionLogs.getStore();
    if (!run) return original(...args);
    const line = `[${level}] ${format(...args)}`;
    run.lines.push(line);
    recentLogs.push({ path: run.path, line });
    if (recentLogs.length > 1000) recentLogs.shift();
  };
}

// The acting-as part of an admin key: standard base64 of a JSON
// UserIdentityAttributes object, which needs tokenIdentifier, or issuer and
// subject; the fields Convex knows must have their types. null: malformed.
const IDENTITY_STRINGS = ['tokenIdentifier', 'issuer', 'subject', 'name', 'givenName', 'familyName', 'nickname', 'preferredUsername',
  'profileUrl', 'pictureUrl', 'email', 'gender', 'birthday', 'timezone', 'language', 'phoneNumber', 'address', 'updatedAt'];
function actingAs(b64) {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  let id;
  try { id = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')); } catch { return null; }
  if (!id || typeof id !== 'object' || Array.isArray(id)) return null;
  for (const k of IDENTITY_STRINGS) if (k in id && typeof id[k] !== 'string') return null;
  for (const k of ['emailVerified', 'phoneNumberVerified']) if (k in id && typeof id[k] !== 'boolean') return null;
  if (!id.tokenIdentifier && !(id.issuer && id.subject)) return null;
  return { tokenIdentifier: id.tokenIdentifier ?? `${id.issuer}|${id.subject}`, ...id };
}

// Admin auth as Convex checks it: `Convex <key>` (prefix case-insensitive),
// optionally acting as a user: `Convex <key>:<base64 identity>`.
function authorize(header) {
  if (!header) return { admin: false };
  if (header.slice(0, 7).toLowerCase() === 'convex ') {
    const token = header.slice(7);
    if (token === adminKey) return { admin: true };
    if (token.startsWith(adminKey + ':')) {
      const identity = actingAs(token.slice(adminKey.length + 1));
      if (!identity) return { error: [400, 'InvalidActingAsIdentity', 'The acting-as identity after the admin key is not base64 of a valid UserIdentityAttributes object'] };
      stats.actingAs = (stats.actingAs ?? 0) + 1;
      stats.lastIdentity = identity;  // what the function's ctx.auth.getUserIdentity() returns
      return { admin: true, identity };
    }
    return { error: [401, 'BadAdminKey', 'The provided admin key was invalid for this instance'] };
  }
  if (header.startsWith('Bearer ')) return { admin: false };
  return { error: [400, 'InvalidAdminKey', 'Authorization header must be "Convex <key>" or "Bearer <token>"'] };
}

const canonicalPath = (p) => (p.includes(':') ? p : `${p}:default`).replace(/\.js(?=:)/, '');
const KINDS = { query: 'query', mutation: 'mutation', action: 'action' };

// Runs one function; the result is a Convex UdfResponse-like object.
async function runFunction(kind, path, args, { admin, identity }) {
  path = canonicalPath(path);
  stats.calls++;
  stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
  stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
  // Every function of this deployment is internal: admin only, as in Convex.
  const actual = deployment.kindOf(path);
  if (!admin || !actual) return { status: 'error', errorMessage: `Could not find public function for '${path}'. Did you forget to run \`npx convex dev\`?` };
  if (kind !== actual) return { status: 'error', errorMessage: `Trying to execute ${path} as ${kind}, but it is defined as ${actual}.` };
  const run = { path, lines: [] };
  try {
    const value = await functionLogs.run(run, () => deployment[kind](path, args, identity));
    if (kind === 'mutation') {
      const ts = nextTs();
      for (const s of sessions) s.invalidate();
      return { status: 'success', value: value ?? null, ts, logLines: run.lines };
    }
    return { status: 'success', value: value ?? null, logLines: run.lines };
  } catch (e) {
    const r = { status: 'error', errorMessage: String(e?.message ?? e), logLines: run.lines };
    if (e?.data !== undefined) r.errorData = e.data;
    return r;
  }
}

// Convex's "clean" JSON: int64 as decimal strings, bytes as base64.
function cleanJson(v) {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(cleanJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, cleanJson(x)]));
  return v;
}

function encodeValue(v, format) {
  switch (format) {
    case 'convex_encoded_json':
    case 'convex_json': return convexToJson(v);
    case 'json':
    case 'convex_clean_json': return cleanJson(v);
    default: return undefined;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function send(res, status, body) {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 16 * 1024 * 1024 + 2000) throw Object.assign(new Error('request too large'), { status: 413 });
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handleFunction(req, res, kind, pathFromUrl) {
  const auth = authorize(req.headers.authorization);
  if (auth.error) return send(res, auth.error[0], { code: auth.error[1], message: auth.error[2] });
  let body;
  try { body = JSON.parse((await readBody(req)) || '{}'); } catch { return send(res, 400, { code: 'BadJsonBody', message: 'Failed to parse JSON body' }); }
  const path = pathFromUrl ?? body.path;
  if (typeof path !== 'string') return send(res, 400, { code: 'BadRequest', message: 'missing "path"' });
  // /api/run defaults to clean JSON; the others depend on the client (we default to clean too).
  const format = body.format ?? 'json';
  if (encodeValue(null, format) === undefined) return send(res, 400, { code: 'BadFormat', message: `invalid format ${format}` });
  let args;
  try {
    const raw = body.args ?? {};
    args = jsonToConvex(Array.isArray(raw) ? (raw[0] ?? {}) : raw);
  } catch (e) {
    return send(res, 400, { code: 'BadConvexArgs', message: String(e.message) });
  }
  if (faults.latencyMs) await sleep(faults.latencyMs);
  if (faults.stall) {
    stalled.add(res);
    res.on('close', () => stalled.delete(res));
    return;
  }
  if (faults.failNext > 0 || (faults.errorRate && Math.random() < faults.errorRate)) {
    if (faults.failNext > 0) faults.failNext--;
    stats.failed = (stats.failed ?? 0) + 1;
    return send(res, faults.failStatus, { code: 'Overloaded', message: 'injected failure (emulator fault knob)' });
  }
  const r = await runFunction(kind, path, args, auth);
  if (faults.failAfterNext > 0) {
    faults.failAfterNext--;
    stats.failed = (stats.failed ?? 0) + 1;
    return send(res, faults.failStatus, { code: 'Overloaded', message: 'injected failure after the function ran (emulator fault knob)' });
  }
  const out = { status: r.status };
  if (r.status === 'success') out.value = encodeValue(r.value, format);
  else {
    out.errorMessage = r.errorMessage;
    if (r.errorData !== undefined) out.errorData = encodeValue(r.errorData, format);
  }
  out.logLines = r.logLines ?? [];
  send(res, 200, out);
}

async function handleEmulator(req, res, route) {
  if (route === 'ids') return send(res, 200, Object.fromEntries(deployment.idMap));
  if (route === 'logs') return send(res, 200, recentLogs);
  if (route === 'stats') {
    const open = await new Promise((r) => server.getConnections((e, n) => r(e ? -1 : n)));
    return send(res, 200, { ...stats, stalled: stalled.size, openConnections: open });
  }
  if (route === 'stats/reset' && req.method === 'POST') {
    stats.calls = 0; stats.byKind = {}; stats.byPath = {}; stats.failed = 0;
    return send(res, 200, stats);
  }
  if (route === 'faults' && req.method === 'POST') {
    let body;
    try { body = JSON.parse(await readBody(req)); } catch { return send(res, 400, { message: 'bad JSON' }); }
    for (const k of Object.keys(faults)) if (k in body) faults[k] = body[k];
    if (!faults.stall) for (const r of stalled) send(r, 503, { code: 'Overloaded', message: 'stall released' });
    if (body.dropWebSockets) for (const s of sessions) s.drop();
    return send(res, 200, faults);
  }
  return send(res, 404, { code: 'NotFound', message: `no emulator route ${route}` });
}

const tlsCert = flag('--tls-cert');
const tlsKey = flag('--tls-key');
const handler = async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    if (p.startsWith('/_emulator/')) return await handleEmulator(req, res, p.slice('/_emulator/'.length));
    // The backend's meta route, which its Docker health check and deploy scripts poll.
    if (req.method === 'GET' && p === '/version') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('emulator');
    }
    if (req.method === 'POST' && p === '/api/query_ts') return send(res, 200, { ts: encodeTs(nextTs()) });
    if (req.method === 'POST' && KINDS[p.slice(5)] && p.startsWith('/api/')) return await handleFunction(req, res, KINDS[p.slice(5)]);
    if (req.method === 'POST' && p.startsWith('/api/run/')) {
      // /api/run/dir/file/fn → dir/file:fn; the kind is the function's own.
      const parts = p.slice('/api/run/'.length).split('/');
      const path = `${parts.slice(0, -1).join('/')}:${parts.at(-1)}`;
      return await handleFunction(req, res, deployment.kindOf(path) ?? 'query', path);
    }
    send(res, 404, { code: 'NotFound', message: `no route ${req.method} ${p}` });
  } catch (e) {
    send(res, e.status ?? 500, { code: 'InternalServerError', message: String(e.message) });
  }
};
// With a certificate it speaks HTTPS (and wss://), as a Convex deployment does.
const server = tlsCert ? createTlsServer({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey) }, handler) : createServer(handler);

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const p = new URL(req.url, 'http://x').pathname;
  if (!/^\/api\/([^/]+\/)?sync$/.test(p)) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    stats.syncConnects++;
    const s = new SyncSession(ws, { adminKey, runFunction, nextTs, encodeTs, faults, onClose: () => sessions.delete(s) });
    sessions.add(s);
  });
});

server.listen(Number(flag('--port', 0)), '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
const stop = () => { for (const s of sessions) s.drop(); server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); server.closeAllConnections?.(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
