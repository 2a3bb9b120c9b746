// The examples that make their own input, run as a user runs them, with what they print checked.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { sceneFrames } from '../../src/demo/scene.js';
import { REPO_ROOT, runExample } from '../helpers/examples.js';

const checks: Array<[string, string[], RegExp]> = [
  ['demo', [], /rx-rrm, exact \(τ = 0\)[\s\S]*max deviation\s+\d[\s\S]*activity plot/],
  ['custom-pipeline', [], /frames 50-59: scores .*; multiply-adds [\d.]+% of dense/],
  ['keyframes', [], /frame 0: keyframe[\s\S]*frame 60: keyframe/],
  ['websocket', ['--frames', '20'], /listening on ws:\/\/[\d.]+:\d+\/frames[\s\S]*stream 0:7 frame 19: rx-rrm did [\d.]+% of the dense multiply-adds[\s\S]*received 20 frames/],
];
for (const [name, args, output] of checks) {
  t.test(`example ${name}`, async (t) => {
    const result = runExample(name, args);
    t.equal(result.status, 0, `exit code (stderr: ${result.stderr.slice(-500)})`);
    t.match(result.stdout, output);
  });
}

t.test('example readable-stream: raw frames piped in, as from ffmpeg -f rawvideo', async (t) => {
  const raw = Buffer.concat([...sceneFrames({ width: 64, height: 48, frames: 20 })].map((f) => f.data));
  const result = runExample('readable-stream', ['--width', '64', '--height', '48'], raw);
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /frame 10 \(t=400 ms\): rx-rrm did [\d.]+% of the dense multiply-adds/);
  t.match(result.stdout, /20 frames of 64x48 from the stream/);
});

t.test("an example copied into an app: 'rx-rrm' resolves through package.json exports to the built dist/", async (t) => {
  const result = spawnSync(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', 'examples/custom-pipeline.ts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  t.equal(result.status, 0, result.stderr.slice(-500));
  t.match(result.stdout, /frames 50-59: scores/);
});
