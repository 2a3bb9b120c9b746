/**
 * Decoding YOLO-style detector outputs into boxes, for the layouts exporters produce:
 *
 * - anchor-free, decoded (YOLOv8 and later): `[1, 4 + classes, N]`, per anchor point the box centre
 *   and size in input pixels, then per-class probabilities;
 * - anchor-free, raw with DFL (a head cut before its decoding): `[1, 4·bins + classes, N]`, per side
 *   `bins` logits whose softmax expectation is the distance from the anchor point in strides, then
 *   class logits; the anchor points follow from the input size and the strides;
 * - anchor-based, decoded (YOLOv5/v7): `[1, N, 5 + classes]`, box centre and size in pixels,
 *   objectness, per-class probabilities (score = objectness · class probability).
 *
 * Then: the best class per anchor, a score threshold, and non-maximum suppression per class.
 */
import type { OutputTensor } from './executor.js';
import { nonMaximumSuppression } from './nms.js';
import type { FaceBox } from './ultraface.js';

export type YoloLayout = 'anchor-free' | 'anchor-based';

export interface YoloDetection extends FaceBox {
  /** The best class of the box. */
  readonly classId: number;
}

export interface YoloOptions {
  /** Model input size in pixels: needed for raw (DFL) outputs, and to clip boxes. */
  readonly width: number;
  readonly height: number;
  /** Default: anchor-free with `bins`; else `[1, C, N]` with C < N anchor-free, `[1, N, C]` with N > C anchor-based. */
  readonly layout?: YoloLayout;
  /** Raw anchor-free output: the DFL bins per box side (16 in YOLOv8); the class part is then logits. */
  readonly bins?: number;
  /** Strides of the anchor grids of a raw output (default 8, 16, 32). */
  readonly strides?: readonly number[];
  /** Minimum score (default 0.25). */
  readonly scoreThreshold?: number;
  /** Boxes of one class overlapping a better one by more than this IoU are dropped (default 0.45). */
  readonly iouThreshold?: number;
  /** Suppress across classes too (default false: per class). */
  readonly classAgnostic?: boolean;
  /** At most this many boxes (default 300). */
  readonly maxDetections?: number;
}

/** Per anchor: box corners in input pixels, best class and score. */
interface Candidates {
  readonly count: number;
  readonly corners: Float32Array;
  readonly scores: Float32Array;
  readonly classes: Int32Array;
}

export function yoloLayout(dims: readonly number[]): YoloLayout {
  return dims.length === 3 && dims[1]! > dims[2]! ? 'anchor-based' : 'anchor-free';
}

/** The number of anchor points of anchor-free heads at `strides` for an input of width x height. */
export function anchorPointCount(width: number, height: number, strides: readonly number[] = [8, 16, 32]): number {
  return strides.reduce((n, s) => n + Math.ceil(height / s) * Math.ceil(width / s), 0);
}

/** Anchor points (cell centres, in strides) and their strides, level by level, row-major: YOLOv8's `make_anchors`. */
export function anchorPoints(width: number, height: number, strides: readonly number[] = [8, 16, 32]): { x: Float32Array; y: Float32Array; stride: Float32Array } {
  const count = anchorPointCount(width, height, strides);
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  const stride = new Float32Array(count);
  let k = 0;
  for (const s of strides) {
    for (let row = 0; row < Math.ceil(height / s); row++) {
      for (let column = 0; column < Math.ceil(width / s); column++, k++) {
        x[k] = column + 0.5;
        y[k] = row + 0.5;
        stride[k] = s;
      }
    }
  }
  return { x, y, stride };
}

function candidates(output: OutputTensor, options: YoloOptions): Candidates {
  const { dims, data } = output;
  if (dims.length !== 3 || dims[0] !== 1) throw new RangeError(`decodeYolo: expected a [1, C, N] or [1, N, C] output, got [${dims.join(', ')}]`);
  const layout = options.layout ?? (options.bins ? 'anchor-free' : yoloLayout(dims));
  if (layout === 'anchor-based') return anchorBased(dims[1]!, dims[2]!, data);
  return options.bins ? anchorFreeRaw(dims[1]!, dims[2]!, data, options) : anchorFree(dims[1]!, dims[2]!, data);
}

const toCorners = (corners: Float32Array, k: number, cx: number, cy: number, w: number, h: number) => {
  corners[k * 4] = cx - w / 2;
  corners[k * 4 + 1] = cy - h / 2;
  corners[k * 4 + 2] = cx + w / 2;
  corners[k * 4 + 3] = cy + h / 2;
};

function anchorFree(channels: number, count: number, data: Float32Array): Candidates {
  const classes = channels - 4;
  if (classes < 1) throw new RangeError(`decodeYolo: an anchor-free output needs 4 box values and at least one class per anchor, got ${channels}`);
  const corners = new Float32Array(count * 4);
  const scores = new Float32Array(count);
  const best = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    toCorners(corners, k, data[k]!, data[count + k]!, data[2 * count + k]!, data[3 * count + k]!);
    let top = 0;
    for (let c = 1; c < classes; c++) if (data[(4 + c) * count + k]! > data[(4 + top) * count + k]!) top = c;
    scores[k] = data[(4 + top) * count + k]!;
    best[k] = top;
  }
  return { count, corners, scores, classes: best };
}

function anchorFreeRaw(channels: number, count: number, data: Float32Array, options: YoloOptions): Candidates {
  const bins = options.bins!;
  const classes = channels - 4 * bins;
  if (classes < 1) throw new RangeError(`decodeYolo: a raw output with ${bins} bins per side needs more than ${4 * bins} channels, got ${channels}`);
  const strides = options.strides ?? [8, 16, 32];
  const points = anchorPoints(options.width, options.height, strides);
  if (points.x.length !== count) {
    throw new RangeError(`decodeYolo: ${options.width}x${options.height} at strides ${strides.join(', ')} has ${points.x.length} anchor points, the output ${count}`);
  }
  const corners = new Float32Array(count * 4);
  const scores = new Float32Array(count);
  const best = new Int32Array(count);
  const distance = new Float64Array(4);
  for (let k = 0; k < count; k++) {
    for (let side = 0; side < 4; side++) {
      // The softmax expectation over the side's bins.
      let max = -Infinity;
      for (let b = 0; b < bins; b++) max = Math.max(max, data[(side * bins + b) * count + k]!);
      let sum = 0;
      let expectation = 0;
      for (let b = 0; b < bins; b++) {
        const e = Math.exp(data[(side * bins + b) * count + k]! - max);
        sum += e;
        expectation += b * e;
      }
      distance[side] = expectation / sum;
    }
    const s = points.stride[k]!;
    const [left, top, right, bottom] = distance;
    corners[k * 4] = (points.x[k]! - left!) * s;
    corners[k * 4 + 1] = (points.y[k]! - top!) * s;
    corners[k * 4 + 2] = (points.x[k]! + right!) * s;
    corners[k * 4 + 3] = (points.y[k]! + bottom!) * s;
    let topClass = 0;
    for (let c = 1; c < classes; c++) if (data[(4 * bins + c) * count + k]! > data[(4 * bins + topClass) * count + k]!) topClass = c;
    scores[k] = 1 / (1 + Math.exp(-data[(4 * bins + topClass) * count + k]!));
    best[k] = topClass;
  }
  return { count, corners, scores, classes: best };
}

function anchorBased(count: number, channels: number, data: Float32Array): Candidates {
  const classes = channels - 5;
  if (classes < 1) throw new RangeError(`decodeYolo: an anchor-based output needs 5 values and at least one class per anchor, got ${channels}`);
  const corners = new Float32Array(count * 4);
  const scores = new Float32Array(count);
  const best = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const row = k * channels;
    toCorners(corners, k, data[row]!, data[row + 1]!, data[row + 2]!, data[row + 3]!);
    let top = 0;
    for (let c = 1; c < classes; c++) if (data[row + 5 + c]! > data[row + 5 + top]!) top = c;
    scores[k] = data[row + 4]! * data[row + 5 + top]!;
    best[k] = top;
  }
  return { count, corners, scores, classes: best };
}

/** Per anchor, its best class score: what detections are thresholded on (for comparing two runs). */
export function yoloScores(output: OutputTensor, options: YoloOptions): Float32Array {
  return candidates(output, options).scores;
}

/** Boxes above the score threshold after non-maximum suppression, best first, in the model input's pixels. */
export function decodeYolo(output: OutputTensor, options: YoloOptions): YoloDetection[] {
  return detectionsOf(candidates(output, options), options);
}

/**
 * The scores and the detections of one output, decoded once (comparing two runs needs both; each
 * decode is a pass over every anchor's classes).
 */
export function decodeYoloWithScores(output: OutputTensor, options: YoloOptions): { scores: Float32Array; detections: YoloDetection[] } {
  const all = candidates(output, options);
  return { scores: all.scores, detections: detectionsOf(all, options) };
}

function detectionsOf(all: Candidates, options: YoloOptions): YoloDetection[] {
  const threshold = options.scoreThreshold ?? 0.25;
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  const kept: YoloDetection[] = [];
  for (let k = 0; k < all.count; k++) {
    if (!(all.scores[k]! >= threshold)) continue;
    kept.push({
      x1: clip(all.corners[k * 4]!, options.width),
      y1: clip(all.corners[k * 4 + 1]!, options.height),
      x2: clip(all.corners[k * 4 + 2]!, options.width),
      y2: clip(all.corners[k * 4 + 3]!, options.height),
      score: all.scores[k]!,
      classId: all.classes[k]!,
      prior: k,
    });
  }
  const sameGroup = options.classAgnostic ? undefined : (a: number, b: number) => kept[a]!.classId === kept[b]!.classId;
  const order = nonMaximumSuppression(kept, kept.map((d) => d.score), options.iouThreshold ?? 0.45, { limit: options.maxDetections ?? 300, ...(sameGroup ? { sameGroup } : {}) });
  return order.map((k) => kept[k]!);
}
