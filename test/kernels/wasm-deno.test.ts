// The wasm backend on Deno 2 (the real binary of the dev dependency `deno`): it loads, an rrm layer
// on it computes what the plain-JS backend computes, on one thread and with the helper thread.
import t from 'tap';
import { denoMissing, runDeno } from '../helpers/deno.js';

t.test('the wasm kernels load and agree with the JS kernels under Deno', { skip: denoMissing }, async (t) => {
  const run = runDeno('test/deno/wasm-layer.ts');
  t.equal(run.status, 0, `deno exited cleanly: ${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  t.equal(result.status.available, true, 'the wasm module loaded');
  t.equal(result.backend, 'wasm');
  t.ok(result.largestDifference < 1e-4, `wasm vs JS largest difference ${result.largestDifference}`);
  t.equal(result.sparseFrames, 4, 'the delta frames took the sparse path');
});

t.test('two threads under Deno: the worker over the shared wasm memory takes jobs and the result equals the JS kernels', { skip: denoMissing }, async (t) => {
  const run = runDeno('test/deno/two-threads.ts');
  t.equal(run.status, 0, `deno exited cleanly: ${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  t.equal(result.frames, 4);
  t.ok(result.workerJobs >= 4, `the worker took ${result.workerJobs} jobs (one per dense conv at least)`);
  t.ok(result.largestDifference < 1e-4, `wasm (2 threads) vs JS largest difference ${result.largestDifference}`);
});
