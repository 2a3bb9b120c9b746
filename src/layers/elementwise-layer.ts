/**
 * An element-wise function of a map that is not one of the core activations (Tanh, Exp, Pow by a
 * constant, SiLU, Mish, arithmetic with a constant, unfolded BatchNormalization, ...). Delta-aware
 * like `ActivationLayer`: when the input says which pixels changed, only those are recomputed and
 * the same list is passed on.
 */
import type { FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap, passStats } from './map-meta.js';
import { assertFeatureMap } from './validate.js';

/** `f(x, i)`: `x` the input element, `i` its index in the HWC data (for per-element constants). */
export type ElementFunction = (x: number, i: number) => number;

interface ElementwiseState {
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
}

export class ElementwiseLayer implements Layer<ElementwiseState> {
  constructor(
    readonly name: string,
    readonly kind: string,
    private readonly f: ElementFunction,
    /** Update one output buffer in place (see `RrmLayerConfig.reuseOutput`: fused graphs only). */
    readonly reuseOutput = false,
  ) {}

  createState(): ElementwiseState {
    return { lastInput: undefined, lastOutput: undefined };
  }

  step(state: ElementwiseState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    assertFeatureMap(this.name, map);
    const { f } = this;
    const { data, channels } = map;
    const changes = map.changes;
    const incremental = !map.keyframe && changes !== undefined && changes.since === state.lastInput && state.lastOutput?.length === data.length;
    let output: Float32Array;
    if (incremental && changes.pixels.length === 0) {
      output = state.lastOutput!;
    } else if (incremental) {
      output = this.reuseOutput ? state.lastOutput! : state.lastOutput!.slice();
      const { pixels } = changes;
      for (let k = 0; k < pixels.length; k++) {
        for (let i = pixels[k]! * channels, end = i + channels; i < end; i++) output[i] = f(data[i]!, i);
      }
    } else {
      output = this.reuseOutput && state.lastOutput?.length === data.length ? state.lastOutput : new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) output[i] = f(data[i]!, i);
    }
    const since = state.lastOutput;
    state.lastInput = data;
    state.lastOutput = output;
    return deriveMap(
      map, output, map.height, map.width, channels,
      passStats(this.name, this.kind, incremental ? changes.pixels.length / (map.height * map.width) : 1, !incremental, started),
      incremental ? { since: since!, pixels: changes.pixels } : undefined,
      !incremental && map.dense === true, // everything may differ only when everything upstream did
    );
  }
}
