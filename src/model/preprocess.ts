/**
 * Frame → the model's input FeatureMap: channel adaptation (drop alpha, gray ↔ RGB, BGR order),
 * bilinear resize to the input size when the frame differs (a model with symbolic height and width
 * takes each frame at its own size), then `(byte − mean) · scale / std`
 * through the core's `toTensor`, which also emits the change hint the first conv uses.
 */
import { map, pipe, type OperatorFunction } from 'rxjs';
import { toTensor } from '../operators/to-tensor.js';
import type { LayerEmission } from '../operators/options.js';
import { assertFrame, RrmInputError } from '../layers/validate.js';
import type { FeatureMap, Frame, FrameChannels } from '../types.js';

export interface PreprocessOptions {
  /** Subtracted from each byte: one value or one per channel (default 0). */
  readonly mean?: number | readonly number[];
  /** Multiplies after subtracting the mean (default 1). */
  readonly scale?: number;
  /** Divides last: one value or one per channel (default 1). */
  readonly std?: number | readonly number[];
  /** Channel order the model expects (default 'rgb'); frames are RGB. */
  readonly channelOrder?: 'rgb' | 'bgr';
  /**
   * Frames of another aspect ratio than the input: `'stretch'` (default) resizes them to the input
   * size; `'letterbox'` keeps their aspect ratio, scaled to fit and centred on black bars.
   */
  readonly fit?: FrameFit;
}

export type FrameFit = 'stretch' | 'letterbox';

/** Where a letterboxed frame lands in the target: its scale and the offset of its top-left corner. */
export interface FitGeometry {
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
  readonly width: number;
  readonly height: number;
}

export interface InputSize {
  /** Undefined where the model's input dimension is symbolic: each frame keeps its own. */
  readonly height: number | undefined;
  readonly width: number | undefined;
  readonly channels: number;
}

/** `emission.fused`: the one input map is updated in place (for a model operator that consumes it, never user code). */
export function preprocessFrames(size: InputSize, options: PreprocessOptions = {}, emission: LayerEmission = {}): OperatorFunction<Frame, FeatureMap> {
  const scale = options.scale ?? 1;
  const mean = options.mean ?? 0;
  if (size.channels !== 1 && size.channels !== 3) {
    throw new RrmInputError(`preprocess: the model input has ${size.channels} channels; frames convert to 1 (gray) or 3 (RGB/BGR)`);
  }
  const bgr = options.channelOrder === 'bgr';
  const fit = options.fit ?? 'stretch';
  if (fit !== 'stretch' && fit !== 'letterbox') throw new RrmInputError(`preprocess: fit must be 'stretch' or 'letterbox', got ${JSON.stringify(fit)}`);
  return pipe(
    map((frame: Frame) => adaptFrame(frame, size, bgr, fit)),
    toTensor({
      scale,
      mean: typeof mean === 'number' ? mean * scale : mean.map((m) => m * scale),
      ...(options.std !== undefined ? { std: options.std } : {}),
    }, emission),
  );
}

function adaptFrame(frame: Frame, size: InputSize, bgr: boolean, fit: FrameFit): Frame {
  assertFrame('preprocess', frame);
  const converted = convertChannels(frame, size.channels as FrameChannels, bgr);
  return fitFrame(converted, size.width ?? converted.width, size.height ?? converted.height, fit);
}

/** The frame at `width` x `height`: stretched, or letterboxed (aspect kept, black bars). */
export function fitFrame(frame: Frame, width: number, height: number, fit: FrameFit): Frame {
  if (frame.width === width && frame.height === height) return frame;
  if (fit === 'stretch') return resizeBilinear(frame, width, height);
  const placed = letterboxGeometry(frame.width, frame.height, width, height);
  const inner = placed.width === frame.width && placed.height === frame.height ? frame : resizeBilinear(frame, placed.width, placed.height);
  const data = new Uint8Array(width * height * frame.channels);
  const rowBytes = placed.width * frame.channels;
  for (let y = 0; y < placed.height; y++) {
    data.set(inner.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((placed.offsetY + y) * width + placed.offsetX) * frame.channels);
  }
  return { ...frame, data, width, height };
}

/** The largest size of aspect `frameWidth:frameHeight` that fits `width` x `height`, centred. */
export function letterboxGeometry(frameWidth: number, frameHeight: number, width: number, height: number): FitGeometry {
  const scale = Math.min(width / frameWidth, height / frameHeight);
  const placedWidth = Math.max(1, Math.min(width, Math.round(frameWidth * scale)));
  const placedHeight = Math.max(1, Math.min(height, Math.round(frameHeight * scale)));
  return { scale, width: placedWidth, height: placedHeight, offsetX: Math.floor((width - placedWidth) / 2), offsetY: Math.floor((height - placedHeight) / 2) };
}

/** To gray (BT.601 luma) or to 3 channels (alpha dropped, gray replicated, optionally BGR). */
function convertChannels(frame: Frame, channels: FrameChannels, bgr: boolean): Frame {
  if (frame.channels === channels && !(bgr && channels === 3)) return frame;
  const pixels = frame.width * frame.height;
  const data = new Uint8Array(pixels * channels);
  const source = frame.data;
  for (let p = 0; p < pixels; p++) {
    const i = p * frame.channels;
    const [r, g, b] = frame.channels === 1 ? [source[i]!, source[i]!, source[i]!] : [source[i]!, source[i + 1]!, source[i + 2]!];
    if (channels === 1) data[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else data.set(bgr ? [b, g, r] : [r, g, b], p * 3);
  }
  return { ...frame, data, channels };
}

/** Bilinear resampling with pixel-centre alignment (no antialiasing), rounded back to bytes. */
export function resizeBilinear(frame: Frame, width: number, height: number): Frame {
  const { channels, data: source } = frame;
  const data = new Uint8Array(width * height * channels);
  const scaleX = frame.width / width;
  const scaleY = frame.height / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), frame.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, frame.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), frame.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, frame.width - 1);
      const fx = sx - x0;
      for (let c = 0; c < channels; c++) {
        const at = (yy: number, xx: number) => source[(yy * frame.width + xx) * channels + c]!;
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        data[(y * width + x) * channels + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { ...frame, data, width, height };
}
