/**
 * A layer whose every output pixel is a fixed function of a few input pixels: resizing, padding,
 * slicing (channels or strided pixels), DepthToSpace / SpaceToDepth, channel shuffles. One class
 * runs them all on the delta path: when the input says which pixels changed, only the output pixels
 * those reach are recomputed, and their list is passed on as the next change hint.
 */
import { clearTouched, createTouchedPixels, type TouchedPixels } from '../kernels/touched-pixels.js';
import type { FeatureMap } from '../types.js';
import type { Layer } from './layer.js';
import { deriveMap, passStats } from './map-meta.js';
import { assertFeatureMap } from './validate.js';

/** What the layer does for one input shape. Immutable: shared by every subscription. */
export interface PixelMapping {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  /** Writes the listed output pixels (`oy·outWidth + ox`; all of them when `pixels` is null) from the input. */
  compute(input: Float32Array, output: Float32Array, pixels: Int32Array | null, count: number): void;
  /** Marks (once each) the output pixels whose value depends on input pixel `p`. */
  reach(p: number, touched: TouchedPixels): void;
}

/** A mapping's `compute` from a function that writes one output pixel (of `outPixels`). */
export function perOutputPixel(
  outPixels: number,
  computePixel: (input: Float32Array, output: Float32Array, o: number) => void,
): PixelMapping['compute'] {
  return (input, output, pixels, count) => {
    if (pixels === null) {
      for (let o = 0; o < outPixels; o++) computePixel(input, output, o);
    } else {
      for (let k = 0; k < count; k++) computePixel(input, output, pixels[k]!);
    }
  };
}

/** Adds output pixel `o` to the touched set unless it is there already. */
export function touch(touched: TouchedPixels, o: number): void {
  if (touched.marks[o] === 0) {
    touched.marks[o] = 1;
    touched.list[touched.count++] = o;
  }
}

interface PixelMapState {
  mapping: PixelMapping | undefined;
  touched: TouchedPixels | undefined;
  lastInput: Float32Array | undefined;
  lastOutput: Float32Array | undefined;
}

export class PixelMapLayer implements Layer<PixelMapState> {
  private readonly mappings = new Map<string, PixelMapping>();

  constructor(
    readonly name: string,
    readonly kind: string,
    /** The mapping for an input shape; throws an `RrmInputError` for a shape the layer cannot take. */
    private readonly mappingFor: (height: number, width: number, channels: number) => PixelMapping,
    /** Update one output buffer in place (see `RrmLayerConfig.reuseOutput`: fused graphs only). */
    readonly reuseOutput = false,
  ) {}

  createState(): PixelMapState {
    return { mapping: undefined, touched: undefined, lastInput: undefined, lastOutput: undefined };
  }

  /** The shared mapping of an input shape (computed once per shape). */
  mapping(height: number, width: number, channels: number): PixelMapping {
    const key = `${height}x${width}x${channels}`;
    let mapping = this.mappings.get(key);
    if (!mapping) {
      mapping = this.mappingFor(height, width, channels);
      this.mappings.set(key, mapping);
    }
    return mapping;
  }

  step(state: PixelMapState, map: FeatureMap): FeatureMap {
    const started = performance.now();
    assertFeatureMap(this.name, map);
    const mapping = this.mapping(map.height, map.width, map.channels);
    const { outHeight, outWidth, outChannels } = mapping;
    if (state.mapping !== mapping) {
      state.mapping = mapping;
      state.touched = createTouchedPixels(outHeight * outWidth);
      state.lastOutput = undefined;
    }
    const changes = map.changes;
    const incremental = !map.keyframe && changes !== undefined && changes.since === state.lastInput && state.lastOutput !== undefined;
    let output: Float32Array;
    let touchedList: Int32Array | undefined;
    if (incremental) {
      const touched = state.touched!;
      clearTouched(touched);
      for (let k = 0; k < changes.pixels.length; k++) mapping.reach(changes.pixels[k]!, touched);
      touchedList = touched.list.slice(0, touched.count);
      output = touched.count === 0 || this.reuseOutput ? state.lastOutput! : state.lastOutput!.slice();
      mapping.compute(map.data, output, touchedList, touchedList.length);
    } else {
      const length = outHeight * outWidth * outChannels;
      output = this.reuseOutput && state.lastOutput?.length === length ? state.lastOutput : new Float32Array(length);
      mapping.compute(map.data, output, null, 0);
    }
    const since = state.lastOutput;
    state.lastInput = map.data;
    state.lastOutput = output;
    return deriveMap(
      map, output, outHeight, outWidth, outChannels,
      passStats(this.name, this.kind, incremental ? changes.pixels.length / (map.height * map.width) : 1, !incremental, started),
      incremental ? { since: since!, pixels: touchedList! } : undefined,
      !incremental && map.dense === true,
    );
  }
}
