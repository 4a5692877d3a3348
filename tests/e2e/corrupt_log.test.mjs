// A damaged write-ahead log: a flipped byte in the middle is corruption, not
// a torn tail. The server refuses to start (rather than drop acknowledged
// writes and call it a torn record), says where and how to proceed, and
// starts with --recover-truncate, keeping the original log aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, post } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;

test('one flipped byte in the middle of the log: no silent loss; --recover-truncate accepts it explicitly', { timeout: 60000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-corrupt-'));
  const args = ['--demo', '--data-dir', dir, '--no-access-log'];
  try {
    let server = await startServer(bin, args);
    for (const name of ['w-one', 'w-two', 'w-three']) {
      const r = await post(server.url, '/v1/mutate', { op: 'insert', table: 'tags', values: { name } });
      assert.equal(r.status, 200, r.text);
    }
    assert.equal(await server.stop(), 0);

    const log = join(dir, 'wal.log');
    const bytes = readFileSync(log);
    const second = bytes.indexOf('w-two');
    assert.ok(second > 0);
    bytes[second] ^= 0x20;  // inside the second record's payload: its checksum fails, the third is whole
    writeFileSync(log, bytes);

    const refused = spawnSync(bin, ['--port', '0', ...args], { encoding: 'utf8', timeout: 20000 });
    assert.notEqual(refused.status, 0, 'the server must not start on a corrupt log');
    assert.match(refused.stderr, /corrupt at byte \d+/);
    assert.match(refused.stderr, /--recover-truncate/);
    assert.equal(statSync(log).size, bytes.length, 'the log was left as it was');

    server = await startServer(bin, [...args, '--recover-truncate']);
    const names = (await post(server.url, '/v1/query', { table: 'tags', op: 'findMany', where: { name: { like: 'w-%' } }, columns: { name: true } })).json.data.map((t) => t.name);
    assert.deepEqual(names, ['w-one']);
    assert.match(server.stderr(), /log was corrupt at byte \d+/);
    assert.equal(await server.stop(), 0);
    const aside = readdirSync(dir).filter((f) => f.startsWith('wal.log.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(statSync(join(dir, aside[0])).size, bytes.length);

    // From now on the directory opens normally, without the flag.
    server = await startServer(bin, args);
    assert.equal((await post(server.url, '/v1/query', { table: 'tags', op: 'count', where: { name: 'w-one' } })).json.data.count, 1);
    assert.equal(await server.stop(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
