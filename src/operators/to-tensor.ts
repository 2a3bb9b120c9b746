import type { OperatorFunction } from 'rxjs';
import { assertFrame, RrmInputError } from '../layers/validate.js';
import type { FeatureMap, Frame } from '../types.js';
import { deriveMap, passStats } from '../layers/map-meta.js';
import { mapWithState } from './with-state.js';
import type { LayerEmission } from './options.js';
import { createFrameConverter, type FrameConverter } from '../kernels/frame-to-tensor.js';

export interface ToTensorOptions {
  /** Multiplies each byte first (default 1/255). */
  readonly scale?: number;
  /** Subtracted after scaling: one value, or one per channel (default 0). */
  readonly mean?: number | readonly number[];
  /** Divides last: one value, or one per channel (default 1). */
  readonly std?: number | readonly number[];
}

interface ToTensorState {
  lastFrame: Uint8Array | undefined;
  /** `width x height x channels` of the last frame: bytes are compared only under the same layout. */
  lastLayout: string | undefined;
  lastOutput: Float32Array | undefined;
  /** Scratch for the changed-pixel list, reused frame to frame (the emitted list is a copy of its used part). */
  changed: Int32Array | undefined;
  converter: FrameConverter;
}

/**
 * `Frame` (uint8 interleaved) to `FeatureMap` (float HWC): `value = (byte · scale − mean) / std`.
 * Also lists the pixels whose bytes changed since the previous frame, so that the first layer
 * looks only there.
 */
export function toTensor(options: ToTensorOptions = {}, emission: LayerEmission = {}): OperatorFunction<Frame, FeatureMap> {
  const scale = options.scale ?? 1 / 255;
  const name = 'toTensor';
  const perChannel = (value: number | readonly number[] | undefined, fallback: number, label: string) => {
    const list = value === undefined ? [fallback] : typeof value === 'number' ? [value] : [...value];
    if (list.length === 0 || !list.every(Number.isFinite)) throw new RrmInputError(`${name}: ${label} must be finite numbers, got ${JSON.stringify(value)}`);
    return list;
  };
  const mean = perChannel(options.mean, 0, 'mean');
  const std = perChannel(options.std, 1, 'std');
  if (std.some((s) => s === 0)) throw new RrmInputError(`${name}: std must not be 0`);
  if (!Number.isFinite(scale)) throw new RrmInputError(`${name}: scale must be finite, got ${scale}`);

  // 256 entries per channel: converting a byte is one load.
  const tables = (channels: number) => {
    const table = new Float32Array(256 * channels);
    for (let c = 0; c < channels; c++) {
      const m = mean.length === 1 ? mean[0]! : mean[c];
      const s = std.length === 1 ? std[0]! : std[c];
      if (m === undefined || s === undefined) {
        throw new RrmInputError(`${name}: mean/std have ${Math.max(mean.length, std.length)} values, the frame has ${channels} channels`);
      }
      for (let byte = 0; byte < 256; byte++) table[c * 256 + byte] = (byte * scale - m) / s;
    }
    if (table.some((v) => !Number.isFinite(v))) {
      throw new RrmInputError(`${name}: scale ${scale}, mean ${JSON.stringify(options.mean ?? 0)} and std ${JSON.stringify(options.std ?? 1)} map some bytes outside float32 range; expected finite values`);
    }
    return table;
  };
  const tableCache = new Map<number, Float32Array>();

  return mapWithState<ToTensorState, Frame, FeatureMap>(
    () => ({ lastFrame: undefined, lastLayout: undefined, lastOutput: undefined, changed: undefined, converter: createFrameConverter() }),
    (state, frame) => {
      const started = performance.now();
      assertFrame(name, frame);
      const { width, height, channels, data } = frame;
      let table = tableCache.get(channels);
      if (!table) tableCache.set(channels, (table = tables(channels)));
      const previous = state.lastFrame;
      // Equal byte counts are not enough: a 4x3 gray frame and a 2x2 RGB one both have 12 bytes, but
      // each byte's channel (and so its mean and std) differs. Any change of layout recomputes all.
      const layout = `${width}x${height}x${channels}`;
      const comparable = previous !== undefined && state.lastLayout === layout && !frame.keyframe;
      let output: Float32Array;
      let changed: Int32Array | undefined;
      let changedCount = 0;
      if (comparable) {
        if (state.changed?.length !== width * height) state.changed = new Int32Array(width * height);
        changed = state.changed;
        // Converted in place inside a fused operator; else into a copy (emitted maps never change),
        // and an identical frame gives the previous map again.
        output = emission.fused ? state.lastOutput! : state.lastOutput!.slice();
        changedCount = state.converter.convert(data, previous, output, table, channels, changed);
        if (changedCount === 0) output = state.lastOutput!;
      } else {
        output = emission.fused && state.lastOutput?.length === data.length ? state.lastOutput : new Float32Array(data.length);
        state.converter.convert(data, null, output, table, channels, null);
      }
      const since = state.lastOutput;
      state.lastFrame = data;
      state.lastLayout = layout;
      state.lastOutput = output;
      const meta = { index: frame.index, timestamp: frame.timestamp, streamId: frame.streamId, keyframe: frame.keyframe === true, stats: [] };
      return deriveMap(
        meta,
        output,
        height,
        width,
        channels,
        passStats(name, 'toTensor', comparable ? changedCount / (width * height) : 1, !comparable, started),
        // Inside a fused operator the list is read before the next frame overwrites it: no copy.
        comparable ? { since: since!, pixels: emission.fused ? changed!.subarray(0, changedCount) : changed!.slice(0, changedCount) } : undefined,
      );
    },
    (state) => state.converter.dispose(),
  );
}
