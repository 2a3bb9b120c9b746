/**
 * The `--input` of the command line: a video file, an image folder, `camera[:device]`,
 * `tcp://host:port` (connect to a `toSocket` sender), `tcp-listen://host:port` (accept senders) or
 * `ws://host:port/path`, opened as the matching source.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Observable } from 'rxjs';
import { fromCamera, fromImages, fromSocket, fromVideoFile, fromWebSocket } from '../sources/index.js';
import type { Frame } from '../types.js';
import { UsageError } from './errors.js';

export interface OpenedInput {
  readonly frames: Observable<Frame>;
  readonly description: string;
  /** Frame count when it can be known in advance (files), for the progress bar's ETA. */
  readonly total: number | undefined;
}

export interface InputOptions {
  readonly width?: number;
  readonly height?: number;
  readonly maxFrames?: number;
}

export async function openInput(spec: string, options: InputOptions = {}): Promise<OpenedInput> {
  const size = { ...(options.width ? { width: options.width } : {}), ...(options.height ? { height: options.height } : {}) };
  const camera = /^camera(?::(.+))?$/.exec(spec);
  if (camera) return { frames: fromCamera({ ...size, ...(camera[1] ? { device: camera[1] } : {}) }), description: `camera ${camera[1] ?? '(default)'}`, total: undefined };
  const url = /^(tcp|tcp-listen|ws|wss):\/\//.test(spec) ? new URL(spec) : undefined;
  if (url) {
    const port = Number(url.port);
    if (url.protocol === 'ws:' || url.protocol === 'wss:') return { frames: fromWebSocket(spec), description: spec, total: undefined };
    if (!Number.isInteger(port) || port <= 0) throw new UsageError(`--input ${spec}: expected a port, as in tcp://127.0.0.1:9000`);
    const host = url.hostname || '127.0.0.1';
    const frames = url.protocol === 'tcp:' ? fromSocket({ connect: { host, port } }) : fromSocket({ host, port });
    return { frames, description: spec, total: undefined };
  }
  const info = await stat(spec).catch(() => undefined);
  if (!info) throw new UsageError(`--input ${spec}: no such file or folder (expected a video file, an image folder, camera[:device], tcp://host:port or ws://host:port/path)`);
  if (info.isDirectory()) return { frames: fromImages(spec), description: `images in ${spec}`, total: undefined };
  return { frames: fromVideoFile(spec, size), description: spec, total: await countFrames(spec) };
}

/** The number of video frames by counting packets with ffprobe (no decoding); undefined without ffprobe. */
function countFrames(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = spawn('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path], { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    probe.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    probe.on('error', () => resolve(undefined));
    probe.on('close', (code) => {
      const count = Number.parseInt(output.trim(), 10);
      resolve(code === 0 && count > 0 ? count : undefined);
    });
  });
}
