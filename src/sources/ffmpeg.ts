/**
 * Decoding through an ffmpeg child process: which binary, which flags it understands, and the
 * frame loop shared by `fromVideoFile` and `fromCamera`.
 *
 * Frame geometry and timing come from the `showinfo` filter placed last in the filter chain: it
 * logs one line per frame (size, presentation time) on stderr before the frame is written to
 * stdout. That gives exact presentation times for variable-frame-rate inputs (GIF delays) and the
 * real output size after scaling, without ffprobe (which @ffmpeg-installer does not ship).
 */
import { access, constants } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import type { Frame, FrameChannels } from '../types.js';
import { ByteReader, chunksFromNodeReadable, TruncatedInputError } from './byte-reader.js';
import type { DecodedSpan } from './ffmpeg-integrity.js';
import { killProcess, spawnPiped, type PipedProcess } from './runtime.js';

export type VideoPixelFormat = 'rgb24' | 'gray' | 'rgba';

const CHANNELS_OF: Record<VideoPixelFormat, FrameChannels> = { rgb24: 3, gray: 1, rgba: 4 };

/** Bytes per pixel of `format`, or `undefined` when ffmpeg output in that format is not offered. */
export function channelsOfPixelFormat(format: unknown): FrameChannels | undefined {
  return typeof format === 'string' && Object.hasOwn(CHANNELS_OF, format) ? CHANNELS_OF[format as VideoPixelFormat] : undefined;
}

export function unsupportedPixelFormatMessage(format: unknown): string {
  return `unsupported pixelFormat '${String(format)}': expected 'rgb24', 'gray' or 'rgba'`;
}

export interface FfmpegBinary {
  readonly path: string;
  /** Flags that pass every decoded frame through unchanged (no duplication or dropping). */
  readonly passthroughArgs: readonly string[];
}

/**
 * Finds ffmpeg: the explicit path, then `FFMPEG_PATH`, then `ffmpeg` on PATH, then the static
 * binary of the optional `@ffmpeg-installer/ffmpeg` package. An explicit path is used as given:
 * if it is wrong, the caller hears about it instead of silently getting another binary.
 */
export async function resolveFfmpeg(explicitPath?: string): Promise<FfmpegBinary> {
  const path = explicitPath ?? process.env.FFMPEG_PATH ?? (await findOnPath('ffmpeg')) ?? installerBinary();
  if (path === undefined) {
    throw new Error(
      'ffmpeg not found: pass ffmpegPath, set FFMPEG_PATH, put ffmpeg on PATH, or install the optional dependency @ffmpeg-installer/ffmpeg',
    );
  }
  let probe = probeCache.get(path);
  if (!probe) {
    probe = probePassthroughArgs(path);
    probeCache.set(path, probe);
    probe.catch(() => probeCache.delete(path));
  }
  return { path, passthroughArgs: await probe };
}

const probeCache = new Map<string, Promise<readonly string[]>>();

async function findOnPath(name: string): Promise<string | undefined> {
  const names = process.platform === 'win32' ? [`${name}.exe`] : [name];
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    for (const candidate of names) {
      if (!directory) continue;
      const path = join(directory, candidate);
      try {
        await access(path, constants.X_OK);
        return path;
      } catch {
        // not here: keep looking
      }
    }
  }
  return undefined;
}

function installerBinary(): string | undefined {
  try {
    const installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof installer.path === 'string' ? installer.path : undefined;
  } catch {
    return undefined; // optional dependency not installed or no binary for this platform
  }
}

/**
 * `-fps_mode` replaced `-vsync` in ffmpeg 5.1 (libavutil 57.28). Version strings of git builds
 * ("N-47683-g0e8eb07980") say nothing, so the libavutil version line decides.
 */
async function probePassthroughArgs(path: string): Promise<readonly string[]> {
  const { stdout, exitCode, spawnError } = await runToEnd(path, ['-hide_banner', '-version']);
  if (spawnError) throw ffmpegStartError(path, spawnError);
  const version = /libavutil\s+(\d+)\.\s*(\d+)/.exec(stdout);
  if (exitCode !== 0 || !version) {
    throw new Error(`'${path}' does not behave like ffmpeg: '-version' exited with ${exitCode} and printed no libavutil version`);
  }
  const [major, minor] = [Number(version[1]), Number(version[2])];
  const hasFpsMode = major > 57 || (major === 57 && minor >= 28);
  return hasFpsMode ? ['-fps_mode', 'passthrough'] : ['-vsync', '0'];
}

/** Runs an ffmpeg (or ffprobe) to its end and collects what it printed. */
export function runToEnd(path: string, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | null; spawnError?: Error }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child: PipedProcess;
    try {
      child = spawnPiped(path, args);
    } catch (error) {
      resolve({ stdout, stderr, exitCode: null, spawnError: error as Error });
      return;
    }
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
    child.on('error', (error) => resolve({ stdout, stderr, exitCode: null, spawnError: error }));
    child.on('close', (exitCode) => resolve({ stdout, stderr, exitCode }));
  });
}

function ffmpegStartError(path: string, cause: Error): Error {
  const code = (cause as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not executable' : cause.message;
  return new Error(`cannot start ffmpeg at '${path}' (${reason}): expected the path of an ffmpeg executable`, { cause });
}

export interface DecodeRequest {
  /** ffmpeg arguments that open the input, ending with `-i <input>`. */
  readonly inputArgs: readonly string[];
  /** Filters applied before the pixel format conversion (fps, scale). */
  readonly filters: readonly string[];
  readonly pixelFormat: VideoPixelFormat;
  /** Stop at the first decoding error (files: a truncated file must not pass as a short one). */
  readonly failOnDecodeError: boolean;
  /** Added to ffmpeg's presentation times, which start at 0 after a seek. */
  readonly timestampOffsetMs: number;
  /** What to call the input in error messages. */
  readonly inputName: string;
  readonly onProcess?: (pid: number) => void;
  /** Every stderr line that is not a frame's showinfo line, level prefix removed (the input header). */
  readonly onLogLine?: (line: string) => void;
  /**
   * Called once ffmpeg stopped (cleanly, or at the first frame decoded after an error-level line
   * when `failOnDecodeError`), with what came; throws when the input was not decoded whole.
   */
  readonly verify?: (outcome: DecodeOutcome) => Promise<void>;
}

/** What one decode produced, for `DecodeRequest.verify`. */
export interface DecodeOutcome {
  readonly span: DecodedSpan;
  /** Lines ffmpeg logged at error level or worse (demuxer and decoder errors), oldest first. */
  readonly errorLines: readonly string[];
}

interface ShownFrame {
  readonly width: number;
  readonly height: number;
  readonly ptsSeconds: number;
  /** Error-level lines ffmpeg logged before this frame. */
  readonly errorsBefore: number;
}

/**
 * Runs ffmpeg and yields its frames; reads stdout only as fast as the caller iterates (pull), and
 * kills the process when `signal` aborts or the iteration stops for any reason.
 */
export async function* decodeWithFfmpeg(binary: FfmpegBinary, request: DecodeRequest, signal: AbortSignal): AsyncGenerator<Frame> {
  const channels = CHANNELS_OF[request.pixelFormat];
  const filterChain = [...request.filters, `format=${request.pixelFormat}`, 'showinfo'].join(',');
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', // level+: each line says if it is an error
    ...(request.failOnDecodeError ? ['-xerror'] : []),
    ...request.inputArgs,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filterChain,
    ...binary.passthroughArgs,
    '-f', 'rawvideo', '-pix_fmt', request.pixelFormat, 'pipe:1',
  ];
  if (signal.aborted) return;
  const child = spawnPiped(binary.path, args);
  const stdout = new ByteReader(chunksFromNodeReadable(child.stdout));
  const log = new FfmpegLog(child, request.onLogLine);
  const span = new SpanTracker();
  const exited = processExit(child);
  const kill = () => {
    killProcess(child);
    stdout.cancel();
  };
  signal.addEventListener('abort', kill, { once: true });
  let shortFrame: string | undefined;
  try {
    const started = await Promise.race([log.spawned, exited]);
    if (started instanceof Error) throw ffmpegStartError(binary.path, started);
    if (child.pid !== undefined) request.onProcess?.(child.pid);
    for (let index = 0; ; index++) {
      const shown = await log.nextFrame();
      if (shown === undefined || signal.aborted) break;
      // A frame decoded after a demuxer or decoder error may be damaged: stop before it.
      if (request.failOnDecodeError && shown.errorsBefore > 0) break;
      const byteLength = shown.width * shown.height * channels;
      let data: Uint8Array | undefined;
      try {
        data = await stdout.readExactly(byteLength);
      } catch (error) {
        if (!(error instanceof TruncatedInputError)) throw error;
      }
      if (signal.aborted) return;
      if (data === undefined) {
        // ffmpeg failed between announcing and writing the frame: its exit status usually says why.
        shortFrame = `ffmpeg announced frame ${index} (${shown.width}×${shown.height}) but its output ended before the frame's ${byteLength} bytes`;
        break;
      }
      span.add(shown.ptsSeconds);
      yield {
        data,
        width: shown.width,
        height: shown.height,
        channels,
        index,
        timestamp: request.timestampOffsetMs + shown.ptsSeconds * 1000,
      };
    }
    // Stopped at (or finished after) a demuxer or decoder error: no need to let ffmpeg run on.
    const damaged = request.failOnDecodeError && log.errorLines.length > 0;
    // (Its unread output must go too: the process counts as closed only once stdout has.)
    if (damaged) kill();
    const exit = await exited;
    if (signal.aborted) return;
    if (exit instanceof Error) throw ffmpegStartError(binary.path, exit);
    // Errors while decoding: verify says whether the input is cut or damaged; what it lets pass
    // (an input ffmpeg could not open at all) is reported below.
    if (damaged) await request.verify?.({ span: span.span, errorLines: log.errorLines });
    if (exit.code !== 0 || damaged) {
      throw new Error(
        `ffmpeg could not decode ${request.inputName} (exit ${exit.code ?? exit.signal}): ${log.lastMessages()}; expected a complete video ffmpeg can read`,
      );
    }
    if (shortFrame) throw new Error(`${shortFrame} while decoding ${request.inputName}`);
    await request.verify?.({ span: span.span, errorLines: log.errorLines });
  } finally {
    signal.removeEventListener('abort', kill);
    kill();
  }
}

type ProcessExit = { code: number | null; signal: NodeJS.Signals | null } | Error;

function processExit(child: PipedProcess): Promise<ProcessExit> {
  return new Promise((resolve) => {
    child.once('error', resolve);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

const SHOWINFO_FRAME = /\]\s+(?:\[\w+\]\s+)?n:\s*\d+\s+pts:\s*\S+\s+pts_time:\s*(\S+)\s.*?\bs:(\d+)x(\d+)/;
/** Lines ffmpeg prints on every run: never the reason for a failure. */
const NOT_A_DIAGNOSTIC = /Parsed_showinfo|^(Input|Output) #\d|^Stream mapping:|^Press \[q\]/;
const REMEMBERED_MESSAGES = 6;

/** ffmpeg's stderr: the showinfo frame lines as a queue, the last other lines for error messages. */
class FfmpegLog {
  readonly spawned: Promise<true>;
  private readonly shown: ShownFrame[] = [];
  private readonly messages: string[] = [];
  private partialLine = '';
  private ended = false;
  private wakeReader: (() => void) | undefined;
  private lastPtsSeconds = 0;

  /** Lines logged at error level or worse, the last few (see `REMEMBERED_MESSAGES`). */
  readonly errorLines: string[] = [];
  private errorCount = 0;

  constructor(
    child: PipedProcess,
    private readonly onLine?: (line: string) => void,
  ) {
    this.spawned = new Promise((resolve) => child.once('spawn', () => resolve(true)));
    child.stderr.on('data', (chunk: Buffer) => this.receive(chunk.toString('utf8')));
    child.stderr.on('close', () => this.finish());
    child.stderr.on('error', () => this.finish());
  }

  async nextFrame(): Promise<ShownFrame | undefined> {
    while (this.shown.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wakeReader = resolve));
    return this.shown.shift();
  }

  /** The last lines ffmpeg printed that are not per-frame info: where it says what went wrong. */
  lastMessages(): string {
    return this.messages.join(' | ') || 'no message';
  }

  private receive(text: string): void {
    const lines = (this.partialLine + text).split(/\r?\n|\r/);
    this.partialLine = lines.pop()!;
    lines.forEach((line) => this.parseLine(line));
    this.wake();
  }

  private parseLine(rawLine: string): void {
    const frame = SHOWINFO_FRAME.exec(rawLine);
    if (frame) {
      const pts = Number(frame[1]);
      // A frame without a timestamp (NOPTS) keeps the previous one: times stay monotonic.
      if (Number.isFinite(pts)) this.lastPtsSeconds = pts;
      this.shown.push({ ptsSeconds: this.lastPtsSeconds, width: Number(frame[2]), height: Number(frame[3]), errorsBefore: this.errorCount });
      return;
    }
    const { line, level } = withoutLevel(rawLine);
    this.onLine?.(line);
    if (ERROR_LEVELS.has(level) && !NOT_A_DIAGNOSTIC.test(line) && !OUTPUT_SIDE.test(line)) {
      this.errorCount++;
      this.errorLines.push(line.trim());
      if (this.errorLines.length > REMEMBERED_MESSAGES) this.errorLines.shift();
    }
    if (line.trim() && !line.startsWith(' ') && !NOT_A_DIAGNOSTIC.test(line)) {
      this.messages.push(line.trim());
      if (this.messages.length > REMEMBERED_MESSAGES) this.messages.shift();
    }
  }

  private finish(): void {
    if (this.partialLine) this.parseLine(this.partialLine);
    this.partialLine = '';
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const resolve = this.wakeReader;
    this.wakeReader = undefined;
    resolve?.();
  }
}

const ERROR_LEVELS = new Set(['error', 'fatal', 'panic']);
/**
 * Error-level lines about ffmpeg's output (our raw pipe), not about the input: ffmpeg 5.1 logs
 * "non monotonically increasing dts to muxer" for variable-rate input passed through, a whole file.
 */
const OUTPUT_SIDE = /\bmuxer\b|\bmuxing\b|Error writing trailer|output file/i;

/**
 * A stderr line without the level tag of `-loglevel level+...`: `[error] x` and `[h264 @ 0x1] [error] x`
 * become `x` and `[h264 @ 0x1] x`, level `error`. Lines without a tag keep level `info`.
 */
function withoutLevel(line: string): { line: string; level: string } {
  const tagged = /^((?:\[[^\]]+ @ [^\]]+\] )?)\[(trace|debug|verbose|info|warning|error|fatal|panic)\] ?(.*)$/.exec(line);
  return tagged ? { line: tagged[1]! + tagged[3]!, level: tagged[2]! } : { line, level: 'info' };
}

/** The decoded frames' extent, for comparing with what the container declares. */
class SpanTracker {
  private frames = 0;
  private lastPts = 0;
  private interval: number | undefined;

  add(ptsSeconds: number): void {
    if (this.frames > 0 && ptsSeconds > this.lastPts) this.interval = ptsSeconds - this.lastPts;
    this.lastPts = ptsSeconds;
    this.frames++;
  }

  get span(): DecodedSpan {
    return { frames: this.frames, lastPtsSeconds: this.lastPts, lastIntervalSeconds: this.interval };
  }
}
