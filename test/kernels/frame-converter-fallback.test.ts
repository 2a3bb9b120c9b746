// Without the native addon, toTensor converts frames on the wasm kernels (src/kernels/wasm/frame-converter.ts).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { typescriptLoaderArgs } from '../helpers/ts-child.js';

t.test('without the addon, toTensor converts in WebAssembly: every map and change hint as the naive conversion gives them', async (t) => {
  const script = fileURLToPath(new URL('../helpers/to-tensor-streams.ts', import.meta.url));
  const run = spawnSync(process.execPath, [...typescriptLoaderArgs(), script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', env: { ...process.env, RRM_NATIVE: '0' }, timeout: 120_000,
  });
  t.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { converter: string; frames: number; mismatches: number; hintMismatches: number };
  t.equal(result.converter, 'WasmFrameConverter', 'the wasm converter is the one used');
  t.equal(result.mismatches, 0, `every value of the ${result.frames} maps, fused and not (moving block, noise, a repeated frame, a keyframe, two size changes)`);
  t.equal(result.hintMismatches, 0, 'every change hint lists exactly the pixels whose bytes changed');
});
