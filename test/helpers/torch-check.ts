/**
 * Running a PyTorch export (./torch-models.ts) through rx-rrm and onnxruntime-node on the same frames
 * and comparing every output at τ = 0: the check the torch-models-*.test.ts files run per backend.
 */
import { firstValueFrom, from, toArray } from 'rxjs';
import type { Test } from 'tap';
import type { KernelBackend } from '../../src/kernels/backend.js';
import { jsBackend } from '../../src/kernels/js/js-backend.js';
import { createNativeBackend, nativeKernelStatus } from '../../src/kernels/native/native-backend.js';
import { createWasmBackend, wasmKernelStatus } from '../../src/kernels/wasm/wasm-backend.js';
import { modelFromBytes } from '../../src/model/model.js';
import type { FeatureMap } from '../../src/types.js';
import { smoothChangingMaps } from './onnx-compare.js';
import { hwcToNchwInput, referenceSession, relativeToMagnitude, type ReferenceTensor } from './onnx-runtime.js';
import { prng } from './random.js';
import { torchExportPath, type TorchExport } from './torch-models.js';
import { readFileSync } from 'node:fs';

const TOLERANCE = 1e-4;
const FRAMES = 6;

interface BackendChoice {
  readonly label: string;
  readonly backend: KernelBackend | undefined;
  readonly skip: string | false;
}

const native = nativeKernelStatus();
const wasm = wasmKernelStatus();
export const BACKENDS: Record<'native' | 'wasm' | 'js', BackendChoice> = {
  native: { label: 'native', backend: native.available ? createNativeBackend() : undefined, skip: native.available ? false : `the native kernels do not load here: ${native.reason}` },
  wasm: { label: 'wasm', backend: wasm.available ? createWasmBackend() : undefined, skip: wasm.available ? false : `WebAssembly SIMD is unavailable: ${wasm.reason}` },
  js: { label: 'js', backend: jsBackend, skip: false },
};

/** onnxruntime's outputs for each map, computed once per export and shared by the backends. */
const references = new Map<string, Promise<Record<string, ReferenceTensor>[]>>();
function reference(file: string, bytes: Uint8Array, maps: readonly FeatureMap[]): Promise<Record<string, ReferenceTensor>[]> {
  let result = references.get(file);
  if (!result) {
    result = (async () => {
      const session = await referenceSession(bytes);
      try {
        const out: Record<string, ReferenceTensor>[] = [];
        for (const m of maps) out.push(await session.run(hwcToNchwInput(m.data, m.height, m.width, m.channels)));
        return out;
      } finally {
        await session.release();
      }
    })();
    references.set(file, result);
  }
  return result;
}

/** Frames for an export: at its export size; a dynamic one switches to a second size halfway. */
function framesFor(e: TorchExport): FeatureMap[] {
  const random = prng(e.height * 1000 + e.width);
  if (!e.dynamic) return smoothChangingMaps(random, e.height, e.width, 3, FRAMES);
  const other = smoothChangingMaps(random, e.height + 32, e.width - 32, 3, FRAMES / 2);
  return [...smoothChangingMaps(random, e.height, e.width, 3, FRAMES / 2), ...other].map((m, index) => ({ ...m, index, timestamp: index * 40 }));
}

export async function checkExport(t: Test, e: TorchExport, choice: BackendChoice): Promise<void> {
  const bytes = readFileSync(torchExportPath(e.file));
  const started = performance.now();
  const model = modelFromBytes(bytes);
  const maps = framesFor(e);
  const expected = await reference(e.file, bytes, maps);
  const outputs = await firstValueFrom(from(maps).pipe(model.operator({ backend: choice.backend! }), toArray()));
  const label = `${e.file} (${choice.label})`;
  for (const name of e.outputs) {
    let worst = 0;
    outputs.forEach((o, k) => {
      const ours = o.outputs[name];
      const theirs = expected[k]![name]!;
      if (!ours || ours.dims.join() !== theirs.dims.join()) throw new Error(`${label} frame ${k}: '${name}' has dims [${ours?.dims}], onnxruntime [${theirs.dims}]`);
      worst = Math.max(worst, relativeToMagnitude(ours.data, theirs.data));
    });
    t.ok(worst <= TOLERANCE, `${label}: '${name}' equals onnxruntime's on ${FRAMES} frames within ${TOLERANCE} of its magnitude (worst ${worst.toExponential(2)})`);
  }
  if (!e.dynamic) t.ok(model.outputs.every((o) => o.dims.every((d) => d !== undefined)), `${label}: every output's shape is known at load (shape arithmetic folded)`);
  const deltaFrames = outputs.slice(1).filter((o) => o.stats.some((s) => s.kind === 'conv' && !s.dense)).length;
  t.ok(deltaFrames >= (e.dynamic ? FRAMES - 2 : FRAMES - 1), `${label}: ${deltaFrames} frames after the first ran sparse conv updates`);
  t.comment(`${label}: ${(performance.now() - started).toFixed(0)} ms`);
}

