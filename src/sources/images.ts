/**
 * Image sequences (PNG, JPEG) as frames. Decoded with sharp (libvips) when the optional
 * dependency is installed, else with pngjs and jpeg-js (pure JavaScript). Both decoders produce
 * RGBA first and share one conversion to the requested format, so they give the same pixels.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Observable } from 'rxjs';
import type { Frame, FrameChannels } from '../types.js';
import { declaredImageSize } from './image-size.js';
import { pulledObservable } from './pulled-observable.js';

export interface ImagesOptions {
  /** Default `'rgb24'`; alpha is dropped for rgb24 and gray (not composited). */
  readonly pixelFormat?: 'rgb24' | 'gray' | 'rgba';
  /** Timestamps are `index * 1000 / fps`; default 30. */
  readonly fps?: number;
  /** `'auto'` (default): sharp when installed, else pngjs/jpeg-js. */
  readonly decoder?: 'auto' | 'sharp' | 'pure-js';
  /**
   * Largest image accepted, in pixels (width × height), checked from the file's header before any
   * decoder allocates; default 2^26 (67 Mpx, e.g. 8192 × 8192).
   */
  readonly maxPixels?: number;
}

export const DEFAULT_MAX_IMAGE_PIXELS = 1 << 26;

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const CHANNELS: Record<string, FrameChannels> = { rgb24: 3, gray: 1, rgba: 4 };

/** Sorts names the way people number frames: `frame2` before `frame10`. */
export const naturalCompare: (a: string, b: string) => number = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;

/**
 * Frames from image files: an explicit list (kept in the given order) or a directory (its PNG and
 * JPEG files in natural sort order). Cold and pulled: each file is read when its frame is due.
 */
export function fromImages(files: string | readonly string[], options: ImagesOptions = {}): Observable<Frame> {
  return pulledObservable((signal) => imageFrames(files, options, signal));
}

export async function* imageFrames(files: string | readonly string[], options: ImagesOptions = {}, signal = new AbortController().signal): AsyncGenerator<Frame> {
  const pixelFormat = options.pixelFormat ?? 'rgb24';
  const channels = CHANNELS[pixelFormat];
  if (!channels) throw new Error(`fromImages: unsupported pixelFormat '${String(pixelFormat)}': expected 'rgb24', 'gray' or 'rgba'`);
  const fps = options.fps ?? 30;
  if (!(fps > 0)) throw new Error(`fromImages: fps must be a positive number, got ${fps}`);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  if (!(Number.isSafeInteger(maxPixels) && maxPixels >= 1)) throw new Error(`fromImages: maxPixels must be an integer ≥ 1, got ${maxPixels}`);
  const paths = typeof files === 'string' ? await listImages(files) : files;
  const decode = await chooseDecoder(options.decoder ?? 'auto', maxPixels);
  for (let index = 0; index < paths.length && !signal.aborted; index++) {
    const path = paths[index]!;
    const { bytes, format } = await readImageFile(path, maxPixels);
    let image: RgbaImage;
    try {
      image = await decode(bytes);
    } catch (error) {
      // The decoders (not ours) fail on damaged data in their own words, TypeErrors included.
      throw new Error(`fromImages: cannot decode '${path}': its ${format} data is damaged or unsupported (the decoder said: ${(error as Error).message}); expected a valid PNG or JPEG file`, { cause: error });
    }
    if (signal.aborted) return;
    yield { data: fromRgba(image.data, channels), width: image.width, height: image.height, channels, index, timestamp: (index * 1000) / fps };
  }
}

async function listImages(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    throw new Error(`fromImages: cannot list '${directory}' (${(error as NodeJS.ErrnoException).code}): expected a directory of PNG/JPEG files or a list of files`, { cause: error });
  }
  const images = names.filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase())).sort(naturalCompare);
  if (images.length === 0) throw new Error(`fromImages: '${directory}' holds no .png, .jpg or .jpeg files`);
  return images.map((name) => join(directory, name));
}

interface RgbaImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

type Decoder = (bytes: Uint8Array) => Promise<RgbaImage>;

/** The file's bytes and format, once its header declares a size within `maxPixels`; errors name the file. */
async function readImageFile(path: string, maxPixels: number): Promise<{ bytes: Uint8Array; format: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`fromImages: cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): expected a readable PNG or JPEG file`, { cause: error });
  }
  const size = declaredImageSize(bytes);
  if (typeof size === 'string') throw new Error(`fromImages: cannot decode '${path}' (${size}): expected a PNG or JPEG file`);
  const format = size.format.toUpperCase();
  const pixels = size.width * size.height;
  if (pixels === 0) throw new Error(`fromImages: '${path}' declares an empty ${size.width}×${size.height} ${format}: expected at least 1×1`);
  if (pixels > maxPixels) {
    throw new Error(`fromImages: '${path}' declares a ${size.width}×${size.height} ${format} (${pixels} pixels), more than maxPixels = ${maxPixels}: refused before decoding`);
  }
  return { bytes, format };
}

async function chooseDecoder(preference: 'auto' | 'sharp' | 'pure-js', maxPixels: number): Promise<Decoder> {
  if (preference !== 'pure-js') {
    const sharpDecoder = await loadSharpDecoder(maxPixels);
    if (sharpDecoder) return sharpDecoder;
    if (preference === 'sharp') throw new Error("fromImages: decoder 'sharp' requested but the sharp package cannot be loaded");
  }
  return (bytes) => decodePureJs(bytes, maxPixels);
}

async function loadSharpDecoder(maxPixels: number): Promise<Decoder | undefined> {
  let sharp: (typeof import('sharp'))['default'];
  try {
    sharp = (await import('sharp')).default;
  } catch {
    return undefined; // optional dependency absent or without a binary for this platform
  }
  return async (bytes) => {
    // sharp checks the same limit itself (its own header read); ours ran first with the same number.
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels }).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };
}

async function decodePureJs(bytes: Uint8Array, maxPixels: number): Promise<RgbaImage> {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const { PNG } = (await import('pngjs')).default;
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return { data: png.data, width: png.width, height: png.height };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const jpeg = (await import('jpeg-js')).default;
    // jpeg-js has its own limits too: kept in step with ours (its memory budget covers RGBA output and work buffers).
    const megapixels = maxPixels / 1e6;
    return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: megapixels, maxMemoryUsageInMB: Math.ceil(megapixels * 4 * 3) + 64 });
  }
  throw new Error('neither a PNG nor a JPEG signature');
}

/** RGBA → the requested layout; gray is BT.601 luma, like the Y of video. */
function fromRgba(rgba: Uint8Array, channels: FrameChannels): Uint8Array {
  // A plain Uint8Array view over a decoder's Buffer: frames carry no Node-specific type.
  if (channels === 4) return new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length);
  const pixels = rgba.length / 4;
  const out = new Uint8Array(pixels * channels);
  for (let i = 0; i < pixels; i++) {
    const r = rgba[i * 4]!;
    const g = rgba[i * 4 + 1]!;
    const b = rgba[i * 4 + 2]!;
    if (channels === 1) {
      out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    } else {
      out[i * 3] = r;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = b;
    }
  }
  return out;
}
