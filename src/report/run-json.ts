/**
 * The `rx-rrm run --json` file: compact (about 1 KB per frame for a 42-layer model without
 * `--trace`) and complete. Per-layer values are arrays in the order of the top-level `layers`,
 * so names are written once. Schema: docs/run-json.md.
 */
import type { FaceBox } from '../model/ultraface.js';
import type { FrameDetectionComparison } from '../model/detections.js';
import type { LayerStats } from '../types.js';

export const RUN_JSON_SCHEMA = 'rx-rrm-run/1';

export interface LayerJson {
  readonly name: string;
  readonly kind: string;
  /** Multiply-adds of a dense frame (0 for layers without any). */
  readonly denseMacs: number;
}

export interface TraceJson {
  readonly layer: string;
  readonly width: number;
  readonly height: number;
  /** Indices `y * width + x` of the input pixels the layer integrated, or 'all' when it computed densely. */
  readonly pixels: number[] | 'all';
}

export interface FrameJson {
  readonly index: number;
  readonly timestamp: number;
  readonly keyframe: boolean;
  readonly sceneCut: boolean;
  /** Per layer: the fraction of input pixels integrated; for the layers in `dense`, only a lower bound. */
  readonly active: number[];
  /** Indices (into `layers`) of the layers that computed densely on this frame: all on a keyframe. */
  readonly dense: number[];
  /** Per layer: multiply-adds done. */
  readonly macs: number[];
  /** Per layer: milliseconds. */
  readonly ms: number[];
  /** With a known decoder: `[x1, y1, x2, y2, score]` (and `class` for YOLO) in the model input's pixels, best first. */
  detections?: number[][];
  /** With `--compare-dense`: the largest |difference| from the dense path, per output. */
  deviation?: Record<string, number>;
  /** With `--compare-dense` and a known decoder. */
  agreement?: FrameDetectionComparison;
  /** With `--trace`. */
  trace?: TraceJson;
}

/** The per-layer description, from one frame's stats. */
export function layersJson(stats: readonly LayerStats[]): LayerJson[] {
  return stats.map((s) => ({ name: s.layer, kind: s.kind, denseMacs: s.denseMacs }));
}

export function frameJson(record: { index: number; timestamp: number; keyframe: boolean; sceneCut: boolean; stats: readonly LayerStats[] }): FrameJson {
  const dense: number[] = [];
  record.stats.forEach((s, k) => s.dense && dense.push(k));
  return {
    index: record.index,
    timestamp: round(record.timestamp, 3),
    keyframe: record.keyframe,
    sceneCut: record.sceneCut,
    active: record.stats.map((s) => round(s.activeFraction, 4)),
    dense,
    macs: record.stats.map((s) => s.macs),
    ms: record.stats.map((s) => round(s.timeMs, 3)),
  };
}

/** `[x1, y1, x2, y2, score]`, and the class as a sixth value for detectors with classes (YOLO). */
export function detectionsJson(boxes: readonly (FaceBox & { readonly classId?: number })[]): number[][] {
  return boxes.map((b) => [round(b.x1, 1), round(b.y1, 1), round(b.x2, 1), round(b.y2, 1), round(b.score, 4), ...(b.classId !== undefined ? [b.classId] : [])]);
}

export function traceJson(stat: LayerStats | undefined): TraceJson | undefined {
  if (!stat?.activity) return undefined;
  const { width, height, pixels } = stat.activity;
  return { layer: stat.layer, width, height, pixels: pixels === 'all' || stat.dense ? 'all' : Array.from(pixels) };
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
