// Browsers and origins (protocol.md section 10): a web page on another origin
// can neither read, write nor open a live socket; listed origins get CORS;
// DNS rebinding is refused on loopback; every answer carries a request id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const APP = 'https://app.example.com';
let server;

before(async () => { server = await startServer(bin, ['--demo', '--cors-origins', `${APP}, http://localhost:3000`]); });
after(async () => { assert.equal(await server.stop(), 0, server.stderr().slice(-2000)); });

// A raw request, so Host and Origin are exactly what a browser (or an attacker's page) would send.
function raw(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const count = async () => (await post(server.url, '/v1/query', { table: 'tags', op: 'count' })).json.data.count;

test('a page on an unlisted origin cannot write, even with a text/plain body (no preflight)', async () => {
  const before = await count();
  const r = await raw('POST', '/v1/mutate', {
    headers: { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
    body: JSON.stringify({ op: 'delete', table: 'tags', where: {} }),
  });
  assert.equal(r.status, 403, r.text);
  assert.equal(JSON.parse(r.text).error.code, 'FORBIDDEN');
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  assert.equal(await count(), before, 'nothing was deleted');
});

test('a listed origin gets Access-Control-Allow-Origin on answers and errors, and its preflight', async () => {
  const ok = await raw('POST', '/v1/query', { headers: { Origin: APP, 'Content-Type': 'application/json' }, body: '{"table":"tags","op":"count"}' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers['access-control-allow-origin'], APP);
  assert.equal(ok.headers.vary, 'Origin');
  const bad = await raw('POST', '/v1/query', { headers: { Origin: APP }, body: '{' });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers['access-control-allow-origin'], APP);
  const pre = await raw('OPTIONS', '/v1/mutate', { headers: { Origin: APP, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], APP);
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, POST');
  assert.equal(pre.headers['access-control-allow-headers'], 'Authorization, Content-Type, X-Request-Id');
  const otherPre = await raw('OPTIONS', '/v1/mutate', { headers: { Origin: 'https://evil.example' } });
  assert.equal(otherPre.status, 403);
});

test('a live socket cannot be opened from an unlisted origin; a listed one can', async () => {
  const refused = await new Promise((resolve) => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/v1/live', 'graphql-transport-ws', { origin: 'https://evil.example' });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('error', () => {});
  });
  assert.equal(refused, 403);
  const opened = await new Promise((resolve) => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/v1/live', 'graphql-transport-ws', { origin: APP });
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('error', () => {});
  });
  assert.equal(opened, 'open');
});

test('DNS rebinding: on loopback, a request for another Host name is refused', async () => {
  const r = await raw('POST', '/v1/query', { headers: { Host: 'attacker.example:8787' }, body: '{"table":"users","op":"findFirst"}' });
  assert.equal(r.status, 403, r.text);
  for (const host of ['localhost:1234', '127.0.0.1', '[::1]:8787']) {
    assert.equal((await raw('GET', '/healthz', { headers: { Host: host } })).status, 200, host);
  }
});

test('requests without Origin (servers, curl, the C++ client) are unaffected', async () => {
  assert.equal((await raw('POST', '/v1/query', { body: '{"table":"tags","op":"count"}' })).status, 200);
});

test('X-Request-Id: the client\'s is returned and logged; otherwise one is made', async () => {
  const mine = await raw('GET', '/healthz', { headers: { 'X-Request-Id': 'trace-abc-123' } });
  assert.equal(mine.headers['x-request-id'], 'trace-abc-123');
  const made = await raw('GET', '/healthz');
  const made2 = await raw('GET', '/healthz');
  assert.match(made.headers['x-request-id'], /^[\x21-\x7e]{1,128}$/);
  assert.notEqual(made.headers['x-request-id'], made2.headers['x-request-id']);
  const odd = await raw('GET', '/healthz', { headers: { 'X-Request-Id': 'x'.repeat(200) } });
  assert.notEqual(odd.headers['x-request-id'], 'x'.repeat(200));
  for (let i = 0; i < 50 && !server.stderr().includes('"requestId":"trace-abc-123"'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(server.stderr().includes('"requestId":"trace-abc-123"'), 'the access log names the request id');
});
