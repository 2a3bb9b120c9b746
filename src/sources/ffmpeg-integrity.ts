/**
 * Whether a video file decoded whole. ffmpeg exits 0 on many truncated files (a cut mp4 whose
 * remaining samples lie past the end, a matroska file that ends mid-cluster), so a short clip would
 * pass as a complete one. Three checks, all from the same ffmpeg run (no ffprobe, which the bundled
 * ffmpeg lacks) and the file itself:
 *
 * 1. ffmpeg's own errors: lines logged at error level or worse (`-loglevel level+info` prefixes
 *    each line with its level) by the demuxer or decoder: "partial file", "Read error",
 *    "error while decoding MB", "corrupt input packet".
 * 2. What the container declares: its `Duration` (input header lines) against the end of the last
 *    decoded frame, and the frame count that duration means at the stream's rate.
 * 3. Container ends that must be there: a GIF's trailer byte, whole MPEG-TS packets (these formats
 *    declare no duration).
 */
import { open } from 'node:fs/promises';

/** A video file that did not decode whole: cut short, or damaged where ffmpeg reported errors. */
export class TruncatedVideoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TruncatedVideoError';
  }
}

/** What the input header of an ffmpeg run says about the file. */
export interface InputDeclaration {
  /** Demuxer names, e.g. `['mov', 'mp4', ...]`, `['gif']`, `['mpegts']`. */
  formats: string[];
  /** Seconds, when the container declares it (not `N/A`). */
  durationSeconds: number | undefined;
  /** Frames per second of the first video stream, when shown. */
  videoFps: number | undefined;
  /** Whether the file has streams besides video (audio often outlasts video by a little). */
  otherStreams: boolean;
}

/** Reads the input header lines of an ffmpeg run (from `Input #0` to `Stream mapping`). */
export class InputDeclarationReader {
  readonly declaration: InputDeclaration = { formats: [], durationSeconds: undefined, videoFps: undefined, otherStreams: false };
  private state: 'before' | 'input' | 'after' = 'before';

  /** One line of stderr, level prefix already removed. */
  read(line: string): void {
    if (this.state === 'after') return;
    const input = /^Input #0, (.+?), from /.exec(line);
    if (input) {
      this.state = 'input';
      this.declaration.formats = input[1]!.split(',');
      return;
    }
    if (this.state !== 'input') return;
    if (/^(Stream mapping:|Output #)/.test(line.trim())) {
      this.state = 'after';
      return;
    }
    const duration = /^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
    if (duration) {
      this.declaration.durationSeconds = Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]);
      return;
    }
    const stream = /^\s*Stream #0:\d+\S*: (Video|Audio|Subtitle|Data|Attachment):(.*)$/.exec(line);
    if (!stream) return;
    if (stream[1] !== 'Video') {
      this.declaration.otherStreams = true;
      return;
    }
    const fps = /([\d.]+)(k?) fps/.exec(stream[2]!);
    if (fps && this.declaration.videoFps === undefined) this.declaration.videoFps = Number(fps[1]) * (fps[2] ? 1000 : 1);
  }
}

/** What the decoder produced, for the comparison with the declaration. */
export interface DecodedSpan {
  readonly frames: number;
  /** Presentation time of the last frame (seconds, ffmpeg's output time, 0 at the start or seek point). */
  readonly lastPtsSeconds: number;
  /** Time between the last two frames, or undefined with fewer than two. */
  readonly lastIntervalSeconds: number | undefined;
}

export interface DecodeWindow {
  readonly startMs: number;
  readonly endMs: number | undefined;
  /** Output frame rate when resampled (`fps` option). */
  readonly fps: number | undefined;
}

/**
 * Why the decoded span is shorter than the container declares, or undefined when it is not. The
 * tolerance is two frame intervals (0.1 s at least), or 0.5 s when the file also holds audio or
 * other streams, whose end the declared duration may be (audio commonly runs a little past video).
 */
export function shortfall(declaration: InputDeclaration, span: DecodedSpan, window: DecodeWindow): string | undefined {
  const declared = declaration.durationSeconds;
  if (declared === undefined || declared <= 0) return undefined;
  const expectedEnd = window.endMs === undefined ? declared : Math.min(declared, window.endMs / 1000);
  const startSeconds = window.startMs / 1000;
  if (expectedEnd <= startSeconds) return undefined; // a seek past the end: nothing was expected
  const rate = window.fps ?? declaration.videoFps;
  const interval = span.lastIntervalSeconds ?? (rate ? 1 / rate : 0);
  const decodedEnd = span.frames === 0 ? startSeconds : startSeconds + span.lastPtsSeconds + interval;
  const tolerance = Math.max(2 * interval, 0.1, declaration.otherStreams ? 0.5 : 0);
  if (expectedEnd - decodedEnd <= tolerance) return undefined;
  const expectedFrames = rate ? ` (about ${Math.round((expectedEnd - startSeconds) * rate)} frames at ${round(rate)} fps)` : '';
  return `decoded ${span.frames} frames ending at ${round(decodedEnd)} s, but the container declares ${round(expectedEnd)} s${expectedFrames}`;
}

/**
 * Checks of a file's last bytes for containers that declare no duration: a GIF ends with its
 * trailer (0x3B), an MPEG-TS file is whole 188-byte packets (192 for M2TS). Undefined when fine
 * or when the format has no such rule.
 */
export async function containerEndProblem(path: string, formats: readonly string[]): Promise<string | undefined> {
  const gif = formats.includes('gif');
  const transportStream = formats.includes('mpegts');
  if (!gif && !transportStream) return undefined;
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (transportStream) {
      return size % 188 === 0 || size % 192 === 0 ? undefined : `the file (${size} bytes) ends inside an MPEG-TS packet: expected whole 188- or 192-byte packets`;
    }
    const last = new Uint8Array(1);
    await file.read(last, 0, 1, size - 1);
    return last[0] === 0x3b ? undefined : `the GIF ends without its trailer byte (0x3B): its last frame data is cut`;
  } finally {
    await file.close();
  }
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}
