/**
 * A deterministic synthetic video: a static textured background, a few objects moving across it,
 * sensor noise on a fraction of pixels, and one scene cut. What a static surveillance camera sees,
 * generated so that `npm start` and the tests need nothing but the repository.
 */
import { interval, map, Observable, take } from 'rxjs';
import type { Frame } from '../types.js';
import { gaussian, seededRandom } from './random.js';

export interface SceneOptions {
  readonly width?: number;
  readonly height?: number;
  readonly frames?: number;
  /** Frame index of the scene cut (a new background); -1 for none. Default: two thirds in. */
  readonly cutAt?: number;
  /** Fraction of pixels that get sensor noise each frame (±1-2 grey levels). Default 0.02. */
  readonly noise?: number;
  readonly objects?: number;
  readonly fps?: number;
  readonly seed?: number;
  /** Emit at `fps` in real time (like a camera) instead of as fast as the consumer pulls. */
  readonly realtime?: boolean;
}

interface MovingObject {
  x: number;
  y: number;
  vx: number;
  vy: number;
  radius: number;
  color: [number, number, number];
}

/** Frames of the scene as a cold Observable (RGB, 3 channels). */
export function syntheticScene(options: SceneOptions = {}): Observable<Frame> {
  if (options.realtime) {
    return new Observable<Frame>((subscriber) => {
      const frames = sceneFrames(options);
      return interval(1000 / (options.fps ?? 15))
        .pipe(take(options.frames ?? 90), map(() => frames.next().value as Frame))
        .subscribe(subscriber);
    });
  }
  return new Observable<Frame>((subscriber) => {
    for (const frame of sceneFrames(options)) {
      if (subscriber.closed) return;
      subscriber.next(frame);
    }
    subscriber.complete();
  });
}

/** The same frames, generated lazily one at a time. */
export function* sceneFrames(options: SceneOptions = {}): Generator<Frame> {
  const width = options.width ?? 160;
  const height = options.height ?? 120;
  const count = options.frames ?? 90;
  const cutAt = options.cutAt ?? Math.floor((count * 2) / 3);
  const noise = options.noise ?? 0.02;
  const fps = options.fps ?? 15;
  const random = seededRandom(options.seed ?? 2018);
  let background = texture(width, height, random);
  const objects: MovingObject[] = Array.from({ length: options.objects ?? 3 }, () => ({
    x: random() * width,
    y: random() * height,
    vx: (random() - 0.5) * 6,
    vy: (random() - 0.5) * 3,
    radius: 4 + random() * 8,
    color: [random() * 255, random() * 255, random() * 255],
  }));
  for (let index = 0; index < count; index++) {
    if (index === cutAt) background = texture(width, height, random);
    const data = background.slice();
    for (const object of objects) {
      paintDisc(data, width, height, object);
      object.x = wrap(object.x + object.vx, width);
      object.y = wrap(object.y + object.vy, height);
    }
    const noisyPixels = Math.round(noise * width * height);
    for (let k = 0; k < noisyPixels; k++) {
      const i = Math.floor(random() * width * height) * 3 + Math.floor(random() * 3);
      data[i] = Math.max(0, Math.min(255, data[i]! + Math.round(gaussian(random) * 1.5)));
    }
    yield { data, width, height, channels: 3, index, timestamp: (index * 1000) / fps };
  }
}

function texture(width: number, height: number, random: () => number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  const fx = 0.05 + random() * 0.1;
  const fy = 0.05 + random() * 0.1;
  const phase = random() * 6;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = 110 + 50 * Math.sin(x * fx + phase) * Math.cos(y * fy) + 25 * Math.sin((x + y) * 0.31);
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base + c * 12 + gaussian(random) * 6)));
    }
  }
  return data;
}

function paintDisc(data: Uint8Array, width: number, height: number, object: MovingObject): void {
  const r = object.radius;
  for (let y = Math.max(0, Math.floor(object.y - r)); y <= Math.min(height - 1, Math.ceil(object.y + r)); y++) {
    for (let x = Math.max(0, Math.floor(object.x - r)); x <= Math.min(width - 1, Math.ceil(object.x + r)); x++) {
      if ((x - object.x) ** 2 + (y - object.y) ** 2 > r * r) continue;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.round(object.color[c]!);
    }
  }
}

function wrap(value: number, size: number): number {
  return ((value % size) + size) % size;
}
