// Every example runs, as a user would run it (`npm run example -- <name>`), so that none rots.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import t from 'tap';

const root = new URL('../', import.meta.url);
/** What each example must print; a new example without an entry here fails the test. */
const expectations: Record<string, { output: RegExp; args?: string[]; needsSharedData?: boolean }> = {
  demo: { output: /rx-rrm, exact \(τ = 0\)[\s\S]*max deviation\s+\d[\s\S]*activity plot/ },
  'custom-pipeline': { output: /frames 50-59: scores .*; multiply-adds [\d.]+% of dense/ },
  keyframes: { output: /frame 0: keyframe[\s\S]*frame 60: keyframe/ },
  // Needs ../shared/data (real model and clip); prints the faces of each frame.
  'face-detection': { output: /frame 9: \d+ faces?[\s\S]*10 frames: rx-rrm [\d.]+ ms\/frame, dense path [\d.]+ ms\/frame, speed-up [\d.]+x/, args: ['--frames', '10'], needsSharedData: true },
};

// Covered by test/sources/examples.test.ts: they need a generated clip or a second process.
const coveredElsewhere = new Set(['video-stats', 'socket-sender', 'socket-receiver']);

for (const file of readdirSync(new URL('examples/', root)).filter((f) => f.endsWith('.ts') && !coveredElsewhere.has(f.slice(0, -3)))) {
  const name = file.slice(0, -3);
  const expected = expectations[name];
  const skip = expected?.needsSharedData && !existsSync(new URL('../shared/data/models', root)) ? '../shared/data (real models and videos) is not here' : false;
  t.test(`example ${name}`, { skip }, async (t) => {
    if (!expected) return t.fail(`examples/${file} has no expectation in test/examples.test.ts`);
    const result = spawnSync(process.execPath, ['scripts/run-example.mjs', name, ...(expected.args ?? [])], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    });
    t.equal(result.status, 0, `exit code (stderr: ${result.stderr.slice(-500)})`);
    t.match(result.stdout, expected.output);
  });
}
