/**
 * Pictures (a `VideoFrame`, a `<video>`'s current frame) to `Frame` bytes: drawn scaled onto a
 * canvas kept for the stream, read back, and repacked from RGBA to the frame's channels.
 */
import type { FrameChannels } from '../../types.js';

type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

export class FrameCanvas {
  private readonly context: Context2D;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly channels: 3 | 4,
  ) {
    // willReadFrequently keeps the canvas in CPU memory: every frame is read back.
    const settings: CanvasRenderingContext2DSettings = { willReadFrequently: true, alpha: false };
    const context: Context2D | null =
      typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height).getContext('2d', settings) : canvasElement(width, height).getContext('2d', settings);
    if (!context) throw new Error('rx-rrm: this browser gives no 2D canvas context to read video frames with');
    this.context = context;
  }

  /** The picture scaled to width x height, as interleaved RGB or RGBA bytes. */
  read(picture: CanvasImageSource): Uint8Array {
    this.context.drawImage(picture, 0, 0, this.width, this.height);
    const rgba = this.context.getImageData(0, 0, this.width, this.height).data;
    if (this.channels === 4) return new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    const pixels = this.width * this.height;
    const rgb = new Uint8Array(pixels * 3);
    for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
      rgb[o] = rgba[i]!;
      rgb[o + 1] = rgba[i + 1]!;
      rgb[o + 2] = rgba[i + 2]!;
    }
    return rgb;
  }
}

function canvasElement(width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** The options every web source takes, checked: an error message, or the values. */
export interface FrameSize {
  readonly width?: number;
  readonly height?: number;
  /** At most this many frames per second: frames closer to the previous one are skipped. */
  readonly fps?: number;
  /** 3 (RGB, the default) or 4 (RGBA). */
  readonly channels?: Extract<FrameChannels, 3 | 4>;
}

export function checkFrameSize(source: string, options: FrameSize): string | undefined {
  for (const key of ['width', 'height'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0 && value <= 16384)) return `${source}: ${key} must be an integer from 1 to 16384, got ${value}`;
  }
  if (options.fps !== undefined && !(options.fps > 0 && Number.isFinite(options.fps))) return `${source}: fps must be a positive number, got ${options.fps}`;
  if (options.channels !== undefined && options.channels !== 3 && options.channels !== 4) return `${source}: channels must be 3 (RGB) or 4 (RGBA), got ${String(options.channels)}`;
  return undefined;
}

/** Skips frames that come sooner than `fps` allows (with a little slack for timer jitter). */
export class FrameRateLimit {
  private last = -Infinity;

  constructor(private readonly fps: number | undefined) {}

  admits(timestampMs: number): boolean {
    if (this.fps === undefined) return true;
    if (timestampMs - this.last < 900 / this.fps) return false;
    this.last = timestampMs;
    return true;
  }
}
