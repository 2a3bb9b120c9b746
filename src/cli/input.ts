/**
 * The `--input` of the command line: a video file, an image folder, `camera[:device]`,
 * `tcp://host:port` (connect to a `toSocket` sender), `tcp-listen://host:port` (accept senders),
 * `ws://host:port/path`, or a network stream ffmpeg reads (`rtsp://`, `rtmp://`, `udp://`, `srt://`,
 * `http(s)://`, restarted when it drops), opened as the matching source, and fitted to `--size`.
 */
import { stat } from 'node:fs/promises';
import { map, type Observable } from 'rxjs';
import { fitFrame, type FrameFit } from '../model/preprocess.js';
import { resolveFfmpeg, runToEnd } from '../sources/ffmpeg.js';
import { fromCamera, fromImages, fromNetworkStream, fromSocket, fromVideoFile, fromWebSocket, imageFrames, videoFileFrames, type LivePolicyOptions } from '../sources/index.js';
import type { Frame } from '../types.js';
import { UsageError } from './errors.js';

export interface OpenedInput {
  readonly frames: Observable<Frame>;
  readonly description: string;
  /** Frame count when it can be known in advance (files), for the progress bar's ETA. */
  readonly total: number | undefined;
  /** Files and folders: the same frames pulled one by one (`for await`), for consumers that pace them (`publish`). */
  readonly pull?: () => AsyncIterable<Frame>;
}

export interface InputOptions {
  readonly width?: number;
  readonly height?: number;
  /** How frames meet `width` x `height` (default letterbox). */
  readonly fit?: FrameFit;
  /** Video files: resample to this rate, and cut (ms). */
  readonly fps?: number;
  readonly startMs?: number;
  readonly endMs?: number;
  /** Video files: accept a file that ends early or is damaged instead of failing. */
  readonly allowTruncated?: boolean;
  /** Live inputs (cameras, sockets, network streams): what happens to frames that come faster than they are taken; default the sources' own (`latest`). */
  readonly live?: LivePolicyOptions;
}

export async function openInput(spec: string, options: InputOptions = {}): Promise<OpenedInput> {
  const { width, height } = options;
  const fit = options.fit ?? 'letterbox';
  // A video file stretched to the size is scaled by ffmpeg as it decodes (natively, and the same
  // frames as `fromVideoFile(path, { width, height })` gives a library user); fitFrame then has
  // nothing left to do. Letterboxing stays in fitFrame, whose geometry the overlay maps boxes back with.
  const opened = await openSource(spec, options, fit === 'stretch' && width !== undefined && height !== undefined ? { width, height } : {});
  if (width === undefined || height === undefined) return opened;
  const pull = opened.pull;
  return {
    ...opened,
    frames: opened.frames.pipe(map((frame) => fitFrame(frame, width, height, fit))),
    ...(pull ? { pull: async function* () { for await (const frame of pull()) yield fitFrame(frame, width, height, fit); } } : {}),
  };
}

async function openSource(spec: string, options: InputOptions, decodeSize: { readonly width?: number; readonly height?: number }): Promise<OpenedInput> {
  const network = /^(rtsp|rtsps|rtmp|udp|srt|http|https):\/\//.test(spec);
  const isFile = !network && !/^(camera(:.*)?|(tcp|tcp-listen|ws|wss):\/\/.*)$/.test(spec);
  const timing = options.fps !== undefined || options.startMs !== undefined || options.endMs !== undefined;
  const camera = /^camera(?::(.+))?$/.exec(spec);
  if (timing && !isFile) throw new UsageError(`--fps, --start and --end apply to video files, not to ${spec}`);
  const live = options.live ?? {};
  if (camera) return { frames: fromCamera({ ...live, ...(camera[1] ? { device: camera[1] } : {}) }), description: `camera ${camera[1] ?? '(default)'}`, total: undefined };
  if (network) return { frames: fromNetworkStream(spec, live), description: `network stream ${spec}`, total: undefined };
  const url = /^(tcp|tcp-listen|ws|wss):\/\//.test(spec) ? new URL(spec) : undefined;
  if (url) {
    const port = Number(url.port);
    if (url.protocol === 'ws:' || url.protocol === 'wss:') return { frames: fromWebSocket(spec, live), description: spec, total: undefined };
    if (!Number.isInteger(port) || port <= 0) throw new UsageError(`--input ${spec}: expected a port, as in tcp://127.0.0.1:9000`);
    const host = url.hostname || '127.0.0.1';
    const frames = url.protocol === 'tcp:' ? fromSocket({ ...live, connect: { host, port } }) : fromSocket({ ...live, host, port });
    return { frames, description: spec, total: undefined };
  }
  const info = await stat(spec).catch(() => undefined);
  if (!info) throw new UsageError(`--input ${spec}: no such file or folder (expected a video file, an image folder, camera[:device], tcp://host:port or ws://host:port/path)`);
  if (info.isDirectory()) {
    if (timing) throw new UsageError(`--fps, --start and --end apply to video files, not to the image folder ${spec}`);
    return { frames: fromImages(spec), description: `images in ${spec}`, total: undefined, pull: () => imageFrames(spec) };
  }
  const timingOptions = {
    ...decodeSize,
    ...(options.fps !== undefined ? { fps: options.fps } : {}), ...(options.startMs !== undefined ? { startMs: options.startMs } : {}),
    ...(options.endMs !== undefined ? { endMs: options.endMs } : {}), ...(options.allowTruncated ? { allowTruncated: true } : {}),
  };
  const total = options.fps === undefined ? await countFrames(spec, options.startMs, options.endMs) : undefined;
  return { frames: fromVideoFile(spec, timingOptions), description: spec, total, pull: () => videoFileFrames(spec, timingOptions) };
}

/**
 * The number of video frames, counted by ffmpeg copying the stream to nowhere (no decoding, and
 * any ffmpeg build can: the static one has no ffprobe); undefined when it cannot tell.
 */
async function countFrames(path: string, startMs: number | undefined, endMs: number | undefined): Promise<number | undefined> {
  try {
    const ffmpeg = await resolveFfmpeg();
    const cut = [...(startMs ? ['-ss', String(startMs / 1000)] : []), ...(endMs !== undefined ? ['-t', String((endMs - (startMs ?? 0)) / 1000)] : [])];
    const { stderr, exitCode } = await runToEnd(ffmpeg.path, ['-hide_banner', '-nostdin', ...cut, '-i', path, '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-']);
    const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1];
    return exitCode === 0 && frames !== undefined && Number(frames) > 0 ? Number(frames) : undefined;
  } catch {
    return undefined;
  }
}
