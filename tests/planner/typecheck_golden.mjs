#!/usr/bin/env node
// The plan contract, checked from both sides: every golden plan the C++
// planner writes (tests/planner/golden, compared byte for byte by the unit
// tests) must type-check against the adapter's plan types (adapter/src/plan.ts),
// and a plan broken in a way the types forbid must not.
//
//   node tests/planner/typecheck_golden.mjs
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenDir = join(root, 'tests/planner/golden');
const outDir = join(root, 'build/plan-types');
mkdirSync(outDir, { recursive: true });
const planTs = relative(outDir, join(root, 'adapter/src/plan.js')).replaceAll('\\', '/');
const tsc = createRequire(join(root, 'adapter/package.json')).resolve('typescript/bin/tsc');

function check(name, plans) {
  const file = join(outDir, `${name}.ts`);
  const body = plans.map(([id, plan]) => `export const ${id} = ${JSON.stringify(plan, null, 1)} satisfies ReadPlan;\n`).join('\n');
  writeFileSync(file, `import type { ReadPlan } from "${planTs}";\n\n${body}`);
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'ESNext',
    '--moduleResolution', 'Bundler', '--skipLibCheck', file], { encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() };
}

const goldens = readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => [f.replace(/\.json$/, '').replace(/[^A-Za-z0-9_]/g, '_'), JSON.parse(readFileSync(join(goldenDir, f), 'utf8'))]);
let failed = 0;
const good = check('goldens', goldens);
if (good.ok) console.log(`ok - ${goldens.length} golden plans type-check against adapter/src/plan.ts`);
else { failed++; console.log(`not ok - golden plans do not type-check:\n${good.out}`); }

// Each break must be caught, or the check above proves nothing.
const base = goldens[0][1];
const broken = [
  ['wrong_source_type', (p) => { p.root.access.source.type = 'indx'; }],
  ['old_plan_version', (p) => { p.planVersion = 2; }],
  ['order_source_unknown', (p) => { p.root.access.order.source = 'sorted'; }],
  ['estimate_basis_unknown', (p) => { p.root.access.estimate.basis = 'measured'; }],
  ['unknown_operator', (p) => { p.root.access.postFilter = { field: 'x', op: 'approx', value: 1 }; }],
];
for (const [id, breakIt] of broken) {
  const plan = structuredClone(base);
  breakIt(plan);
  const r = check(`broken_${id}`, [[id, plan]]);
  if (!r.ok) console.log(`ok - a plan with ${id.replaceAll('_', ' ')} is refused by the types`);
  else { failed++; console.log(`not ok - a plan with ${id.replaceAll('_', ' ')} type-checks`); }
}
const total = 1 + broken.length;
console.log(`plan_types: ${total - failed} passed, ${failed} failed, 0 skipped`);
process.exit(failed ? 1 : 0);
