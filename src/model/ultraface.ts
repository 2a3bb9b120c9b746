/**
 * Decoding UltraFace (Ultra-Light-Fast-Generic-Face-Detector-1MB) outputs into face boxes: the
 * model regresses offsets against fixed prior boxes (SSD style, variances 0.1 and 0.2), and the
 * `scores` output holds [background, face] per prior.
 */
import type { OutputTensor } from './executor.js';
import { nonMaximumSuppression, type Corners } from './nms.js';

/** A detected box: corners in pixels of the model's input image, its score and the prior (anchor) it comes from. */
export interface FaceBox extends Corners {
  readonly score: number;
  /** The prior (anchor) the box comes from. */
  readonly prior: number;
}

export interface UltraFaceOptions {
  /** Model input width and height (default 320x240). */
  readonly width?: number;
  readonly height?: number;
  /** Minimum face probability (default 0.7, as the reference implementation). */
  readonly scoreThreshold?: number;
  /** Boxes overlapping a better one by more than this IoU are dropped (default 0.3). */
  readonly iouThreshold?: number;
}

const STRIDES = [8, 16, 32, 64];
const MIN_BOXES = [[10, 16, 24], [32, 48], [64, 96], [128, 192, 256]];
const CENTER_VARIANCE = 0.1;
const SIZE_VARIANCE = 0.2;

/** Priors `[cx, cy, w, h]` relative to the image, in the order of the model's outputs. */
export function ultraFacePriors(width = 320, height = 240): Float32Array {
  const priors: number[] = [];
  STRIDES.forEach((stride, level) => {
    const columns = Math.ceil(width / stride);
    const rows = Math.ceil(height / stride);
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < columns; i++) {
        for (const size of MIN_BOXES[level]!) {
          const clamp = (v: number) => Math.min(1, Math.max(0, v));
          priors.push(clamp(((i + 0.5) * stride) / width), clamp(((j + 0.5) * stride) / height), clamp(size / width), clamp(size / height));
        }
      }
    }
  });
  return Float32Array.from(priors);
}

/** Face probability per prior (`scores[..., 1]`). */
export function faceScores(scores: OutputTensor): Float32Array {
  const count = scores.data.length / 2;
  return Float32Array.from({ length: count }, (_, k) => scores.data[k * 2 + 1]!);
}

/** Score levels of a detector: where a score is a likely detection, below which it is not one, and where it is a confident one. */
export interface ScoreLevels {
  readonly likely: number;
  readonly unlikely: number;
  readonly confident: number;
}

/** Where a face score stops being a likely face, and where it is a confident one. */
export const FACE_SCORE: ScoreLevels = { likely: 0.5, unlikely: 0.65, confident: 0.75 };

/**
 * How two runs' face scores compare, prior by prior: the largest difference over all priors, the
 * largest among priors that are a likely face (≥ 0.5) on either side, and how many priors are a
 * confident face (≥ 0.75) on one side and not even a likely one (< 0.65) on the other — detections
 * that a score threshold between those two would change.
 */
export function compareFaceScores(ours: Float32Array, theirs: Float32Array, levels: ScoreLevels = FACE_SCORE): { maxDeviation: number; maxFaceDeviation: number; disagreements: number } {
  let maxDeviation = 0;
  let maxFaceDeviation = 0;
  let disagreements = 0;
  for (let a = 0; a < ours.length; a++) {
    const deviation = Math.abs(ours[a]! - theirs[a]!);
    maxDeviation = Math.max(maxDeviation, deviation);
    if (ours[a]! >= levels.likely || theirs[a]! >= levels.likely) maxFaceDeviation = Math.max(maxFaceDeviation, deviation);
    if ((ours[a]! >= levels.confident && theirs[a]! < levels.unlikely) || (theirs[a]! >= levels.confident && ours[a]! < levels.unlikely)) disagreements++;
  }
  return { maxDeviation, maxFaceDeviation, disagreements };
}

/** Boxes above the score threshold after hard non-maximum suppression, best first. */
export function decodeUltraFace(outputs: { readonly scores: OutputTensor; readonly boxes: OutputTensor }, options: UltraFaceOptions = {}): FaceBox[] {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const threshold = options.scoreThreshold ?? 0.7;
  const priors = ultraFacePriors(width, height);
  const count = priors.length / 4;
  if (outputs.scores.data.length !== count * 2 || outputs.boxes.data.length !== count * 4) {
    throw new RangeError(`decodeUltraFace: expected ${count} priors for ${width}x${height}, got scores of ${outputs.scores.data.length / 2} and boxes of ${outputs.boxes.data.length / 4}`);
  }
  const candidates: FaceBox[] = [];
  for (let k = 0; k < count; k++) {
    const score = outputs.scores.data[k * 2 + 1]!;
    if (score < threshold) continue;
    const [pcx, pcy, pw, ph] = [priors[k * 4]!, priors[k * 4 + 1]!, priors[k * 4 + 2]!, priors[k * 4 + 3]!];
    const loc = outputs.boxes.data.subarray(k * 4, k * 4 + 4);
    const cx = pcx + loc[0]! * CENTER_VARIANCE * pw;
    const cy = pcy + loc[1]! * CENTER_VARIANCE * ph;
    const w = pw * Math.exp(loc[2]! * SIZE_VARIANCE);
    const h = ph * Math.exp(loc[3]! * SIZE_VARIANCE);
    candidates.push({ x1: (cx - w / 2) * width, y1: (cy - h / 2) * height, x2: (cx + w / 2) * width, y2: (cy + h / 2) * height, score, prior: k });
  }
  return nonMaximumSuppression(candidates, candidates.map((c) => c.score), options.iouThreshold ?? 0.3).map((k) => candidates[k]!);
}
