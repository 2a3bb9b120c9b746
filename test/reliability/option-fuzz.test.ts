// Operator option fuzz on every backend: seeded good, edge and nonsense options for conv, fully
// connected, pooling and activations, each case run in a worker with a time limit (a hang fails the
// test and the worker is replaced). Every case must end with finite outputs or an RrmInputError.
import t from 'tap';
import { backendsUnderTest } from '../helpers/backends.js';
import { CaseRunner } from './worker-pool.js';
import { LONG, SCALE } from './scale.js';

const CASE_LIMIT_MS = 10_000;
// One worker for every backend (each case names its own): starting a worker costs seconds. A hang
// replaces it, and the next case starts a fresh one.
const runner = new CaseRunner();
t.teardown(() => runner.close());

for (const { label: name } of backendsUnderTest().available) {
  t.test(`${name}: ${SCALE.optionCases} random option sets end in outputs or an RrmInputError, none hangs`, { timeout: LONG ? 3_600_000 : 300_000 }, async (t) => {
    const counts = { ok: 0, refused: 0, unclean: 0, hang: 0 };
    const problems: string[] = [];
    for (let seed = 1; seed <= SCALE.optionCases; seed++) {
      // The first case also starts the worker (and compiles the kernels): a longer limit.
      const reply = await runner.run({ kind: 'option', seed, backend: name }, seed === 1 ? 60_000 : CASE_LIMIT_MS);
      counts[reply.outcome]++;
      if (reply.outcome === 'unclean' || reply.outcome === 'hang') problems.push(`seed ${seed}: ${reply.outcome}: ${reply.detail.slice(0, 400)}`);
    }
    t.same(problems.slice(0, 5), [], `${problems.length} unclean or hung cases`);
    t.comment(`option fuzz on ${name}: ${SCALE.optionCases} cases: ${counts.ok} computed, ${counts.refused} refused with RrmInputError, ${counts.unclean} unclean, ${counts.hang} hangs`);
  });
}
