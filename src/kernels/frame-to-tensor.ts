/**
 * Frame bytes to a float map through per-channel lookup tables, converting only the pixels that
 * changed since the previous frame and listing them: the first step of every pipeline, done in
 * native code where the addon loads (30-40x faster on a 320x240 RGB frame), else in WebAssembly
 * where the kernels are loaded (a browser), else in JavaScript.
 */
import { loadNativeAddon } from './native/native-addon.js';
import { createWasmFrameConverter } from './wasm/frame-converter.js';

/** One stream's frame conversion (a wasm converter keeps buffers between frames: `dispose` frees them). */
export interface FrameConverter {
  /**
   * `output[i] = tables[c·256 + data[i]]` at every pixel whose bytes differ from `previous` (every
   * pixel when `previous` is null); lists those pixels in `changed` (when given) in increasing order
   * and returns their count. With a `previous` frame, `output` must hold its conversion through the
   * same tables: the native and wasm versions rewrite some unchanged pixels (with the value they have)
   * rather than branch per pixel.
   */
  convert(data: Uint8Array, previous: Uint8Array | null, output: Float32Array, tables: Float32Array, channels: number, changed: Int32Array | null): number;
  dispose(): void;
}

/** The fastest conversion here: native, else wasm, else JavaScript. */
export function createFrameConverter(): FrameConverter {
  const native = loadNativeAddon();
  if ('addon' in native) return stateless(native.addon.convertFrame.bind(native.addon));
  return createWasmFrameConverter() ?? stateless(convertFrameInJs);
}

function stateless(convert: FrameConverter['convert']): FrameConverter {
  return { convert, dispose: () => {} };
}

/**
 * The JavaScript version (where neither the addon nor the wasm kernels load). On a static camera most
 * bytes are unchanged: it compares whole 32-bit words (a group of pixels filling whole words: 4
 * RGB pixels are 3 words) and looks at single pixels only inside a group that differs.
 */
export function convertFrameInJs(data: Uint8Array, previous: Uint8Array | null, output: Float32Array, tables: Float32Array, channels: number, changed: Int32Array | null): number {
  const pixels = data.length / channels;
  if (previous === null) return convertPixels(data, null, output, tables, channels, changed, 0, pixels, 0);
  const aligned = data.byteOffset % 4 === 0 && previous.byteOffset % 4 === 0;
  const groupPixels = 4 / greatestCommonDivisor(channels, 4);
  const groupWords = (groupPixels * channels) / 4;
  const groups = aligned ? Math.floor(pixels / groupPixels) : 0;
  const now = aligned ? new Uint32Array(data.buffer, data.byteOffset, groups * groupWords) : NO_WORDS;
  const before = aligned ? new Uint32Array(previous.buffer, previous.byteOffset, groups * groupWords) : NO_WORDS;
  let count = 0;
  for (let group = 0, word = 0; group < groups; group++, word += groupWords) {
    let same = now[word] === before[word];
    for (let k = 1; k < groupWords; k++) same &&= now[word + k] === before[word + k];
    if (!same) count = convertPixels(data, previous, output, tables, channels, changed, group * groupPixels, (group + 1) * groupPixels, count);
  }
  return convertPixels(data, previous, output, tables, channels, changed, groups * groupPixels, pixels, count);
}

const NO_WORDS = new Uint32Array(0);

/** Pixels `from..to` one by one; `count` were listed before them; returns the new count. */
function convertPixels(data: Uint8Array, previous: Uint8Array | null, output: Float32Array, tables: Float32Array, channels: number, changed: Int32Array | null, from: number, to: number, count: number): number {
  if (channels === 3 && previous !== null) {
    // RGB, the common case, unrolled (twice as fast as the loops over channels below).
    for (let p = from, i = 3 * from; p < to; p++, i += 3) {
      if (((data[i]! ^ previous[i]!) | (data[i + 1]! ^ previous[i + 1]!) | (data[i + 2]! ^ previous[i + 2]!)) === 0) continue;
      output[i] = tables[data[i]!]!;
      output[i + 1] = tables[256 + data[i + 1]!]!;
      output[i + 2] = tables[512 + data[i + 2]!]!;
      if (changed) changed[count] = p;
      count++;
    }
    return count;
  }
  for (let p = from; p < to; p++) {
    const i = p * channels;
    let differs = previous === null;
    for (let c = 0; c < channels && !differs; c++) differs = data[i + c] !== previous![i + c];
    if (!differs) continue;
    for (let c = 0; c < channels; c++) output[i + c] = tables[c * 256 + data[i + c]!]!;
    if (changed) changed[count] = p;
    count++;
  }
  return count;
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}
