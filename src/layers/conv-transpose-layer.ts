/**
 * ConvTranspose (decoders, learned upsampling) as a Recurrent Residual Module in plain TypeScript:
 * the projection P is a scatter of every input pixel through the kernel, so a delta frame scatters
 * only the active pixels' differences `I − Ĩ` (the same work per pixel as the dense pass, on far
 * fewer pixels) and passes the output pixels they reach on as the change hint. A fused activation
 * is applied where the projection changed, as in `RrmLayer`.
 */
import { clearTouched, createTouchedPixels, type TouchedPixels } from '../kernels/touched-pixels.js';
import { activate } from '../kernels/activation.js';
import type { Activation, FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap } from './map-meta.js';
import { touch } from './pixel-map-layer.js';
import { assertFeatureMap, RrmInputError } from './validate.js';

/** Output size and leading padding of a transposed conv for one input size. */
export interface TransposedGeometry {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

export interface ConvTransposeConfig {
  readonly name: string;
  /** ONNX order `[inChannels, outChannels/groups, kH, kW]`. */
  readonly weight: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly bias: Float32Array | undefined;
  readonly groups: number;
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly geometryFor: (height: number, width: number) => TransposedGeometry;
  /** Applied to the projection where it changed (fused by optimizeGraph). */
  readonly activation: Activation;
  readonly leakyReluAlpha: number;
  readonly threshold: number;
  /** Makes τ relative (see `RrmLayerConfig.thresholdScale`). */
  readonly thresholdScale?: (input: FeatureMap) => number;
  /** Update one output buffer in place (fused graphs only). */
  readonly reuseOutput?: boolean;
}

interface ConvTransposeState {
  key: string | undefined;
  geometry: TransposedGeometry | undefined;
  integrated: Float32Array | undefined;
  projection: Float64Array | undefined;
  touched: TouchedPixels | undefined;
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
  threshold: number | undefined;
}

export class ConvTransposeLayer implements Layer<ConvTransposeState> {
  /** Weights as `[ci][ky][kx][co]`: one tap's output channels contiguous for the scatter. */
  private readonly packed: Float32Array;
  readonly name: string;

  constructor(readonly config: ConvTransposeConfig) {
    this.name = config.name;
    const [inChannels, outPerGroup, kernelH, kernelW] = config.shape;
    this.packed = new Float32Array(config.weight.length);
    for (let ci = 0; ci < inChannels; ci++) {
      for (let co = 0; co < outPerGroup; co++) {
        for (let ky = 0; ky < kernelH; ky++) {
          for (let kx = 0; kx < kernelW; kx++) {
            this.packed[((ci * kernelH + ky) * kernelW + kx) * outPerGroup + co] = config.weight[((ci * outPerGroup + co) * kernelH + ky) * kernelW + kx]!;
          }
        }
      }
    }
  }

  createState(): ConvTransposeState {
    return { key: undefined, geometry: undefined, integrated: undefined, projection: undefined, touched: undefined, lastInput: undefined, lastOutput: undefined, threshold: undefined };
  }

  step(state: ConvTransposeState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    const { name, shape, groups, bias, activation, leakyReluAlpha: alpha } = this.config;
    assertFeatureMap(name, map);
    const [inChannels, outPerGroup, kernelH, kernelW] = shape;
    if (map.channels !== inChannels) throw new RrmInputError(`${name}: input has ${map.channels} channels, expected ${inChannels}`);
    const outChannels = outPerGroup * groups;
    const key = `${map.height}x${map.width}`;
    let fresh = false;
    if (state.key !== key) {
      const geometry = this.config.geometryFor(map.height, map.width);
      if (geometry.outHeight < 1 || geometry.outWidth < 1) throw new RrmInputError(`${name}: a ${map.height}x${map.width} input gives a ${geometry.outHeight}x${geometry.outWidth} output`);
      Object.assign(state, {
        key, geometry,
        integrated: new Float32Array(map.data.length),
        projection: new Float64Array(geometry.outHeight * geometry.outWidth * outChannels),
        touched: createTouchedPixels(geometry.outHeight * geometry.outWidth),
        lastOutput: undefined,
      });
      fresh = true;
    }
    const geometry = state.geometry!;
    const projection = state.projection!;
    const integrated = state.integrated!;
    const inputPixels = map.height * map.width;
    const denseMacs = inputPixels * inChannels * outPerGroup * kernelH * kernelW;
    state.threshold ??= this.config.threshold * (this.config.thresholdScale?.(map) ?? 1);
    const changes = map.changes;
    const candidates = changes !== undefined && changes.since === state.lastInput ? changes.pixels : null;
    let output: Float32Array;
    let hint: FeatureMap['changes'];
    let active = inputPixels;
    if (fresh || map.keyframe || !state.lastOutput) {
      for (let p = 0; p < projection.length; p += outChannels) for (let c = 0; c < outChannels; c++) projection[p + c] = bias?.[c] ?? 0;
      integrated.set(map.data);
      for (let p = 0; p < inputPixels; p++) this.scatter(geometry, map.width, projection, integrated, p, undefined);
      output = this.config.reuseOutput && state.lastOutput?.length === projection.length ? state.lastOutput : new Float32Array(projection.length);
      for (let i = 0; i < projection.length; i++) output[i] = activate(activation, projection[i]!, alpha);
    } else {
      const touched = state.touched!;
      clearTouched(touched);
      active = 0;
      const count = candidates ? candidates.length : inputPixels;
      const difference = new Float32Array(inChannels);
      for (let k = 0; k < count; k++) {
        const p = candidates ? candidates[k]! : k;
        let largest = 0;
        for (let c = 0, i = p * inChannels; c < inChannels; c++, i++) {
          difference[c] = map.data[i]! - integrated[i]!;
          largest = Math.max(largest, Math.abs(difference[c]!));
        }
        if (!(largest > state.threshold)) continue;
        active++;
        for (let c = 0, i = p * inChannels; c < inChannels; c++, i++) integrated[i] = map.data[i]!;
        this.scatter(geometry, map.width, projection, difference, p, touched);
      }
      const list = touched.list.slice(0, touched.count);
      output = list.length === 0 || this.config.reuseOutput ? state.lastOutput : state.lastOutput.slice();
      for (const o of list) for (let c = 0, i = o * outChannels; c < outChannels; c++, i++) output[i] = activate(activation, projection[i]!, alpha);
      hint = { since: state.lastOutput, pixels: list };
    }
    state.lastInput = map.data;
    state.lastOutput = output;
    const macs = active * inChannels * outPerGroup * kernelH * kernelW;
    const dense = hint === undefined;
    return deriveMap(map, output, geometry.outHeight, geometry.outWidth, outChannels, {
      layer: name, kind: 'convTranspose', activeFraction: active / inputPixels, macs, denseMacs, dense, timeMs: performance.now() - started,
    }, hint, dense);
  }

  /**
   * Adds input pixel `p` of `values` (HWC, or one pixel's channels when `touched` is given: a
   * difference) through the kernel into the projection, marking the output pixels it reaches.
   */
  private scatter(geometry: TransposedGeometry, inWidth: number, projection: Float64Array, values: Float32Array, p: number, touched: TouchedPixels | undefined): void {
    const { shape, groups, stride, dilation } = this.config;
    const [inChannels, outPerGroup, kernelH, kernelW] = shape;
    const inPerGroup = inChannels / groups;
    const outChannels = outPerGroup * groups;
    const iy = (p / inWidth) | 0;
    const ix = p - iy * inWidth;
    const base = touched ? 0 : p * inChannels;
    for (let ky = 0; ky < kernelH; ky++) {
      const oy = iy * stride[0] - geometry.padTop + ky * dilation[0];
      if (oy < 0 || oy >= geometry.outHeight) continue;
      for (let kx = 0; kx < kernelW; kx++) {
        const ox = ix * stride[1] - geometry.padLeft + kx * dilation[1];
        if (ox < 0 || ox >= geometry.outWidth) continue;
        const o = oy * geometry.outWidth + ox;
        if (touched) touch(touched, o);
        for (let ci = 0; ci < inChannels; ci++) {
          const x = values[base + ci]!;
          if (x === 0) continue;
          const target = o * outChannels + Math.floor(ci / inPerGroup) * outPerGroup;
          const weights = ((ci * kernelH + ky) * kernelW + kx) * outPerGroup;
          for (let co = 0; co < outPerGroup; co++) projection[target + co]! += x * this.packed[weights + co]!;
        }
      }
    }
  }
}
