import { stat } from 'node:fs/promises';
import type { Observable } from 'rxjs';
import type { Frame } from '../types.js';
import { channelsOfPixelFormat, decodeWithFfmpeg, resolveFfmpeg, unsupportedPixelFormatMessage, type DecodeOutcome, type VideoPixelFormat } from './ffmpeg.js';
import { containerEndProblem, InputDeclarationReader, shortfall, TruncatedVideoError, type DecodeWindow, type InputDeclaration } from './ffmpeg-integrity.js';
import { pulledObservable } from './pulled-observable.js';

export interface VideoFileOptions {
  /** Output width in pixels (ffmpeg scales); default the video's own, or kept in proportion to `height`. */
  readonly width?: number;
  /** Output height in pixels; default the video's own, or kept in proportion to `width`. */
  readonly height?: number;
  /** Default `'rgb24'` (3 channels); `'gray'` gives 1, `'rgba'` 4. */
  readonly pixelFormat?: VideoPixelFormat;
  /** Resample to this constant rate; default every frame as decoded, with its own timestamp. */
  readonly fps?: number;
  /** Start at this presentation time (ms); timestamps stay those of the video. */
  readonly startMs?: number;
  /** Stop before this presentation time (ms). */
  readonly endMs?: number;
  /** The ffmpeg executable; default `FFMPEG_PATH`, then PATH, then @ffmpeg-installer/ffmpeg. */
  readonly ffmpegPath?: string;
  /** Called with the decoder's process id once it started (monitoring, tests). */
  readonly onProcess?: (pid: number) => void;
  /**
   * Accept a file that ends early or has damaged parts: emit what ffmpeg decodes and complete.
   * Default false: a file shorter than its container declares, or on which ffmpeg reports a
   * demuxing or decoding error, ends with a `TruncatedVideoError` saying what was expected and what came.
   */
  readonly allowTruncated?: boolean;
}

/**
 * Decodes a video file (anything ffmpeg reads: mp4, mov, avi, mpg, webm, gif, ...) into frames.
 * Cold and pulled: ffmpeg starts on subscribe, the next frame is read from its stdout only after
 * the previous `next` returned (ffmpeg blocks on the full pipe meanwhile), and unsubscribing kills
 * it. `index` counts emitted frames from 0; `timestamp` is the presentation time in ms. A file that
 * is cut short or damaged errors (`TruncatedVideoError`) unless `allowTruncated`.
 */
export function fromVideoFile(path: string, options: VideoFileOptions = {}): Observable<Frame> {
  return pulledObservable((signal) => videoFileFrames(path, options, signal));
}

/** The same frames as an async iterable, for `for await` consumers (pulled by construction). */
export async function* videoFileFrames(path: string, options: VideoFileOptions = {}, signal = new AbortController().signal): AsyncGenerator<Frame> {
  const problem = checkVideoOptions(options);
  if (problem) throw new Error(`fromVideoFile(${JSON.stringify(path)}): ${problem}`);
  await assertReadableFile(path);
  const binary = await resolveFfmpeg(options.ffmpegPath);
  const startMs = options.startMs ?? 0;
  const declared = new InputDeclarationReader();
  const inputName = `'${path}'`;
  const allowTruncated = options.allowTruncated === true;
  const inputArgs = [
    ...(startMs > 0 ? ['-ss', seconds(startMs)] : []),
    ...(options.endMs !== undefined ? ['-t', seconds(options.endMs - startMs)] : []),
    '-i', path,
  ];
  yield* decodeWithFfmpeg(
    binary,
    {
      inputArgs,
      filters: scaleFilters(options),
      pixelFormat: options.pixelFormat ?? 'rgb24',
      failOnDecodeError: !allowTruncated,
      timestampOffsetMs: startMs,
      inputName,
      ...(options.onProcess ? { onProcess: options.onProcess } : {}),
      onLogLine: (line) => declared.read(line),
      ...(allowTruncated ? {} : { verify: (outcome: DecodeOutcome) => verifyWhole(path, inputName, declared.declaration, outcome, { startMs, endMs: options.endMs, fps: options.fps }) }),
    },
    signal,
  );
}

/** Throws a `TruncatedVideoError` unless the file decoded whole (see ffmpeg-integrity.ts). */
async function verifyWhole(path: string, inputName: string, declaration: InputDeclaration, outcome: DecodeOutcome, window: DecodeWindow): Promise<void> {
  const accept = 'pass allowTruncated: true to accept what decodes';
  // ffmpeg never opened the input: no container to be cut; its own failure message says more.
  if (declaration.formats.length === 0) return;
  if (outcome.errorLines.length > 0) {
    throw new TruncatedVideoError(
      `${inputName} is truncated or damaged: ffmpeg reported "${outcome.errorLines.slice(-3).join(' | ')}" after ${outcome.span.frames} frames; expected a complete video (${accept})`,
    );
  }
  const short = shortfall(declaration, outcome.span, window);
  if (short) throw new TruncatedVideoError(`${inputName} is truncated: ${short}; expected a complete video (${accept})`);
  const end = await containerEndProblem(path, declaration.formats);
  if (end) throw new TruncatedVideoError(`${inputName} is truncated: ${end}, after ${outcome.span.frames} frames; expected a complete video (${accept})`);
}

/** ffmpeg filters for the options shared by files and cameras: frame rate, then size. */
export function scaleFilters(options: { readonly fps?: number; readonly width?: number; readonly height?: number }): string[] {
  const filters: string[] = [];
  if (options.fps !== undefined) filters.push(`fps=${options.fps}`);
  if (options.width !== undefined || options.height !== undefined) {
    // -1 keeps the aspect ratio for the side that was not given.
    filters.push(`scale=${options.width ?? -1}:${options.height ?? -1}`);
  }
  return filters;
}

/** Option problems shared by files and cameras, as a message; `undefined` when all is well. */
export function checkVideoOptions(options: VideoFileOptions): string | undefined {
  if (options.pixelFormat !== undefined && channelsOfPixelFormat(options.pixelFormat) === undefined) {
    return unsupportedPixelFormatMessage(options.pixelFormat);
  }
  for (const key of ['width', 'height'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) return `${key} must be a positive integer, got ${value}`;
  }
  if (options.fps !== undefined && !(Number.isFinite(options.fps) && options.fps > 0)) return `fps must be a positive number, got ${options.fps}`;
  if (options.startMs !== undefined && !(Number.isFinite(options.startMs) && options.startMs >= 0)) {
    return `startMs must be a number ≥ 0, got ${options.startMs}`;
  }
  if (options.endMs !== undefined && !(Number.isFinite(options.endMs) && options.endMs > (options.startMs ?? 0))) {
    return `endMs must be a number greater than startMs (${options.startMs ?? 0}), got ${options.endMs}`;
  }
  return undefined;
}

async function assertReadableFile(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`video file '${path}' cannot be opened (${code ?? (error as Error).message}): expected an existing, readable file`, { cause: error });
  }
  if (!isFile) throw new Error(`'${path}' is not a file: expected a video file`);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(6);
}
