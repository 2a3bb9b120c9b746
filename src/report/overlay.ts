/**
 * The overlay video: each input frame with a chosen layer's integrated pixels as a translucent red
 * heat map and, for detection models, the detected boxes in green; encoded by ffmpeg as a child
 * process reading raw RGB frames on stdin (an argument array, no shell).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { resolveFfmpeg } from '../sources/ffmpeg.js';
import type { ActivityTrace, Frame } from '../types.js';

/** A box in the frame's pixel coordinates. */
export interface OverlayBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

const HEAT = [255, 40, 0];
const HEAT_ALPHA = 0.5;
const BOX = [0, 255, 80];

/** The frame's RGB pixels with the activity mask blended in and the boxes drawn (a new array). */
export function drawOverlay(frame: Frame, activity: ActivityTrace | undefined, boxes: readonly OverlayBox[]): Uint8Array {
  const { width, height, channels, data } = frame;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * channels + (channels === 1 ? 0 : c)]!;
  }
  if (activity) {
    const mask = new Uint8Array(activity.width * activity.height);
    if (activity.pixels === 'all') mask.fill(1);
    else for (const pixel of activity.pixels) mask[pixel] = 1;
    for (let y = 0; y < height; y++) {
      const my = Math.min(activity.height - 1, Math.floor((y * activity.height) / height));
      for (let x = 0; x < width; x++) {
        if (!mask[my * activity.width + Math.min(activity.width - 1, Math.floor((x * activity.width) / width))]) continue;
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) rgb[i + c] = Math.round(rgb[i + c]! * (1 - HEAT_ALPHA) + HEAT[c]! * HEAT_ALPHA);
      }
    }
  }
  for (const box of boxes) drawRectangle(rgb, width, height, box);
  return rgb;
}

function drawRectangle(rgb: Uint8Array, width: number, height: number, box: OverlayBox): void {
  const clampX = (v: number) => Math.max(0, Math.min(width - 1, Math.round(v)));
  const clampY = (v: number) => Math.max(0, Math.min(height - 1, Math.round(v)));
  const [x1, x2, y1, y2] = [clampX(box.x1), clampX(box.x2), clampY(box.y1), clampY(box.y2)];
  const paint = (x: number, y: number) => rgb.set(BOX, (y * width + x) * 3);
  for (let t = 0; t < 2; t++) {
    for (let x = x1; x <= x2; x++) {
      paint(x, Math.min(height - 1, y1 + t));
      paint(x, Math.max(0, y2 - t));
    }
    for (let y = y1; y <= y2; y++) {
      paint(Math.min(width - 1, x1 + t), y);
      paint(Math.max(0, x2 - t), y);
    }
  }
}

/** Writes frames to a video file through ffmpeg; `close()` waits for the file to be complete. */
export class OverlayVideoWriter {
  private constructor(
    private readonly encoder: ChildProcessWithoutNullStreams,
    private readonly frameBytes: number,
    private readonly stderr: string[],
  ) {}

  static async open(path: string, width: number, height: number, fps: number): Promise<OverlayVideoWriter> {
    const ffmpeg = await resolveFfmpeg();
    const args = ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      // Even sizes for yuv420p; mpeg4 is in every ffmpeg build, unlike libx264.
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'mpeg4', '-q:v', '3', '-pix_fmt', 'yuv420p', path];
    const encoder = spawn(ffmpeg.path, args, { stdio: ['pipe', 'ignore', 'pipe'] }) as unknown as ChildProcessWithoutNullStreams;
    const stderr: string[] = [];
    encoder.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    return new OverlayVideoWriter(encoder, width * height * 3, stderr);
  }

  async write(rgb: Uint8Array): Promise<void> {
    if (rgb.length !== this.frameBytes) throw new Error(`overlay: frame of ${rgb.length} bytes, expected ${this.frameBytes}`);
    if (!this.encoder.stdin.write(rgb)) await once(this.encoder.stdin, 'drain');
  }

  async close(): Promise<void> {
    this.encoder.stdin.end();
    const [code] = (await once(this.encoder, 'close')) as [number | null];
    if (code !== 0) throw new Error(`overlay: ffmpeg exited with ${code}: ${this.stderr.join('').trim().slice(-400)}`);
  }

  /** Stops the encoder without waiting for a complete file (on errors). */
  abort(): void {
    this.encoder.kill('SIGKILL');
  }
}
