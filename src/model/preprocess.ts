/**
 * Frame → the model's input FeatureMap: channel adaptation (drop alpha, gray ↔ RGB, BGR order),
 * bilinear resize to the input size when the frame differs, then `(byte − mean) · scale / std`
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
}

export interface InputSize {
  readonly height: number;
  readonly width: number;
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
  return pipe(
    map((frame: Frame) => adaptFrame(frame, size, bgr)),
    toTensor({
      scale,
      mean: typeof mean === 'number' ? mean * scale : mean.map((m) => m * scale),
      ...(options.std !== undefined ? { std: options.std } : {}),
    }, emission),
  );
}

function adaptFrame(frame: Frame, size: InputSize, bgr: boolean): Frame {
  assertFrame('preprocess', frame);
  let result = convertChannels(frame, size.channels as FrameChannels, bgr);
  if (result.width !== size.width || result.height !== size.height) result = resizeBilinear(result, size.width, size.height);
  return result;
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
