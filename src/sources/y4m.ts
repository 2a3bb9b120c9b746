/**
 * YUV4MPEG2 (`.y4m`) parsed natively, without ffmpeg: a text header line, then per frame a
 * `FRAME` line and the Y, Cb, Cr planes. Converted to RGB or gray with BT.601 coefficients, the
 * convention of standard-definition video and what ffmpeg assumes for untagged YUV.
 */
import { createReadStream } from 'node:fs';
import type { Observable } from 'rxjs';
import type { Frame } from '../types.js';
import { ByteReader, chunksFromAsyncIterable, chunksFromNodeReadable, chunksFromWebStream, TruncatedInputError, type ChunkSource } from './byte-reader.js';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol.js';
import { pulledObservable } from './pulled-observable.js';

export type Y4MInput = string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface Y4MOptions {
  /** `'rgb24'` (default, 3 channels) or `'gray'` (the luma plane, 1 channel). */
  readonly pixelFormat?: 'rgb24' | 'gray';
  /** Largest YUV frame accepted, in bytes (checked before reading it); default 64 MiB. */
  readonly maxFrameBytes?: number;
}

/** Chroma subsampling: how many luma pixels share one chroma sample, horizontally and vertically. */
interface ChromaLayout {
  readonly name: string;
  readonly shiftX: number;
  readonly shiftY: number;
  readonly hasChroma: boolean;
}

const CHROMA_LAYOUTS: Record<string, ChromaLayout> = {
  '420jpeg': { name: '4:2:0', shiftX: 1, shiftY: 1, hasChroma: true },
  '420paldv': { name: '4:2:0', shiftX: 1, shiftY: 1, hasChroma: true },
  '420mpeg2': { name: '4:2:0', shiftX: 1, shiftY: 1, hasChroma: true },
  '420': { name: '4:2:0', shiftX: 1, shiftY: 1, hasChroma: true },
  '422': { name: '4:2:2', shiftX: 1, shiftY: 0, hasChroma: true },
  '444': { name: '4:4:4', shiftX: 0, shiftY: 0, hasChroma: true },
  mono: { name: 'mono', shiftX: 0, shiftY: 0, hasChroma: false },
};
const SUPPORTED_COLOUR_SPACES = Object.keys(CHROMA_LAYOUTS).join(', ');
const MAX_HEADER_LINE = 4096;
/** Frame rate terms fit a u32 in other tools; 2^31 keeps index·1000·den far inside doubles' exact range. */
const MAX_FPS_TERM = 2 ** 31 - 1;

export interface Y4MHeader {
  readonly width: number;
  readonly height: number;
  /** Frames per second as a fraction; `F` is optional in the format, default 25:1 here. */
  readonly fpsNumerator: number;
  readonly fpsDenominator: number;
  readonly chroma: ChromaLayout;
  /** `XCOLORRANGE=FULL`: luma and chroma use 0..255 instead of 16..235 / 16..240. */
  readonly fullRange: boolean;
}

/**
 * Frames of a YUV4MPEG2 file or byte stream. Cold and pulled: the file opens on subscribe and the
 * next frame is read only after the previous one was consumed. `timestamp` = index / fps.
 */
export function fromY4M(input: Y4MInput, options: Y4MOptions = {}): Observable<Frame> {
  return pulledObservable((signal) => y4mFrames(input, options, signal));
}

export async function* y4mFrames(input: Y4MInput, options: Y4MOptions = {}, signal = new AbortController().signal): AsyncGenerator<Frame> {
  const pixelFormat = options.pixelFormat ?? 'rgb24';
  if (pixelFormat !== 'rgb24' && pixelFormat !== 'gray') {
    throw new Error(`fromY4M: unsupported pixelFormat '${String(pixelFormat)}': expected 'rgb24' or 'gray'`);
  }
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const reader = new ByteReader(openChunks(input));
  const cancel = () => reader.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const headerLine = await reader.readLine(MAX_HEADER_LINE).catch((error: unknown) => {
      throw headerReadError(input, error);
    });
    if (headerLine === undefined) throw new Error('empty input: expected a Y4M stream starting with "YUV4MPEG2 "');
    const header = parseY4MHeader(headerLine);
    const planes = planeSizes(header);
    const frameBytes = planes.luma + 2 * planes.chroma;
    if (frameBytes > maxFrameBytes) {
      throw new Error(`Y4M frames of ${header.width}×${header.height} ${header.chroma.name} need ${frameBytes} bytes, more than maxFrameBytes = ${maxFrameBytes}`);
    }
    for (let index = 0; !signal.aborted; index++) {
      const frameLine = await reader.readLine(MAX_HEADER_LINE).catch((error: unknown) => {
        throw frameLineError(index, error);
      });
      if (frameLine === undefined) return;
      if (frameLine !== 'FRAME' && !frameLine.startsWith('FRAME ')) {
        throw new Error(`Y4M frame ${index}: expected a "FRAME" line, found ${JSON.stringify(frameLine.slice(0, 40))}`);
      }
      let yuv: Uint8Array | undefined;
      try {
        yuv = await reader.readExactly(frameBytes);
      } catch (error) {
        if (error instanceof TruncatedInputError) {
          throw new Error(`Y4M stream ends inside frame ${index}: got ${error.received} of ${frameBytes} bytes`);
        }
        throw error;
      }
      if (yuv === undefined) throw new Error(`Y4M stream ends after the header of frame ${index}: expected ${frameBytes} bytes of pixels`);
      if (signal.aborted) return;
      const data = pixelFormat === 'gray' ? lumaToGray(yuv.subarray(0, planes.luma), header.fullRange) : yuvToRgb(yuv, header);
      yield {
        data,
        width: header.width,
        height: header.height,
        channels: pixelFormat === 'gray' ? 1 : 3,
        index,
        timestamp: (index * 1000 * header.fpsDenominator) / header.fpsNumerator,
      };
    }
  } finally {
    signal.removeEventListener('abort', cancel);
    reader.cancel();
  }
}

/** Why the header line could not be read: the file itself (missing, unreadable), or bytes that are no Y4M header. */
function headerReadError(input: Y4MInput, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof input === 'string' && typeof code === 'string') {
    return new Error(`cannot open Y4M file '${input}' (${code}: ${(error as Error).message}): expected a readable file`, { cause: error });
  }
  if (error instanceof TruncatedInputError) {
    return new Error(`not a Y4M stream: it ends after ${error.received} bytes without the header's line end; expected "YUV4MPEG2 W<width> H<height> ...\\n"`);
  }
  if (error instanceof TypeError) return new Error(`fromY4M: ${error.message}`, { cause: error });
  return new Error(`not a Y4M stream: ${(error as Error).message} before the header's line end`, { cause: error });
}

/** Why frame `index`'s FRAME line could not be read: its line end never came, or the source failed. */
function frameLineError(index: number, error: unknown): Error {
  if (error instanceof TruncatedInputError) {
    return new Error(`Y4M frame ${index}: expected a "FRAME" line, found ${error.received} bytes without a line end before the input ended`);
  }
  if ((error as Error).message?.startsWith('no line end within')) {
    return new Error(`Y4M frame ${index}: expected a "FRAME" line, found ${MAX_HEADER_LINE} bytes without a line end (the frame size or the FRAME line is wrong)`);
  }
  return error as Error;
}

function openChunks(input: Y4MInput): ChunkSource {
  if (typeof input === 'string') return chunksFromNodeReadable(createReadStream(input));
  if (typeof (input as ReadableStream<Uint8Array>).getReader === 'function') return chunksFromWebStream(input as ReadableStream<Uint8Array>);
  if (typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return chunksFromAsyncIterable(input as AsyncIterable<Uint8Array>);
  throw new TypeError('fromY4M: expected a file path, a ReadableStream<Uint8Array> or an AsyncIterable<Uint8Array>');
}

export function parseY4MHeader(line: string): Y4MHeader {
  const [signature, ...tokens] = line.split(' ');
  if (signature !== 'YUV4MPEG2') {
    throw new Error(`not a Y4M stream: it starts with ${JSON.stringify(line.slice(0, 12))}, expected "YUV4MPEG2 "`);
  }
  let width = 0;
  let height = 0;
  let fps = [25, 1];
  let rateToken = 'F25:1';
  let colourSpace = '420jpeg';
  let fullRange = false;
  for (const token of tokens) {
    const value = token.slice(1);
    switch (token[0]) {
      case 'W': width = Number(value); break;
      case 'H': height = Number(value); break;
      case 'F': fps = value.split(':').map(Number); rateToken = token; break;
      case 'C': colourSpace = value; break;
      case 'X': if (value === 'COLORRANGE=FULL') fullRange = true; break;
      default: break; // interlacing (I), aspect (A): they do not change the pixels
    }
  }
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`Y4M header has no valid size (W${width} H${height}): expected positive integers`);
  }
  const [fpsNumerator, fpsDenominator] = fps as [number, number];
  // Integers (as the format defines them) and bounded, so that every timestamp index·1000·den/num is finite.
  const validRate = fps.length === 2 && fps.every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_FPS_TERM);
  if (!validRate) {
    throw new Error(`Y4M header has an invalid frame rate ${rateToken}: expected F<num>:<den>, integers from 1 to ${MAX_FPS_TERM}`);
  }
  const chroma = CHROMA_LAYOUTS[colourSpace];
  if (!chroma) throw new Error(`unsupported Y4M colour space C${colourSpace}: expected one of ${SUPPORTED_COLOUR_SPACES}`);
  return { width, height, fpsNumerator, fpsDenominator, chroma, fullRange };
}

function planeSizes({ width, height, chroma }: Y4MHeader): { luma: number; chroma: number; chromaWidth: number } {
  const chromaWidth = (width + (1 << chroma.shiftX) - 1) >> chroma.shiftX;
  const chromaHeight = (height + (1 << chroma.shiftY) - 1) >> chroma.shiftY;
  return { luma: width * height, chroma: chroma.hasChroma ? chromaWidth * chromaHeight : 0, chromaWidth };
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}

function lumaToGray(luma: Uint8Array, fullRange: boolean): Uint8Array {
  if (fullRange) return luma.slice();
  const gray = new Uint8Array(luma.length);
  for (let i = 0; i < luma.length; i++) gray[i] = clampByte(((luma[i]! - 16) * 255) / 219);
  return gray;
}

/** BT.601 YCbCr → RGB; chroma is upsampled by repeating each sample over the pixels it covers. */
function yuvToRgb(yuv: Uint8Array, header: Y4MHeader): Uint8Array {
  const { width, height, chroma, fullRange } = header;
  const planes = planeSizes(header);
  const rgb = new Uint8Array(width * height * 3);
  const lumaScale = fullRange ? 1 : 255 / 219;
  const lumaOffset = fullRange ? 0 : 16;
  const chromaScale = fullRange ? 1 : 255 / 224;
  for (let y = 0; y < height; y++) {
    const chromaRow = (y >> chroma.shiftY) * planes.chromaWidth;
    for (let x = 0; x < width; x++) {
      const luma = (yuv[y * width + x]! - lumaOffset) * lumaScale;
      let r = luma;
      let g = luma;
      let b = luma;
      if (chroma.hasChroma) {
        const chromaIndex = chromaRow + (x >> chroma.shiftX);
        const cb = (yuv[planes.luma + chromaIndex]! - 128) * chromaScale;
        const cr = (yuv[planes.luma + planes.chroma + chromaIndex]! - 128) * chromaScale;
        r += 1.402 * cr;
        g -= 0.344136 * cb + 0.714136 * cr;
        b += 1.772 * cb;
      }
      const out = (y * width + x) * 3;
      rgb[out] = clampByte(r);
      rgb[out + 1] = clampByte(g);
      rgb[out + 2] = clampByte(b);
    }
  }
  return rgb;
}
