// Durability under SIGKILL: a server with --data-dir takes concurrent writes
// and is killed at random moments, several times. After each restart every
// acknowledged write is present and no refused write is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'conformance', 'fixtures', 'org');
const ROUNDS = 5;
const WRITERS = 6;

async function allCompanyNames(url) {
  const names = new Set();
  let cursor = null;
  for (;;) {
    const res = await post(url, '/v1/query', { table: 'companies', op: 'paginate', numItems: 1000, columns: { name: true }, cursor });
    assert.equal(res.status, 200, res.text);
    for (const row of res.json.data.page) names.add(row.name);
    if (res.json.data.isDone) return names;
    cursor = res.json.data.continueCursor;
  }
}

test('acknowledged writes survive SIGKILL; refused writes never appear', { timeout: 240000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dc-crash-'));
  const args = ['--schema', join(fixture, 'schema.json'), '--import', join(fixture, 'data'), '--data-dir', dataDir, '--snapshot-every', '40'];
  const acked = new Set();
  const refused = new Set();
  let inFlightAtKill = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer(bin, args);
      // Everything acknowledged in earlier rounds is here after the restart.
      const present = await allCompanyNames(server.url);
      for (const name of acked) assert.ok(present.has(name), `acknowledged write ${name} was lost`);
      for (const name of refused) assert.ok(!present.has(name), `refused write ${name} is present`);

      let stop = false;
      let inFlight = 0;
      const writer = async (w) => {
        for (let n = 0; !stop; n++) {
          const name = `r${round}-w${w}-${n}`;
          inFlight++;
          try {
            if (n % 5 === 4) {
              // Fails on its second op: the first must not survive either.
              const res = await post(server.url, '/v1/mutate', { op: 'transaction', ops: [
                { op: 'insert', table: 'companies', values: { name: `refused-${name}` } },
                { op: 'insert', table: 'companies', values: { name: 'Acme' } }] });
              if (res.status === 409) refused.add(`refused-${name}`);
              else assert.fail(`expected 409, got ${res.status} ${res.text}`);
            } else {
              const res = await post(server.url, '/v1/mutate', { op: 'insert', table: 'companies', values: { name } });
              if (res.status === 200) acked.add(name);
              else assert.fail(`insert answered ${res.status} ${res.text}`);
            }
          } catch (e) {
            if (!stop) throw e;  // the kill cut this request: its outcome is unknown, so it is not checked
          } finally {
            inFlight--;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w).catch((e) => { if (!stop) throw e; }));
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 600)));
      stop = true;
      const exited = once(server.proc, 'exit');
      server.proc.kill('SIGKILL');
      inFlightAtKill += inFlight;
      await exited;
      await Promise.all(writers);
    }
    const server = await startServer(bin, args);
    const present = await allCompanyNames(server.url);
    for (const name of acked) assert.ok(present.has(name), `acknowledged write ${name} was lost`);
    for (const name of refused) assert.ok(!present.has(name), `refused write ${name} is present`);
    assert.ok(present.has('Acme') && present.has('Globex'), 'imported rows are kept');
    assert.equal(await server.stop(), 0);
    assert.ok(acked.size > 0 && refused.size > 0, 'the load did write');
    console.log(`# crash test: ${ROUNDS} SIGKILLs; ${acked.size} acknowledged writes and ${refused.size} refused writes checked after every restart; ${inFlightAtKill} requests were in flight at the kills`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
