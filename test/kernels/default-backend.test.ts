// The default backend is the fastest that loads, and says so in one line when it falls back.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { nativeKernelStatus } from '../../src/kernels/native/native-backend.js';
import { REPO_ROOT } from '../helpers/deno.js';

/** What a fresh process picks, with the environment given; its notices on stderr. */
function pick(env: Record<string, string>) {
  const script = "import { defaultBackend } from './src/kernels/default-backend.ts'; console.log(defaultBackend().name);";
  const run = spawnSync(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000,
  });
  return { name: run.stdout.trim().split('\n').at(-1), stderr: run.stderr, status: run.status };
}

t.test('native where the addon is built, without a notice', { skip: nativeKernelStatus().available ? false : 'native kernels not built here' }, async (t) => {
  const run = pick({});
  t.equal(run.status, 0, run.stderr);
  t.match(run.name, /^native-/);
  t.notMatch(run.stderr, /rx-rrm:/, 'no fallback notice');
});

t.test('without the addon: the WebAssembly kernels, with a one-line notice that says why', async (t) => {
  const run = pick({ RRM_NATIVE: '0' });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.name, 'wasm');
  const notices = run.stderr.split('\n').filter((line) => line.startsWith('rx-rrm:'));
  t.equal(notices.length, 1, 'one notice');
  t.match(notices[0], /native kernels unavailable \(disabled by RRM_NATIVE=0\); using the WebAssembly kernels/);
});
