/** onnxruntime-node as the independent reference: runs a model on one NCHW input, returns every output. */
import * as ort from 'onnxruntime-node';
import { hwcToNchw } from '../../src/model/layout.js';

export interface ReferenceTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface ReferenceSession {
  readonly inputName: string;
  run(input: ReferenceTensor, extra?: Readonly<Record<string, ReferenceTensor>>): Promise<Record<string, ReferenceTensor>>;
  release(): Promise<void>;
}

export async function referenceSession(model: Uint8Array | string, threads = 1): Promise<ReferenceSession> {
  const session = await ort.InferenceSession.create(model as never, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const inputName = session.inputNames[0]!;
  return {
    inputName,
    async run(input, extra = {}) {
      const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('float32', input.data, [...input.dims]) };
      for (const [name, t] of Object.entries(extra)) feeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
      const results = await session.run(feeds);
      const out: Record<string, ReferenceTensor> = {};
      // Integer outputs (indices, shapes) arrive as BigInt64Array: compared as numbers.
      for (const [name, t] of Object.entries(results)) out[name] = { dims: t.dims.map(Number), data: Float32Array.from(t.data as ArrayLike<number | bigint>, Number) };
      return out;
    },
    release: () => session.release(),
  };
}

/** HWC map data to NCHW [1, C, H, W] for onnxruntime (a wrong reorder would show as a mismatch). */
export function hwcToNchwInput(data: Float32Array, height: number, width: number, channels: number): ReferenceTensor {
  return { dims: [1, channels, height, width], data: hwcToNchw(data, height, width, channels) };
}

/** Largest |a − b| divided by the largest |b| (the output's magnitude, floored at 1e-6). */
export function relativeToMagnitude(actual: Float32Array, expected: Float32Array): number {
  let maxDiff = 0;
  let magnitude = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    magnitude = Math.max(magnitude, Math.abs(expected[i]!));
  }
  return maxDiff / Math.max(magnitude, 1e-6);
}
