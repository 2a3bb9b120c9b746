import { clearTouched, createTouchedPixels, type TouchedPixels } from '../kernels/touched-pixels.js';
import { resolveWindow, type Padding, type WindowGeometry } from '../kernels/geometry.js';
import { poolPixels, type PoolShape } from '../kernels/pool.js';
import { validatePoolGeometry } from '../kernels/validate-geometry.js';
import { isWindowOptionProblem, windowPadding, windowPair } from './window-options.js';
import type { Layer } from './layer.js';
import { assertFeatureMap, nonFiniteMapError, RrmInputError } from './validate.js';
import type { FeatureMap } from '../types.js';
import { deriveMap, passStats } from './map-meta.js';

interface PoolState {
  shape: PoolShape | undefined;
  window: WindowGeometry | undefined;
  touched: TouchedPixels | undefined;
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
}

export interface PoolConfig {
  readonly kind: 'max' | 'avg';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: Padding;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  /** Update one output buffer in place (see `RrmLayerConfig.reuseOutput`: fused graphs only). */
  readonly reuseOutput?: boolean;
  /** Largest output (values) accepted for an input size, checked before allocating it; default 2^26. */
  readonly maxTensorElements?: number;
}

/**
 * Max or average pooling. When the input says which pixels changed, only the output windows that
 * contain one of them are recomputed, and their list is passed on.
 */
export class PoolLayer implements Layer<PoolState> {
  constructor(
    readonly name: string,
    readonly config: PoolConfig,
  ) {
    const checked = [
      ['kernel', windowPair(config.kernel)],
      ['stride', windowPair(config.stride)],
      ['dilation', windowPair(config.dilation)],
      ['padding', windowPadding(config.padding)],
    ] as const;
    for (const [label, result] of checked) {
      if (isWindowOptionProblem(result)) throw new RrmInputError(`${name}: ${label} ${result.problem}`);
    }
    if (config.kind !== 'max' && config.kind !== 'avg') throw new RrmInputError(`${name}: kind must be 'max' or 'avg', got ${String(config.kind)}`);
  }

  createState(): PoolState {
    return { shape: undefined, window: undefined, touched: undefined, lastInput: undefined, lastOutput: undefined };
  }

  step(state: PoolState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    const { name } = this;
    const { kind, kernel, stride, dilation, padding, ceilMode, countIncludePad } = this.config;
    assertFeatureMap(name, map);
    let { shape, window } = state;
    if (!shape || shape.height !== map.height || shape.width !== map.width || shape.channels !== map.channels) {
      shape = { height: map.height, width: map.width, channels: map.channels, kernel, stride, dilation };
      window = resolveWindow(map.height, map.width, { kernel, stride, dilation, padding, ceilMode });
      if (window.outHeight <= 0 || window.outWidth <= 0) {
        throw new RrmInputError(`${name}: input ${map.height}x${map.width} is smaller than the ${kernel.join('x')} window`);
      }
      try {
        validatePoolGeometry({ ...shape, window }, this.config.maxTensorElements === undefined ? {} : { maxTensorElements: this.config.maxTensorElements });
      } catch (error) {
        if (error instanceof RangeError) throw new RrmInputError(`${name}: input ${map.height}x${map.width}x${map.channels} with padding ${JSON.stringify(padding)}: ${error.message}`);
        throw error;
      }
      state.shape = shape;
      state.window = window;
      state.touched = createTouchedPixels(window.outHeight * window.outWidth);
      state.lastOutput = undefined;
    }
    const outLength = window!.outHeight * window!.outWidth * map.channels;
    const changes = map.changes;
    const incremental = !map.keyframe && changes !== undefined && changes.since === state.lastInput && state.lastOutput !== undefined;
    let output: Float32Array;
    let touched: Int32Array | undefined;
    let finite: boolean;
    if (incremental) {
      touched = windowsContaining(shape, window!, changes.pixels, state.touched!);
      output = touched.length === 0 || this.config.reuseOutput ? state.lastOutput! : state.lastOutput!.slice();
      finite = poolPixels(kind, countIncludePad, shape, window!, map.data, output, touched, touched.length);
    } else {
      output = this.config.reuseOutput && state.lastOutput?.length === outLength ? state.lastOutput : new Float32Array(outLength);
      finite = poolPixels(kind, countIncludePad, shape, window!, map.data, output, null, 0);
    }
    if (!finite) {
      state.lastInput = state.lastOutput = undefined; // the in-place output may hold the bad values
      throw nonFiniteMapError(name, map);
    }
    const since = state.lastOutput;
    state.lastInput = map.data;
    state.lastOutput = output;
    return deriveMap(
      map, output, window!.outHeight, window!.outWidth, map.channels,
      passStats(name, `${kind}Pool`, incremental ? changes.pixels.length / (map.height * map.width) : 1, !incremental, started),
      incremental ? { since: since!, pixels: touched! } : undefined,
    );
  }
}

/** Output pixels whose window covers any of the given input pixels (a superset under dilation). */
function windowsContaining(shape: PoolShape, window: WindowGeometry, pixels: Int32Array, touched: TouchedPixels): Int32Array {
  clearTouched(touched);
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.stride;
  const [dh, dw] = shape.dilation;
  for (let k = 0; k < pixels.length; k++) {
    const iy = (pixels[k]! / shape.width) | 0;
    const ix = pixels[k]! - iy * shape.width;
    const y = iy + window.padTop;
    const x = ix + window.padLeft;
    const oyFirst = Math.max(0, Math.ceil((y - dh * (kh - 1)) / sh));
    const oyLast = Math.min(window.outHeight - 1, Math.floor(y / sh));
    const oxFirst = Math.max(0, Math.ceil((x - dw * (kw - 1)) / sw));
    const oxLast = Math.min(window.outWidth - 1, Math.floor(x / sw));
    for (let oy = oyFirst; oy <= oyLast; oy++) {
      for (let ox = oxFirst; ox <= oxLast; ox++) {
        const o = oy * window.outWidth + ox;
        if (touched.marks[o] === 0) {
          touched.marks[o] = 1;
          touched.list[touched.count++] = o;
        }
      }
    }
  }
  return touched.list.slice(0, touched.count);
}
