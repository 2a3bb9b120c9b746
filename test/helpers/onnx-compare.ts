/** Runs an ONNX model through rx-rrm and through onnxruntime-node on the same maps, frame by frame. */
import { firstValueFrom, from, toArray } from 'rxjs';
import type { ModelOperatorOptions, ModelOutput } from '../../src/model/index.js';
import { modelFromBytes, type LoadOnnxOptions } from '../../src/model/model.js';
import type { FeatureMap } from '../../src/types.js';
import { hwcToNchwInput, referenceSession, relativeToMagnitude } from './onnx-runtime.js';

/** A sequence of HWC maps where each frame changes a few pixels of the previous one by small amounts. */
export function changingMaps(random: () => number, height: number, width: number, channels: number, count: number, changedFraction = 0.05): FeatureMap[] {
  let data = Float32Array.from({ length: height * width * channels }, () => random() * 2 - 1);
  return Array.from({ length: count }, (_, index) => {
    if (index > 0) {
      data = data.slice();
      const pixels = Math.max(1, Math.round(changedFraction * height * width));
      for (let k = 0; k < pixels; k++) {
        const p = Math.floor(random() * height * width);
        for (let c = 0; c < channels; c++) data[p * channels + c]! += (random() * 2 - 1) * 0.2;
      }
    }
    return { data, height, width, channels, index, timestamp: index * 40, keyframe: false, stats: [] };
  });
}

/**
 * Smooth frames (random values on a coarse grid, interpolated: the statistics real images and the
 * torch exports' BatchNorm calibration have), each after the first changing one small blob of
 * pixels: small local changes, so frames after the first take the delta path.
 */
export function smoothChangingMaps(random: () => number, height: number, width: number, channels: number, count: number, blob = 3): FeatureMap[] {
  const grid = 8;
  const coarse = Float32Array.from({ length: grid * grid * channels }, () => random() * 2 - 1);
  let data = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const fy = (y / Math.max(1, height - 1)) * (grid - 1);
    const y0 = Math.min(grid - 2, Math.floor(fy));
    for (let x = 0; x < width; x++) {
      const fx = (x / Math.max(1, width - 1)) * (grid - 1);
      const x0 = Math.min(grid - 2, Math.floor(fx));
      for (let c = 0; c < channels; c++) {
        const at = (yy: number, xx: number) => coarse[(yy * grid + xx) * channels + c]!;
        const top = at(y0, x0) + (fx - x0) * (at(y0, x0 + 1) - at(y0, x0));
        const bottom = at(y0 + 1, x0) + (fx - x0) * (at(y0 + 1, x0 + 1) - at(y0 + 1, x0));
        data[(y * width + x) * channels + c] = top + (fy - y0) * (bottom - top);
      }
    }
  }
  return Array.from({ length: count }, (_, index) => {
    if (index > 0) {
      data = data.slice();
      const top = Math.floor(random() * Math.max(1, height - blob));
      const left = Math.floor(random() * Math.max(1, width - blob));
      for (let y = top; y < Math.min(height, top + blob); y++) {
        for (let x = left; x < Math.min(width, left + blob); x++) {
          for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c]! += (random() * 2 - 1) * 0.3;
        }
      }
    }
    return { data, height, width, channels, index, timestamp: index * 40, keyframe: false, stats: [] };
  });
}

export interface Comparison {
  /** Per output name: the largest per-frame error relative to the output's magnitude. */
  readonly worst: Record<string, number>;
  readonly outputs: ModelOutput[];
}

export async function compareWithRuntime(
  model: Uint8Array,
  maps: readonly FeatureMap[],
  options: ModelOperatorOptions = {},
  loadOptions: LoadOnnxOptions = {},
): Promise<Comparison> {
  const outputs = await firstValueFrom(from(maps).pipe(modelFromBytes(model, loadOptions).operator(options), toArray()));
  const session = await referenceSession(model);
  const worst: Record<string, number> = {};
  try {
    for (let k = 0; k < maps.length; k++) {
      const map = maps[k]!;
      const expected = await session.run(hwcToNchwInput(map.data, map.height, map.width, map.channels));
      for (const [name, tensor] of Object.entries(expected)) {
        const actual = outputs[k]!.outputs[name];
        if (!actual || actual.dims.join() !== tensor.dims.join()) {
          throw new Error(`frame ${k}: output '${name}' has dims [${actual?.dims}], onnxruntime gives [${tensor.dims}]`);
        }
        worst[name] = Math.max(worst[name] ?? 0, relativeToMagnitude(actual.data, tensor.data));
      }
    }
  } finally {
    await session.release();
  }
  return { worst, outputs };
}
