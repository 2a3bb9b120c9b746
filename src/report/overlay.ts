/**
 * The overlay video: each input frame with a chosen layer's integrated pixels as a translucent red
 * heat map (the whole frame, labelled, when the layer computed densely) and, for detection models,
 * the detected boxes in green; encoded by ffmpeg as a child
 * process reading raw RGB frames on stdin (an argument array, no shell).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { resolveFfmpeg } from '../sources/ffmpeg.js';
import type { Frame, LayerStats } from '../types.js';
import { formatActivity, layerActivity } from './layer-activity.js';
import { Raster, type Rgb } from './raster.js';

/** A box in the frame's pixel coordinates. */
export interface OverlayBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

const HEAT: Rgb = [255, 40, 0];
const HEAT_ALPHA = 0.5;
const BOX: Rgb = [0, 255, 80];
const LABEL_INK: Rgb = [255, 255, 255];
const LABEL_BACKGROUND: Rgb = [0, 0, 0];

/** Where the model's input lies over the frame: model x = frame x · scaleX + offsetX (letterbox or stretch). */
export interface ModelPlacement {
  readonly width: number;
  readonly height: number;
  readonly scaleX: number;
  readonly scaleY: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

/** What the overlay shows of the chosen layer for one frame. */
export interface OverlayLayer {
  readonly stats: LayerStats | undefined;
  /** The frame is a keyframe: every layer computed densely. */
  readonly keyframe: boolean;
}

/**
 * The frame's RGB pixels with the layer's integrated pixels tinted red and the boxes drawn (a new
 * array). A layer that computed densely tints the whole frame and says so in a label: its trace
 * then lists only the pixels counted before it passed its crossover, not where the work went.
 */
export function drawOverlay(frame: Frame, layer: OverlayLayer, boxes: readonly OverlayBox[], placement?: ModelPlacement): Uint8Array {
  const { width, height, channels, data } = frame;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * channels + (channels === 1 ? 0 : c)]!;
  }
  const picture = Raster.wrap(rgb, width, height);
  const stats = layer.stats;
  const activity = stats ? layerActivity(stats, layer.keyframe) : undefined;
  if (activity && activity.kind !== 'sparse') {
    picture.tintRect(0, 0, width, height, HEAT, HEAT_ALPHA);
    picture.label(2, 2, `${stats!.layer}: ${formatActivity(activity)}`, LABEL_INK, LABEL_BACKGROUND);
  } else if (stats?.activity && stats.activity.pixels !== 'all') {
    const trace = stats.activity;
    const mask = new Uint8Array(trace.width * trace.height);
    for (const pixel of trace.pixels as Int32Array) mask[pixel] = 1;
    const model = placement ?? { width, height, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 };
    // Frame pixel -> model input pixel -> the layer's input grid (which may be smaller).
    const cell = (v: number, scale: number, offset: number, modelSize: number, traceSize: number) => Math.floor((((v + 0.5) * scale + offset) * traceSize) / modelSize);
    for (let y = 0; y < height; y++) {
      const ty = cell(y, model.scaleY, model.offsetY, model.height, trace.height);
      if (ty < 0 || ty >= trace.height) continue;
      for (let x = 0; x < width; x++) {
        const tx = cell(x, model.scaleX, model.offsetX, model.width, trace.width);
        if (tx >= 0 && tx < trace.width && mask[ty * trace.width + tx]) picture.tintRect(x, y, 1, 1, HEAT, HEAT_ALPHA);
      }
    }
  }
  for (const box of boxes) picture.strokeRect(Math.round(box.x1), Math.round(box.y1), Math.round(box.x2 - box.x1) + 1, Math.round(box.y2 - box.y1) + 1, BOX, 2);
  return rgb;
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
