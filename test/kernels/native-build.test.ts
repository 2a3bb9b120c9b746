// The native build where no compiler works: npm install must still succeed (one line says the
// WebAssembly kernels will be used), unless RRM_REQUIRE_NATIVE=1 asks for the build to be required.
// Runs the build script on a copy of the addon's sources, with a C++ compiler that always fails.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/deno.js';

function buildWithoutCompiler(env: Record<string, string>) {
  const copy = mkdtempSync(join(tmpdir(), 'rx-rrm-native-build-'));
  cpSync(join(REPO_ROOT, 'binding.gyp'), join(copy, 'binding.gyp'));
  cpSync(join(REPO_ROOT, 'scripts/build-native.mjs'), join(copy, 'scripts/build-native.mjs'));
  cpSync(join(REPO_ROOT, 'src/kernels/native/addon'), join(copy, 'src/kernels/native/addon'), { recursive: true });
  const run = spawnSync(process.execPath, ['scripts/build-native.mjs'], { cwd: copy, encoding: 'utf8', env: { ...process.env, CXX: '/bin/false', CC: '/bin/false', ...env }, timeout: 120_000 });
  return { ...run, built: existsSync(join(copy, 'build/Release/rrm_native.node')) };
}

t.test('no working compiler: the install goes on, and says the WebAssembly kernels will be used', async (t) => {
  const run = buildWithoutCompiler({});
  t.equal(run.status, 0, run.stderr);
  t.notOk(run.built, 'nothing was built');
  t.match(run.stderr, /^build-native: native kernels not built \(.+\); rx-rrm will use the WebAssembly kernels/m);
});

t.test('RRM_REQUIRE_NATIVE=1 turns that into a failure (CI, where the build must work)', async (t) => {
  const run = buildWithoutCompiler({ RRM_REQUIRE_NATIVE: '1' });
  t.equal(run.status, 1);
  t.match(run.stderr, /native kernels not built/);
});
