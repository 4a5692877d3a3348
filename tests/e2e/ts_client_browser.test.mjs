// The TypeScript client in a browser: bundled for the browser (esbuild,
// platform "browser": a Node built-in in the client would fail the bundle),
// loaded by a page a test server serves, in Debian's headless Chromium
// driven by puppeteer-core. The page runs one query and one live read
// against the real server and writes them into its DOM, which the test reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const root = new URL('../..', import.meta.url).pathname;
const fixture = join(root, 'tests/conformance/fixtures/blog');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const page = (proxyUrl, schemaJson) => `<!doctype html>
<html><body><p id="count">…</p><ul id="tags"></ul>
<script type="module">
import { connect, clientSchema } from "./client.js";
const db = connect({ url: ${JSON.stringify(proxyUrl)}, schema: clientSchema(${JSON.stringify(schemaJson)}) });
document.getElementById("count").textContent = String(await db.query.posts.count({ where: { published: true } }));
db.query.tags.findMany({ columns: { name: true }, orderBy: { name: "asc" } }).subscribe(
  (tags) => { document.getElementById("tags").innerHTML = tags.map((t) => "<li>" + t.name + "</li>").join(""); },
  (e) => { document.getElementById("tags").dataset.error = e.code + ": " + e.message; });
</script></body></html>`;

test('the client bundle in headless Chromium: a query and a live update reach the DOM', { skip: !bin ? 'DC_SERVER not set' : !chromium ? 'no chromium (scripts/install-deps.sh test installs it)' : false, timeout: 120000 }, async () => {
  const bundle = await build({
    entryPoints: [join(root, 'client/ts/src/index.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
  });
  const clientJs = bundle.outputFiles[0].text;
  const schemaJson = JSON.parse(readFileSync(join(fixture, 'schema.json'), 'utf8'));
  let html = '';
  const web = createServer((req, res) => {
    if (req.url === '/client.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); return res.end(clientJs); }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${web.address().port}`;
  const server = await startServer(bin, ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--cors-origins', origin]);
  html = page(server.url, schemaJson);
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const tab = await browser.newPage();
    const logs = [];
    tab.on('console', (m) => logs.push(m.text()));
    tab.on('pageerror', (e) => logs.push(String(e)));
    await tab.goto(origin + '/', { waitUntil: 'load' });
    const expected = (await post(server.url, '/v1/query', { table: 'posts', op: 'count', where: { published: true } })).json.data.count;
    await tab.waitForFunction((n) => document.getElementById('count').textContent === String(n), { timeout: 15000 }, expected)
      .catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
    await tab.waitForFunction(() => document.querySelectorAll('#tags li').length > 0, { timeout: 15000 })
      .catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
    const inserted = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name: 'zz-from-node' } });
    assert.equal(inserted.status, 200, inserted.text);
    await tab.waitForFunction(() => [...document.querySelectorAll('#tags li')].some((li) => li.textContent === 'zz-from-node'), { timeout: 15000 })
      .catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
    const error = await tab.$eval('#tags', (ul) => ul.dataset.error ?? null);
    assert.equal(error, null);
  } finally {
    await browser.close();
    await new Promise((r) => web.close(r));
    assert.equal(await server.stop(), 0, server.stderr().slice(-2000));
  }
});
