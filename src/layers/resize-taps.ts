/**
 * Where each output index of a resize samples its input, along one axis: the ONNX Resize /
 * Upsample coordinate transforms and nearest rounding, and onnxruntime's linear weights. Shared by
 * the resize layer (maps) and the dense Resize (tensors); separable, so a 2-D bilinear resize is
 * one table per axis.
 */
export type ResizeMode = 'nearest' | 'linear';

export type CoordinateMode = 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';
export const COORDINATE_MODES: readonly CoordinateMode[] = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];

/** `simple`: Upsample and Resize before opset 11 (truncate when enlarging, round up when shrinking). */
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';
export const NEAREST_MODES: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'];

export interface ResizeOptions {
  readonly mode: ResizeMode;
  readonly coordinates: CoordinateMode;
  readonly nearest: NearestMode;
}

/** Per output index: two input indices and their weights (nearest: the second weight is 0). */
export interface AxisTaps {
  readonly first: Int32Array;
  readonly second: Int32Array;
  readonly firstWeight: Float32Array;
  readonly secondWeight: Float32Array;
}

const f = Math.fround;

/**
 * The input coordinate an output index maps to (ONNX `coordinate_transformation_mode`), in float32
 * step by step as onnxruntime computes it: in doubles `6.5 / 1.3 − 0.5` is 4.50000018 and rounds
 * up, in float32 it is exactly 4.5 and round_prefer_floor takes 4.
 */
export function originalCoordinate(x: number, scale: number, inSize: number, outSize: number, mode: CoordinateMode): number {
  const s = f(scale);
  const centred = () => f(f(f(x + 0.5) / s) - 0.5);
  switch (mode) {
    case 'half_pixel': return centred();
    case 'half_pixel_symmetric': {
      const adjustment = f(outSize / f(s * inSize));
      const offset = f(f(inSize / 2) * f(1 - adjustment));
      return f(f(offset + f(f(x + 0.5) / s)) - 0.5); // left to right, as onnxruntime's float expression
    }
    case 'pytorch_half_pixel': return outSize > 1 ? centred() : 0;
    case 'align_corners': return outSize === 1 ? 0 : f(f(x * (inSize - 1)) / (outSize - 1));
    case 'asymmetric': return f(x / s);
    case 'tf_half_pixel_for_nn': return f(f(x + 0.5) / s);
  }
}

function nearestIndex(x: number, mode: NearestMode, shrinking: boolean): number {
  switch (mode) {
    case 'round_prefer_floor': return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil': return Math.round(x);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'simple': return shrinking ? Math.ceil(x) : Math.trunc(x);
  }
}

/**
 * The taps of every output index along one axis. `scale` is the ratio the transform uses: the
 * `scales` input when the model gives one, else `outSize / inSize`.
 */
export function axisTaps(inSize: number, outSize: number, scale: number, options: ResizeOptions): AxisTaps {
  const first = new Int32Array(outSize);
  const second = new Int32Array(outSize);
  const firstWeight = new Float32Array(outSize);
  const secondWeight = new Float32Array(outSize);
  const last = inSize - 1;
  for (let o = 0; o < outSize; o++) {
    const x = originalCoordinate(o, scale, inSize, outSize, options.coordinates);
    if (options.mode === 'nearest') {
      const i = Math.min(last, Math.max(0, nearestIndex(x, options.nearest, scale < 1)));
      first[o] = second[o] = i;
      firstWeight[o] = 1;
      continue;
    }
    // onnxruntime's linear weights: clamp into the input, neighbours floor and floor + 1.
    const clamped = Math.min(last, Math.max(0, x));
    const low = Math.min(Math.trunc(clamped), last);
    const high = Math.min(low + 1, last);
    first[o] = low;
    second[o] = high;
    if (low === high) {
      firstWeight[o] = 1;
    } else {
      firstWeight[o] = high - clamped;
      secondWeight[o] = clamped - low;
    }
  }
  return { first, second, firstWeight, secondWeight };
}

/**
 * For every input index, the output indices whose value depends on it (a tap with a nonzero
 * weight): what a change of that input reaches. `offsets` has inSize + 1 entries into `outputs`.
 */
export function reverseTaps(taps: AxisTaps, inSize: number): { offsets: Int32Array; outputs: Int32Array } {
  const counts = new Int32Array(inSize + 1);
  const each = (visit: (input: number, output: number) => void) => {
    for (let o = 0; o < taps.first.length; o++) {
      if (taps.firstWeight[o] !== 0) visit(taps.first[o]!, o);
      if (taps.secondWeight[o] !== 0 && taps.second[o] !== taps.first[o]) visit(taps.second[o]!, o);
    }
  };
  each((i) => counts[i + 1]!++);
  for (let i = 0; i < inSize; i++) counts[i + 1]! += counts[i]!;
  const fill = counts.slice(0, inSize);
  const outputs = new Int32Array(counts[inSize]!);
  each((i, o) => (outputs[fill[i]!++] = o));
  return { offsets: counts, outputs };
}
