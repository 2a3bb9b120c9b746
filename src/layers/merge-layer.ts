/**
 * Layers of several maps whose output pixel depends on the same pixel of every input: channel
 * concatenation, and element-wise arithmetic of two maps (residual Add, squeeze-excite gating Mul)
 * with ONNX broadcasting of a 1x1 map over the other. On the delta path an output pixel is
 * recomputed when it changed in any input (a changed 1x1 map changes every output pixel), and the
 * union is passed on as the change hint.
 */
import { clearTouched, createTouchedPixels, type TouchedPixels } from '../kernels/touched-pixels.js';
import type { FeatureMap } from '../types.js';
import { deriveMap, passStats } from './map-meta.js';
import { touch } from './pixel-map-layer.js';
import { assertFeatureMap, RrmInputError } from './validate.js';

export interface MergedShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface MergeDefinition {
  /** The output shape of these inputs; throws an `RrmInputError` for inputs that do not combine. */
  shape(maps: readonly FeatureMap[], name: string): MergedShape;
  /** Writes the listed output pixels (all when `pixels` is null). */
  compute(maps: readonly FeatureMap[], shape: MergedShape, output: Float32Array, pixels: Int32Array | null, count: number): void;
}

interface MergeState {
  lastInputs: (Float32Array | undefined)[];
  lastOutput: Float32Array | undefined;
  touched: TouchedPixels | undefined;
}

export class MergeLayer {
  constructor(
    readonly name: string,
    readonly kind: string,
    private readonly definition: MergeDefinition,
    /** Update one output buffer in place (fused graphs only). */
    readonly reuseOutput = false,
  ) {}

  createState(): MergeState {
    return { lastInputs: [], lastOutput: undefined, touched: undefined };
  }

  /** `meta` gives the output's frame identity (index, time, keyframe); its stats are the output's stats before this layer's. */
  step(state: MergeState, maps: readonly FeatureMap[], meta: Pick<FeatureMap, 'index' | 'timestamp' | 'streamId' | 'keyframe' | 'stats'>): FeatureMap {
    const started = performance.now();
    maps.forEach((m) => assertFeatureMap(this.name, m));
    const shape = this.definition.shape(maps, this.name);
    const outPixels = shape.height * shape.width;
    const length = outPixels * shape.channels;
    if (state.touched?.marks.length !== outPixels) {
      state.touched = createTouchedPixels(outPixels);
      state.lastOutput = undefined;
    }
    const changed = meta.keyframe || state.lastOutput?.length !== length ? null : this.changedPixels(state, maps, shape, state.touched);
    let output: Float32Array;
    if (changed) {
      output = changed.length === 0 || this.reuseOutput ? state.lastOutput! : state.lastOutput!.slice();
      this.definition.compute(maps, shape, output, changed, changed.length);
    } else {
      output = this.reuseOutput && state.lastOutput?.length === length ? state.lastOutput : new Float32Array(length);
      this.definition.compute(maps, shape, output, null, 0);
    }
    const since = state.lastOutput;
    state.lastInputs = maps.map((m) => m.data);
    state.lastOutput = output;
    return deriveMap(
      meta, output, shape.height, shape.width, shape.channels,
      passStats(this.name, this.kind, changed ? changed.length / outPixels : 1, !changed, started),
      changed ? { since: since!, pixels: changed } : undefined,
      !changed && maps.some((m) => m.dense === true),
    );
  }

  /** The union of the inputs' changed pixels, or null when some input's changes are unknown or reach everything. */
  private changedPixels(state: MergeState, maps: readonly FeatureMap[], shape: MergedShape, touched: TouchedPixels): Int32Array | null {
    clearTouched(touched);
    for (let k = 0; k < maps.length; k++) {
      const map = maps[k]!;
      const changes = map.changes;
      if (!changes || changes.since !== state.lastInputs[k]) return null;
      if (changes.pixels.length === 0) continue;
      if (map.height !== shape.height || map.width !== shape.width) return null; // a broadcast map that changed
      for (let i = 0; i < changes.pixels.length; i++) touch(touched, changes.pixels[i]!);
    }
    return touched.list.slice(0, touched.count);
  }
}

/** Channel concatenation of maps of one height and width. */
export const CONCAT_CHANNELS: MergeDefinition = {
  shape(maps, name) {
    const first = maps[0]!;
    maps.forEach((m, k) => {
      if (m.height !== first.height || m.width !== first.width) throw new RrmInputError(`${name}: input ${k} is ${m.height}x${m.width}, expected ${first.height}x${first.width} like input 0`);
    });
    return { height: first.height, width: first.width, channels: maps.reduce((n, m) => n + m.channels, 0) };
  },
  compute(maps, shape, output, pixels, count) {
    const copyPixel = (p: number) => {
      let target = p * shape.channels;
      for (const m of maps) {
        const source = p * m.channels;
        for (let c = 0; c < m.channels; c++) output[target + c] = m.data[source + c]!;
        target += m.channels;
      }
    };
    if (pixels === null) for (let p = 0; p < shape.height * shape.width; p++) copyPixel(p);
    else for (let k = 0; k < count; k++) copyPixel(pixels[k]!);
  },
};

/**
 * `f(a, b)` over two maps whose height, width and channels each match or are 1 (ONNX broadcasting
 * of `[1, C, H, W]`); undefined shape when they do not broadcast.
 */
export function broadcastPair(f: (x: number, y: number) => number): MergeDefinition {
  const pick = (x: number, y: number) => (x === y || y === 1 ? x : x === 1 ? y : -1);
  return {
    shape([a, b], name) {
      const shape = { height: pick(a!.height, b!.height), width: pick(a!.width, b!.width), channels: pick(a!.channels, b!.channels) };
      if (shape.height < 0 || shape.width < 0 || shape.channels < 0) {
        throw new RrmInputError(`${name}: cannot broadcast a ${a!.height}x${a!.width}x${a!.channels} map with a ${b!.height}x${b!.width}x${b!.channels} map`);
      }
      return shape;
    },
    compute([a, b], shape, output, pixels, count) {
      const { width, channels } = shape;
      const pixelOf = (m: FeatureMap, y: number, x: number) => ((m.height === 1 ? 0 : y) * m.width + (m.width === 1 ? 0 : x)) * m.channels;
      const computePixel = (p: number) => {
        const y = (p / width) | 0;
        const x = p - y * width;
        const pa = pixelOf(a!, y, x);
        const pb = pixelOf(b!, y, x);
        const sa = a!.channels === 1 ? 0 : 1;
        const sb = b!.channels === 1 ? 0 : 1;
        for (let c = 0, i = p * channels; c < channels; c++, i++) output[i] = f(a!.data[pa + c * sa]!, b!.data[pb + c * sb]!);
      };
      if (pixels === null) for (let p = 0; p < shape.height * width; p++) computePixel(p);
      else for (let k = 0; k < count; k++) computePixel(pixels[k]!);
    },
  };
}
