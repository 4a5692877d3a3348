// The TypeScript client as a user installs it: `npm pack`, installed into an
// empty folder (dependencies from npm's cache when they are there), the
// strict type tests compiled against the installed package, and the package
// imported by Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack of drizzle-convex-client installs into an empty folder and passes its strict type tests there', { timeout: 240000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-ts-pack-'));
  try {
    execFileSync(npm, ['run', '--silent', 'build', '-w', 'client/ts'], { cwd: root, stdio: 'pipe' });
    execFileSync(npm, ['pack', '-w', 'client/ts', '--pack-destination', dir, '--loglevel=error'], { cwd: root, stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
    const typescript = JSON.parse(execFileSync(npm, ['pkg', 'get', 'devDependencies.typescript', '-w', 'client/ts'], { cwd: root, encoding: 'utf8' }))['drizzle-convex-client'];
    const install = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `./${tarball}`, `typescript@${typescript}`],
      { cwd: dir, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    for (const f of ['types.ts', 'blog_schema.ts']) copyFileSync(join(root, 'client/ts/test', f), join(dir, f));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true },
      include: ['types.ts', 'blog_schema.ts'],
    }));
    const tsc = spawnSync(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    const run = spawnSync(process.execPath, ['--input-type=module', '-e',
      "import { connect, clientSchema, unset, DrizzleConvexError } from 'drizzle-convex-client'; " +
      "const s = clientSchema({ tables: { t: { documentType: { type: 'object', value: {} } } }, relations: {} }); " +
      "const db = connect({ url: 'http://127.0.0.1:1', schema: s }); " +
      "if (typeof db.query.t.findMany !== 'function' || typeof unset !== 'symbol' || typeof DrizzleConvexError !== 'function') process.exit(1);"],
      { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm pack of drizzle-convex-adapter carries its built dist/ (prepare builds it), so path and tarball installs import', { timeout: 120000 }, () => {
  const out = execFileSync(npm, ['pack', '-w', 'adapter', '--dry-run', '--json', '--loglevel=error'], { cwd: root, encoding: 'utf8' });
  const files = JSON.parse(out.slice(out.indexOf('[')))[0].files.map((f) => f.path);
  for (const f of ['dist/index.js', 'dist/read.js', 'dist/read_aggregate.js', 'src/index.ts', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the tarball (${files.length} files)`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.includes('node_modules')), 'tests and node_modules stay out');
});
