// The native kernels under Deno 2 (the real binary of the dev dependency `deno`): Deno loads
// Node-API addons, so the same build serves both runtimes; an rrm layer on it equals the JS kernels.
import t from 'tap';
import { nativeKernelStatus } from '../../src/kernels/native/native-backend.js';
import { denoMissing, runDeno } from '../helpers/deno.js';

const native = nativeKernelStatus();
const skip = denoMissing || (!native.available && `native kernels not built here: ${native.reason}`);

t.test('the native kernels load under Deno and agree with the JS kernels, on one and two threads', { skip }, async (t) => {
  const run = runDeno('test/deno/native-layer.ts');
  t.equal(run.status, 0, `deno exited cleanly: ${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  t.equal(result.status.available, true, `the addon loaded under Deno: ${JSON.stringify(result.status)}`);
  t.match(result.backend, /^native-/);
  t.ok(result.largestDifference < 1e-4, `native vs JS largest difference ${result.largestDifference}`);
  t.ok(result.largestDifferenceTwoThreads < 1e-4, `native (2 threads) vs JS largest difference ${result.largestDifferenceTwoThreads}`);
  t.equal(result.sparseFrames, 4, 'the delta frames took the sparse path');
});
