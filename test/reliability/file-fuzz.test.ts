// Damaged files of every kind rx-rrm reads besides video: Y4M streams, PNG/JPEG images (with
// image bombs among them) and ONNX models (bytes, attributes, dims, names, ops). Each case runs in a
// worker with a time limit and must end in a result or a clean error: one of rx-rrm's own errors
// saying what was wrong, not a TypeError or RangeError from inside, never a hang.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { backendsUnderTest } from '../helpers/backends.js';
import { prng } from '../helpers/random.js';
import { tempDir } from '../sources/helpers.js';
import { damagedImage, damagedModel, damagedY4M, validModel } from './file-mutations.js';
import { CaseRunner } from './worker-pool.js';
import { LONG, SCALE } from './scale.js';
import type { WorkerCase } from './case-worker.js';

const dir = tempDir(t);
const CASE_LIMIT_MS = 15_000;
const counts = () => ({ ok: 0, refused: 0, unclean: 0, hang: 0 });

async function fuzz(t: Test, label: string, cases: number, make: (k: number) => { job: WorkerCase; what: string }): Promise<void> {
  const runner = new CaseRunner();
  const tally = counts();
  const problems: string[] = [];
  for (let k = 0; k < cases; k++) {
    const { job, what } = make(k);
    const reply = await runner.run(job, k === 0 ? 60_000 : CASE_LIMIT_MS);
    tally[reply.outcome]++;
    if (reply.outcome === 'unclean' || reply.outcome === 'hang') problems.push(`case ${k} (${what}): ${reply.outcome}: ${reply.detail.slice(0, 400)}`);
  }
  await runner.close();
  t.same(problems.slice(0, 5), [], `${problems.length} unclean or hung cases`);
  t.comment(`${label}: ${cases} cases: ${tally.ok} read, ${tally.refused} clean errors, ${tally.unclean} unclean, ${tally.hang} hangs`);
}

t.test(`${SCALE.fileCases} damaged Y4M streams`, { timeout: LONG ? 3_600_000 : 300_000 }, async (t) => {
  const random = prng(401);
  await fuzz(t, 'Y4M', SCALE.fileCases, () => {
    const { bytes, what } = damagedY4M(random);
    return { job: { kind: 'y4m', bytes }, what };
  });
});

t.test(`${SCALE.fileCases} damaged PNG and JPEG images and bombs, both decoders`, { timeout: LONG ? 3_600_000 : 300_000 }, async (t) => {
  const random = prng(402);
  await fuzz(t, 'images', SCALE.fileCases, (k) => {
    const { bytes, what } = damagedImage(random);
    const path = join(dir, `image-${k}${what.startsWith('png') ? '.png' : '.jpg'}`);
    writeFileSync(path, bytes);
    const decoder = k % 2 === 0 ? 'pure-js' : 'sharp';
    return { job: { kind: 'image', path, decoder }, what: `${what}, ${decoder}` };
  });
});

t.test(`${SCALE.fileCases} mutated ONNX models, loaded and run on every backend`, { timeout: LONG ? 3_600_000 : 300_000 }, async (t) => {
  const random = prng(403);
  const base = validModel();
  await fuzz(t, 'ONNX models', SCALE.fileCases, (k) => {
    const { bytes, what } = damagedModel(random, base);
    const labels = backendsUnderTest().available.map((b) => b.label);
    const backend = labels[k % labels.length]!;
    return { job: { kind: 'onnx', model: bytes, backend, seed: k }, what: `${what} on ${backend}` };
  });
});


