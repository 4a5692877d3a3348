// bench/plot.sh: the benchmarks' printed output becomes PNG figures, drawn
// from exactly the numbers printed; bad input stops it with exit 2 and a
// message naming the file, and draws nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const plot = (results, out) => spawnSync(join(root, 'bench/plot.sh'), [results, out], { encoding: 'utf8' });

const B1 = `$ bench/b1_http.sh
B1 findFirst by _id, 512-byte response, plan cache 1024 entries, wrk -t2 -c64 -d10s on 2 cores (client and server share them)
  drizzle-convex:   64677.12 req/s  p50 950.00us p99 2.35ms
  nginx (static):  122419.50 req/s  p50 437.00us p99 1.02s
  ratio drizzle-convex / nginx: 0.53
`;
const B4 = `B4 inserts, wrk -t2 -c64 -d10s on 2 cores (client and server share them)
  this      memory    1-row inserts:     27424 rows/s    27424 requests/s  p99 5.30ms    (non-2xx: 0)  /healthz max 20.1 ms
  baseline  memory    1-row inserts:     28567 rows/s    28567 requests/s  p99 5.80ms    (non-2xx: 0)  /healthz max 5.6 ms
  this      durable 100-row inserts:     86122 rows/s      861 requests/s  p99 746.00ms  (non-2xx: 0)  /healthz max 6.9 ms
  baseline  durable 100-row inserts:     82831 rows/s      828 requests/s  p99 166.00ms  (non-2xx: 0)  /healthz max 53.3 ms
  fdatasync of 512 bytes on this disk (same run): p50 900 us, p99 2000 us
`;
// The distribution b5 writes: share, then ms. Below 0 ms: a client had its
// next before the writer had the write's HTTP answer (one process measures both).
const points = Array.from({ length: 101 }, (_, i) => `${(i / 100).toFixed(3)} ${(-2 + (i / 100) ** 4 * 20).toFixed(3)}`);
const B5 = `# B5 write ack -> next (4000 deliveries): share, ms: node bench/b5_live.mjs --latencies x\n${points.join('\n')}\n`;

function results(files) {
  const dir = mkdtempSync(join(tmpdir(), 'dc-plot-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const dat = (dir, name) => readFileSync(join(dir, name), 'utf8').trim().split('\n');

function assertPng(file, width, height) {
  const b = readFileSync(file);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
  assert.equal(b.subarray(12, 16).toString(), 'IHDR');
  assert.deepEqual([b.readUInt32BE(16), b.readUInt32BE(20)], [width, height]);
  assert.ok(b.length > 5000, `${file} has something drawn in it (${b.length} bytes)`);
}

test('three figures, each drawn from the numbers the benchmark printed', () => {
  const dir = results({ 'b1.txt': B1, 'b4.txt': B4, 'b5_latencies.txt': B5 });
  const out = join(dir, 'img');
  const r = plot(dir, out);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['b1_http', 'b4_writes', 'b5_latency']) assertPng(join(out, `${f}.png`), 1000, 420);
  // wrk's units become milliseconds: 950.00us → 0.950, 1.02s → 1020.
  assert.deepEqual(dat(out, 'b1_http.dat'), ['"drizzle-convex" 64677.12 0.950 2.350', '"nginx (static file)" 122419.50 0.437 1020.000']);
  // A baseline build's line goes next to this build's for the same mode and batch.
  assert.deepEqual(dat(out, 'b4_writes.dat'), ['"memory, 1 row per insert" 27424 28567', '"durable, 100 rows per insert" 86122 82831']);
  // The distribution as printed, point for point.
  assert.deepEqual(dat(out, 'b5_latency.dat'), points);
});

test('bad input: exit 2 naming the file, and no figure drawn', () => {
  const cases = [
    [{ 'b1.txt': B1.replace(/^ {2}nginx.*\n/m, ''), 'b4.txt': B4, 'b5_latencies.txt': B5 }, /b1\.txt lacks the 'drizzle-convex:' and 'nginx \(static\):' lines/],
    [{ 'b1.txt': B1.replace('2.35ms', '2.35min'), 'b4.txt': B4, 'b5_latencies.txt': B5 }, /b1\.txt has a latency that is not in us, ms or s/],
    [{ 'b1.txt': B1, 'b4.txt': 'B4 inserts\n', 'b5_latencies.txt': B5 }, /b4\.txt has no 'N-row inserts:' lines/],
    [{ 'b1.txt': B1, 'b4.txt': B4.replace(/^ {2}this {6}memory.*\n/m, ''), 'b5_latencies.txt': B5 }, /b4\.txt has a baseline line without one of this build/],
    [{ 'b1.txt': B1, 'b4.txt': B4, 'b5_latencies.txt': '# few\n0 1.0\n1 2.0\n' }, /b5_latencies\.txt holds 2 points of the distribution; a figure needs at least 10/],
    [{ 'b1.txt': B1, 'b4.txt': B4, 'b5_latencies.txt': B5.replace('0.500 -0.750', '0.500 -9.000') }, /b5_latencies\.txt line 52 is not 'share ms' rising from the line before/],
    [{ 'b1.txt': B1, 'b4.txt': B4, 'b5_latencies.txt': B5.replace('0.500 -0.750', '0.500') }, /b5_latencies\.txt line 52 is not 'share ms'/],
    [{ 'b1.txt': B1, 'b4.txt': B4 }, /b5_latencies\.txt is missing: save the output of node bench\/b5_live\.mjs --latencies FILE there/],
  ];
  for (const [files, message] of cases) {
    const dir = results(files);
    const out = join(dir, 'img');
    const r = plot(dir, out);
    assert.equal(r.status, 2, `${message}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out) || readdirSync(out).length === 0, `nothing written for ${message}`);
  }
});

test('text in the results is drawn as text: a backquoted command in a title is not run', () => {
  const marker = join(mkdtempSync(join(tmpdir(), 'dc-plot-marker-')), 'ran');
  const b1 = B1.replace('B1 findFirst', `B1 \`touch ${marker}\` it's findFirst`);
  const dir = results({ 'b1.txt': b1, 'b4.txt': B4, 'b5_latencies.txt': B5 });
  const r = plot(dir, join(dir, 'img'));
  assert.equal(r.status, 0, r.stderr);
  assertPng(join(dir, 'img', 'b1_http.png'), 1000, 420);
  assert.ok(!existsSync(marker), 'gnuplot ran the backquoted text as a shell command');
});

test('the figures in docs/img are drawn from the results committed in bench/results', () => {
  const out = mkdtempSync(join(tmpdir(), 'dc-plot-docs-'));
  const r = plot(join(root, 'bench/results'), out);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['b1_http.dat', 'b4_writes.dat', 'b5_latency.dat']) {
    assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(root, 'docs/img', f), 'utf8'), `docs/img/${f} is out of date: run bench/plot.sh`);
  }
});
