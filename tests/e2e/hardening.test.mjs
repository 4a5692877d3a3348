// Hardening (issue 11): byte sequences that crashed or stalled the server.
// Each test names the behaviour; each failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, startProgram, post } from '../lib/server.mjs';
import { LiveClient } from '../lib/live.mjs';

const bin = process.env.DC_SERVER;

async function healthy(url) {
  const r = await fetch(url + '/healthz');
  assert.equal(r.status, 200);
}

test('a paginate cursor nested 30,000 deep is a 400 on /cursor, and the server stays up', async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    // A real cursor of this query, its keys replaced: the fingerprint matches, so the keys are decoded.
    const query = { table: 'posts', op: 'paginate', numItems: 5, orderBy: { views: 'desc' } };
    const first = await post(server.url, '/v1/query', { ...query, cursor: null });
    assert.equal(first.status, 200, first.text);
    const cursor = JSON.parse(Buffer.from(first.json.data.continueCursor, 'base64').toString());
    const deep = `{"q":${JSON.stringify(cursor.q)},"k":[` + '['.repeat(30000) + ']'.repeat(30000) + ']}';
    const r = await post(server.url, '/v1/query', { ...query, cursor: Buffer.from(deep).toString('base64') });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.path, '/cursor');
    await healthy(server.url);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a request with a duplicate key is a 400 naming the second one', async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    const r = await post(server.url, '/v1/query', '{"table":"users","op":"findMany","where":{"role":"admin","role":"guest"}}');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'INVALID_QUERY');
    assert.equal(r.json.error.path, '/where/role');
    const m = await post(server.url, '/v1/mutate', '{"op":"delete","table":"tags","where":{},"where":{"name":"x"}}');
    assert.equal(m.status, 400, m.text);
    assert.equal(m.json.error.path, '/where');
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count' })).json.data.count, 12, 'nothing was deleted');
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a body whose object has 300,000 keys is read in time linear in its size: answered with a 400, not held for minutes', { timeout: 60000 }, async () => {
  // nlohmann's ordered object searched all its members for each new key:
  // this 3.6 MB body held a socket thread for minutes before the fix.
  const server = await startServer(bin, ['--demo', '--no-access-log']);
  try {
    const keys = Array.from({ length: 300000 }, (_, i) => `"k${i}":1`).join(',');
    const r = await post(server.url, '/v1/query', `{"table":"users","op":"findMany","where":{${keys}}}`);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'INVALID_QUERY');
    const dup = await post(server.url, '/v1/query', `{"table":"users","op":"findMany","where":{${keys},"k123456":2}}`);
    assert.equal(dup.status, 400, dup.text);
    assert.equal(dup.json.error.path, '/where/k123456', 'the duplicate is still found past the first keys');
    await healthy(server.url);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a live subscribe nested 200,000 deep closes the socket with 4400, and the server stays up', async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log', '--max-body', String(1 << 20)]);
  try {
    const c = await LiveClient.open(server.url);
    c.send('{"type":"subscribe","id":"d","payload":{"table":"users","where":' + '['.repeat(200000) + ']'.repeat(200000) + '}}');
    const closed = await c.closed;
    assert.equal(closed.code, 4400);
    await healthy(server.url);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a live message over --max-body closes the socket with 1009, also while the client is still sending', async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log', '--max-body', '100000']);
  try {
    for (const size of [200000, 4 << 20]) {
      const c = await LiveClient.open(server.url);
      // 4 MB: the client is still sending when the server has read enough and closes.
      c.subscribe('big', { table: 'users', op: 'findMany', where: { name: 'x'.repeat(size) } });
      const closed = await c.closed;
      assert.equal(closed.code, 1009, `a ${size}-byte message`);
    }
    await healthy(server.url);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

// CPU seconds the process has used (utime + stime from /proc).
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // clock ticks: 100 per second on Linux
}

test('out of file descriptors: accepting pauses (no spinning, no log flood) and resumes once connections close', { timeout: 60000 }, async () => {
  // A low descriptor limit for the server alone.
  const server = await startProgram('/bin/sh', ['-c', 'ulimit -n 64 && exec "$0" "$@"', bin, '--port', '0', '--demo', '--no-access-log', '--threads', '2']);
  const sockets = [];
  try {
    for (let i = 0; i < 120; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 500));  // the limit is reached; more connections wait in the backlog
    const logBefore = (server.stderr().match(/accept failed/g) ?? []).length;
    const cpuBefore = cpuSeconds(server.proc.pid);
    await new Promise((r) => setTimeout(r, 2000));
    const cpu = cpuSeconds(server.proc.pid) - cpuBefore;
    const lines = (server.stderr().match(/accept failed/g) ?? []).length - logBefore;
    assert.ok(cpu < 0.5, `the server used ${cpu} CPU seconds in 2 s while out of descriptors`);
    assert.ok(lines <= 3, `${lines} "accept failed" lines in 2 s`);
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      try { ok = (await fetch(server.url + '/healthz')).status === 200; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.ok(ok, 'the server serves again once descriptors are free');
  } finally {
    for (const s of sockets) s.destroy();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('--max-connections: a connection over the cap waits, and is served once another closes', { timeout: 30000 }, async () => {
  const server = await startServer(bin, ['--demo', '--no-access-log', '--max-connections', '4']);
  const held = [];
  try {
    for (let i = 0; i < 4; i++) {
      const s = net.connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.on('connect', r));
      s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');  // answered: the session is open
      await new Promise((r) => s.once('data', r));
      held.push(s);
    }
    let answered = false;
    const waiting = fetch(server.url + '/healthz').then((r) => { answered = true; return r.status; });
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(answered, false, 'the fifth connection was served while four were open');
    held.shift().destroy();
    assert.equal(await waiting, 200);
  } finally {
    for (const s of held) s.destroy();
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('--request-timeout: a read whose filter work runs past it is answered 504 and stops; the server goes on', { timeout: 60000 }, async () => {
  // 990 ilike patterns on every comment: ~300,000 matches (about 2 s on a debug build).
  const OR = Array.from({ length: 990 }, (_, i) => ({ body: { ilike: `%q${i}%z%y%x%w%` } }));
  const heavy = { table: 'comments', op: 'findMany', where: { OR }, limit: 10 };
  const quick = await startServer(bin, ['--demo', '--no-access-log', '--request-timeout', '20']);
  try {
    const started = Date.now();
    const r = await post(quick.url, '/v1/query', heavy);
    assert.equal(r.status, 504, r.text.slice(0, 300));
    assert.equal(r.json.error.code, 'UPSTREAM_TIMEOUT');
    assert.match(r.json.error.message, /request-timeout/);
    assert.ok(Date.now() - started < 5000);
    assert.equal((await post(quick.url, '/v1/query', { table: 'tags', op: 'count' })).status, 200);
  } finally { assert.equal(await quick.stop(), 0, quick.stderr().slice(-2000)); }
  // The same query within the default deadline completes: the 504 above was the deadline, not the query.
  const patient = await startServer(bin, ['--demo', '--no-access-log', '--request-timeout', '60000']);
  try {
    const r = await post(patient.url, '/v1/query', heavy);
    assert.equal(r.status, 200, r.text.slice(0, 300));
  } finally { assert.equal(await patient.stop(), 0, patient.stderr().slice(-2000)); }
});

test('heavy reads run on the engine\'s threads: /healthz and a point read are answered while they run', { timeout: 60000 }, async () => {
  const OR = Array.from({ length: 990 }, (_, i) => ({ body: { ilike: `%q${i}%z%y%x%w%` } }));
  const heavy = { table: 'comments', op: 'findMany', where: { OR }, limit: 10 };
  // Two socket threads, and more heavy reads than both: before, they held every socket thread.
  const server = await startServer(bin, ['--demo', '--no-access-log', '--threads', '2', '--request-timeout', '60000']);
  try {
    let heavyDone = 0;
    const heavies = Array.from({ length: 4 }, () => post(server.url, '/v1/query', heavy).then((r) => { heavyDone++; return r.status; }));
    await new Promise((r) => setTimeout(r, 100));
    const health = await fetch(server.url + '/healthz');
    assert.equal(health.status, 200);
    const point = await post(server.url, '/v1/query', { table: 'tags', op: 'findFirst', orderBy: { name: 'asc' } });
    assert.equal(point.status, 200);
    assert.equal(heavyDone, 0, 'the quick requests were answered while the heavy reads still ran');
    assert.deepEqual(await Promise.all(heavies), [200, 200, 200, 200]);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('a client that disconnects stops its read: the engine does not finish work nobody will receive', { timeout: 60000 }, async () => {
  const OR = Array.from({ length: 990 }, (_, i) => ({ body: { ilike: `%q${i}%z%y%x%w%` } }));
  const body = JSON.stringify({ table: 'comments', op: 'findMany', where: { OR }, limit: 10 });
  const server = await startServer(bin, ['--demo', '--no-access-log', '--request-timeout', '60000', '--match-budget', '1000000000']);
  const cancelled = async () => {
    const text = await (await fetch(server.url + '/metrics')).text();
    return Number(/^dc_engine_reads_cancelled_total (\d+)$/m.exec(text)?.[1] ?? NaN);
  };
  try {
    assert.equal(await cancelled(), 0);
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write(`POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise((r) => setTimeout(r, 300));  // the read is running on an engine thread
    s.destroy();
    let n = 0;
    for (let i = 0; i < 40 && n < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      n = await cancelled();
    }
    assert.equal(n, 1, 'the read was stopped within 2 s of the disconnect');
    const cpuBefore = cpuSeconds(server.proc.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const cpu = cpuSeconds(server.proc.pid) - cpuBefore;
    assert.ok(cpu < 0.3, `the server used ${cpu} CPU seconds in the second after the read was cancelled`);
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

// Requests sent as headers, then body (as fetch does), on keep-alive
// connections, with a writer holding the engine so reads go to its threads:
// an answer waits on the socket's strand while a disconnect watch peeks at
// the socket. A stale readiness report once made that peek block in poll(),
// holding the strand and its answer forever (session 12; 15 s of this load
// hung some connection in every run).
test('reads answered from the engine\'s threads are all answered while writes hold the engine', { timeout: 120000 }, async () => {
  const fixture = new URL('../conformance/fixtures/org/', import.meta.url).pathname;
  const server = await startServer(bin, ['--schema', fixture + 'schema.json', '--import', fixture + 'data', '--threads', '4', '--no-access-log']);
  const filler = Array.from({ length: 300 }, (_, i) => ({ memberId: null, text: `filler ${i}` }));
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const res = await post(server.url, '/v1/mutate', { op: 'insert', table: 'notes', values: filler });
      assert.equal(res.status, 200, res.text);
    }
  })();
  const body = JSON.stringify({ table: 'members', op: 'count', where: { teamId: 't1' } });
  const head = `POST /v1/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const CONNECTIONS = 24;
  const REQUESTS = 600;
  // One connection: REQUESTS requests one after another; resolves with how
  // many were answered 200, or with the count so far when 20 s pass without
  // an answer (a stall), so the assertion below names it.
  const connection = () => new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1');
    s.setNoDelay(true);
    let answered = 0;
    let buf = '';
    let guard;
    const finish = (why) => { clearTimeout(guard); s.destroy(); resolve({ answered, why }); };
    const send = () => {
      clearTimeout(guard);
      guard = setTimeout(() => finish('no answer in 20 s'), 20000);
      s.write(head);
      setImmediate(() => s.write(body));
    };
    s.on('connect', send);
    s.on('data', (d) => {
      buf += d;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))[1]);
      if (buf.length < end + 4 + length) return;
      assert.match(buf, /^HTTP\/1\.1 200 /);
      assert.equal(JSON.parse(buf.slice(end + 4, end + 4 + length)).data.count, 2);
      buf = buf.slice(end + 4 + length);
      if (++answered === REQUESTS) finish('done');
      else send();
    });
    s.on('error', (e) => finish(e.message));
  });
  try {
    const results = await Promise.all(Array.from({ length: CONNECTIONS }, connection));
    writing = false;
    await writer;
    for (const r of results) assert.deepEqual(r, { answered: REQUESTS, why: 'done' });
    await healthy(server.url);
  } finally {
    writing = false;
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});

test('--match-budget: a read whose string patterns would scan more text than the budget is a 400 naming it', { timeout: 60000 }, async () => {
  const OR = Array.from({ length: 50 }, (_, i) => ({ body: { ilike: `%q${i}%` } }));
  const heavy = { table: 'comments', op: 'findMany', where: { OR } };
  const server = await startServer(bin, ['--demo', '--no-access-log', '--match-budget', '20000']);
  try {
    const r = await post(server.url, '/v1/query', heavy);
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.equal(r.json.error.code, 'INVALID_QUERY');
    assert.equal(r.json.error.path, '/where');
    assert.match(r.json.error.message, /budget of 20000 bytes of text \(--match-budget\)/);
    // One pattern over the same rows fits.
    const one = await post(server.url, '/v1/query', { table: 'comments', op: 'findMany', where: { body: { ilike: '%q%' } }, limit: 1 });
    assert.equal(one.status, 200, one.text.slice(0, 300));
  } finally { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); }
});

test('an update whose row selection is heavy runs off the socket threads and stops at --request-timeout, changing nothing', { timeout: 60000 }, async () => {
  // 990 patterns that match nothing, then one that matches every comment: all the work, then every row selected.
  const OR = [...Array.from({ length: 990 }, (_, i) => ({ body: { ilike: `%q${i}%z%y%x%w%` } })), { body: { ilike: '%' } }];
  const heavyUpdate = { op: 'update', table: 'comments', set: { body: 'changed' }, where: { OR } };
  const changed = { table: 'comments', op: 'count', where: { body: 'changed' } };
  // One socket thread: /healthz is answered while the update runs.
  const patient = await startServer(bin, ['--demo', '--no-access-log', '--threads', '1', '--request-timeout', '60000']);
  try {
    let updated = false;
    const pending = post(patient.url, '/v1/mutate', heavyUpdate).then((r) => { updated = true; return r; });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(patient.url + '/healthz')).status, 200);
    assert.equal(updated, false, '/healthz was answered while the update still ran');
    assert.equal((await pending).status, 200);
  } finally { assert.equal(await patient.stop(), 0, patient.stderr().slice(-2000)); }
  const quick = await startServer(bin, ['--demo', '--no-access-log', '--request-timeout', '20']);
  try {
    const r = await post(quick.url, '/v1/mutate', heavyUpdate);
    assert.equal(r.status, 504, r.text.slice(0, 300));
    assert.equal(r.json.error.code, 'UPSTREAM_TIMEOUT');
    assert.deepEqual((await post(quick.url, '/v1/query', changed)).json.data, { count: 0 }, 'nothing was changed');
  } finally { assert.equal(await quick.stop(), 0, quick.stderr().slice(-2000)); }
});
