// The release and the plan version (design.md's names table): `--version`
// on both binaries, /healthz, dc_build_info; the adapter's PLAN_VERSION is
// the same number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PLAN_VERSION } from 'drizzle-convex-adapter';
import { withServer } from '../lib/server.mjs';

const bin = process.env.DC_SERVER;
const dcq = process.env.DC_DCQ;

test('--version, /healthz and dc_build_info name the release and the plan version the adapter runs', { skip: !bin }, async () => {
  const server = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  const m = server.match(/^drizzle-convex-server (\d+\.\d+\.\d+) \(plan version (\d+)\)\n$/);
  assert.ok(m, server);
  const [, version, plan] = m;
  assert.equal(Number(plan), PLAN_VERSION);
  if (dcq) assert.equal(execFileSync(dcq, ['--version'], { encoding: 'utf8' }).trim(), `dcq ${version} (plan version ${plan})`);
  await withServer(bin, ['--demo'], async (s) => {
    assert.deepEqual(await (await fetch(`${s.url}/healthz`)).json(), { status: 'ok', version, planVersion: Number(plan) });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^dc_build_info\\{version="${version.replace(/\./g, '\\.')}",plan_version="${plan}"\\} 1$`, 'm'));
  });
});
