/**
 * The preconditions of every conv kernel (plain JS, WebAssembly, native), checked before an engine
 * allocates anything. A geometry that passes cannot make a kernel loop forever (every step and
 * extent is a positive integer), index outside its buffers (the output size is the one the window
 * arithmetic gives, and the zero-bordered input covers every tap of it), or allocate more than
 * `maxTensorElements` values for one buffer, padding included.
 *
 * Errors are `RangeError`s naming the field and what was expected: layers prefix their own name
 * and turn them into `RrmInputError`s, the ONNX importer into `ModelImportError`s naming the node.
 */
import type { ConvGeometry, WindowGeometry } from './geometry.js';
import type { PoolShape } from './pool.js';

/** 2^26 values (256 MiB of float32) per buffer unless an option says otherwise. */
export const DEFAULT_MAX_TENSOR_ELEMENTS = 1 << 26;
/**
 * The largest limit an option may set: byte offsets of 4-byte values must stay below 2^31, the
 * range of the wasm kernels' 32-bit integers (and 2^28 floats is all of a 32-bit wasm memory).
 */
export const MAX_TENSOR_ELEMENTS_CEILING = 1 << 28;

export interface GeometryLimits {
  /** Largest number of values any one buffer of the layer may hold; default 2^26. */
  readonly maxTensorElements?: number;
}

/** The limit the options ask for, or throws when the option itself is out of range. */
export function maxTensorElementsOf(limits: GeometryLimits = {}): number {
  const limit = limits.maxTensorElements ?? DEFAULT_MAX_TENSOR_ELEMENTS;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_TENSOR_ELEMENTS_CEILING)) {
    throw new RangeError(`maxTensorElements must be an integer from 1 to ${MAX_TENSOR_ELEMENTS_CEILING}, got ${limit}`);
  }
  return limit;
}

/** Rows (or columns) of the zero-bordered input every tap of every output pixel reads. */
export function paddedExtent(input: number, padBegin: number, output: number, stride: number, kernel: number, dilation: number): number {
  return Math.max(padBegin + input, (output - 1) * stride + (kernel - 1) * dilation + 1);
}

/**
 * Throws a `RangeError` unless `g` is a geometry every backend can run: sizes, kernel, stride,
 * dilation and groups positive integers, pads non-negative integers (all within i32), groups dividing both channel
 * counts, the output size exactly `floor((in + pads − dilation·(kernel − 1) − 1) / stride) + 1`
 * and at least 1, and no buffer (input, padded input, output, weights) above the element limit.
 */
export function validateConvGeometry(g: ConvGeometry, limits: GeometryLimits = {}): void {
  const maxElements = maxTensorElementsOf(limits);
  for (const field of ['inHeight', 'inWidth', 'inChannels', 'outChannels', 'kernelHeight', 'kernelWidth', 'strideH', 'strideW', 'dilationH', 'dilationW', 'groups'] as const) {
    requireInteger(field, g[field], 1);
  }
  for (const field of ['padTop', 'padLeft', 'padBottom', 'padRight'] as const) requireInteger(field, g[field], 0);
  if (g.inChannels % g.groups !== 0 || g.outChannels % g.groups !== 0) {
    throw new RangeError(`groups ${g.groups} must divide both inChannels ${g.inChannels} and outChannels ${g.outChannels}`);
  }
  const rows = expectedOutput('height', g.inHeight, g.padTop, g.padBottom, g.kernelHeight, g.dilationH, g.strideH);
  const columns = expectedOutput('width', g.inWidth, g.padLeft, g.padRight, g.kernelWidth, g.dilationW, g.strideW);
  if (g.outHeight !== rows || g.outWidth !== columns) {
    throw new RangeError(`output ${g.outHeight}x${g.outWidth} does not match the window arithmetic, which gives ${rows}x${columns}`);
  }
  const paddedHeight = paddedExtent(g.inHeight, g.padTop, g.outHeight, g.strideH, g.kernelHeight, g.dilationH);
  const paddedWidth = paddedExtent(g.inWidth, g.padLeft, g.outWidth, g.strideW, g.kernelWidth, g.dilationW);
  requireElements('the input', [g.inHeight, g.inWidth, g.inChannels], maxElements);
  requireElements('the padded input', [paddedHeight, paddedWidth, g.inChannels], maxElements);
  requireElements('the output', [g.outHeight, g.outWidth, g.outChannels], maxElements);
  requireElements('the weights', [g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], maxElements);
}

/** What a pooling window over one map needs: the same integers, and a window that sees the map. */
export interface PoolWindowGeometry extends PoolShape {
  readonly window: WindowGeometry;
}

/**
 * Throws a `RangeError` unless the pooling window is computable: positive integer kernel, stride and
 * dilation, non-negative integer pads, an output of at least 1x1 and at most the element limit, and
 * every window covering at least one input pixel (a window of padding only has no maximum and no
 * average; with dilation its taps can also straddle a narrow input).
 */
export function validatePoolGeometry(p: PoolWindowGeometry, limits: GeometryLimits = {}): void {
  const maxElements = maxTensorElementsOf(limits);
  requireInteger('height', p.height, 1);
  requireInteger('width', p.width, 1);
  requireInteger('channels', p.channels, 1);
  const axes = [['kernel', p.kernel], ['stride', p.stride], ['dilation', p.dilation]] as const;
  for (const [label, pair] of axes) pair.forEach((value, k) => requireInteger(`${label}[${k}]`, value, 1));
  const { window } = p;
  const pads = [window.padTop, window.padLeft, window.padBottom, window.padRight];
  pads.forEach((pad, k) => requireInteger(`padding[${k}]`, pad, 0));
  if (!(window.outHeight >= 1 && window.outWidth >= 1)) {
    throw new RangeError(`input ${p.height}x${p.width} is smaller than the ${dilated(p.kernel[0], p.dilation[0])}x${dilated(p.kernel[1], p.dilation[1])} window with padding [${pads.join(', ')}]`);
  }
  requireElements('the output', [window.outHeight, window.outWidth, p.channels], maxElements);
  const rows = windowOfPaddingOnly(p.height, window.outHeight, p.stride[0], window.padTop, p.kernel[0], p.dilation[0]);
  const columns = windowOfPaddingOnly(p.width, window.outWidth, p.stride[1], window.padLeft, p.kernel[1], p.dilation[1]);
  for (const [axis, found, input] of [['row', rows, p.height], ['column', columns, p.width]] as const) {
    if (found >= 0) {
      throw new RangeError(
        `output ${axis} ${found}'s window covers only padding (kernel ${p.kernel}, stride ${p.stride}, dilation ${p.dilation}, padding [${pads.join(', ')}] over ${input} input ${axis}s): expected every window to cover an input pixel`,
      );
    }
  }
}

/** The first output position along one axis whose taps all fall outside the input, or -1 (O(output), not O(output · kernel)). */
function windowOfPaddingOnly(input: number, output: number, stride: number, padBegin: number, kernel: number, dilation: number): number {
  for (let o = 0; o < output; o++) {
    const origin = o * stride - padBegin;
    const first = Math.max(0, Math.ceil(-origin / dilation)); // the first tap at or after position 0
    if (first >= kernel || origin + first * dilation >= input) return o;
  }
  return -1;
}

function dilated(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

function expectedOutput(axis: string, input: number, padBegin: number, padEnd: number, kernel: number, dilation: number, stride: number): number {
  const extent = dilated(kernel, dilation);
  const span = input + padBegin + padEnd;
  if (extent > span) {
    throw new RangeError(`input ${axis} ${input} with padding ${padBegin}+${padEnd} is smaller than the ${extent}-pixel kernel (kernel ${kernel}, dilation ${dilation})`);
  }
  return Math.floor((span - extent) / stride) + 1;
}

/** Every field is an i32 in the wasm and native kernels. */
const MAX_FIELD = 2 ** 31 - 1;

function requireInteger(field: string, value: unknown, min: number): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_FIELD)) {
    throw new RangeError(`${field} must be an integer from ${min} to ${MAX_FIELD}, got ${describe(value)}`);
  }
}

function requireElements(what: string, dims: readonly number[], maxElements: number): void {
  const elements = dims.reduce((a, b) => a * b, 1);
  if (elements > maxElements) {
    throw new RangeError(`${what} would hold ${dims.join('x')} = ${elements} values, more than maxTensorElements = ${maxElements}`);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
