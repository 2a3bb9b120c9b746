import type { OperatorFunction } from 'rxjs';
import { assertFrame, RrmInputError } from '../layers/validate.js';
import type { FeatureMap, Frame } from '../types.js';
import { deriveMap, passStats } from '../layers/map-meta.js';
import { mapWithState } from './with-state.js';

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
}

/**
 * `Frame` (uint8 interleaved) to `FeatureMap` (float HWC): `value = (byte · scale − mean) / std`.
 * Also lists the pixels whose bytes changed since the previous frame, so that the first layer
 * looks only there.
 */
export function toTensor(options: ToTensorOptions = {}): OperatorFunction<Frame, FeatureMap> {
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

  // A 256-entry table per channel: converting a byte is one load.
  const tables = (channels: number) =>
    Array.from({ length: channels }, (_, c) => {
      const m = mean.length === 1 ? mean[0]! : mean[c];
      const s = std.length === 1 ? std[0]! : std[c];
      if (m === undefined || s === undefined) {
        throw new RrmInputError(`${name}: mean/std have ${Math.max(mean.length, std.length)} values, the frame has ${channels} channels`);
      }
      const table = Float32Array.from({ length: 256 }, (_, byte) => (byte * scale - m) / s);
      if (table.some((v) => !Number.isFinite(v))) {
        throw new RrmInputError(`${name}: scale ${scale}, mean ${m} and std ${s} map some bytes of channel ${c} outside float32 range; expected finite values`);
      }
      return table;
    });
  const tableCache = new Map<number, Float32Array[]>();

  return mapWithState<ToTensorState, Frame, FeatureMap>(
    () => ({ lastFrame: undefined, lastLayout: undefined, lastOutput: undefined, changed: undefined }),
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
        changedCount = changedPixels(data, previous, channels, changed);
        // An identical frame gives the previous map again: emitted maps are never mutated, so share it.
        output = changedCount === 0 ? state.lastOutput! : state.lastOutput!.slice();
        for (let k = 0; k < changedCount; k++) {
          const i = changed[k]! * channels;
          for (let c = 0; c < channels; c++) output[i + c] = table[c]![data[i + c]!]!;
        }
      } else {
        output = new Float32Array(data.length);
        for (let i = 0; i < data.length; i += channels) {
          for (let c = 0; c < channels; c++) output[i + c] = table[c]![data[i + c]!]!;
        }
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
        comparable ? { since: since!, pixels: changed!.slice(0, changedCount) } : undefined,
      );
    },
  );
}

/**
 * Writes to `changed` the pixels where any byte differs, in increasing order, and returns their
 * count. Compares four bytes at a time where both arrays allow 32-bit views: a static camera's
 * frames are mostly equal, and one word compare per four bytes is what most of the frame costs.
 */
export function changedPixels(data: Uint8Array, previous: Uint8Array, channels: number, changed: Int32Array): number {
  let count = 0;
  const mark = (byteIndex: number) => {
    const pixel = (byteIndex / channels) | 0;
    if (count === 0 || changed[count - 1] !== pixel) changed[count++] = pixel;
  };
  let start = 0;
  if (data.byteOffset % 4 === 0 && previous.byteOffset % 4 === 0) {
    const words = data.length >>> 2;
    const now = new Uint32Array(data.buffer, data.byteOffset, words);
    const before = new Uint32Array(previous.buffer, previous.byteOffset, words);
    for (let w = 0; w < words; w++) {
      if (now[w] === before[w]) continue;
      for (let b = w * 4; b < w * 4 + 4; b++) if (data[b] !== previous[b]) mark(b);
    }
    start = words * 4;
  }
  for (let b = start; b < data.length; b++) if (data[b] !== previous[b]) mark(b);
  return count;
}
