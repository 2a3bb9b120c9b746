/**
 * Detection models rx-rrm knows how to decode (UltraFace-style face detectors today), and whether a
 * run's detections agree with the dense path's: what `run` reports, `tune --metric detections`
 * keeps, and `--json` records. One definition of agreement for all of them.
 */
import type { ModelOutput } from './executor.js';
import type { OnnxModel } from './model.js';
import { compareFaceScores, decodeUltraFace, faceScores, iou, type FaceBox } from './ultraface.js';

/**
 * The bounds of "the detections agree", over a clip:
 * - on every frame, no prior is a confident face (≥ 0.75) on one side and below 0.65 on the other,
 *   and the decoded boxes match (as many, each within IoU > 0.5 of one on the other side);
 * - the 99th percentile over frames of the largest face-score difference among likely faces
 *   (priors ≥ 0.5 on either side) is at most 0.03;
 * - the 99th percentile over frames of the largest score difference over all priors is at most 0.1.
 */
export const DETECTION_AGREEMENT = { boxIou: 0.5, p99FaceDeviation: 0.03, p99Deviation: 0.1 } as const;

/** One frame against the dense path's same frame. */
export interface FrameDetectionComparison {
  readonly disagreements: number;
  readonly boxesMatch: boolean;
  /** Largest |Δ score| among priors that are a likely face on either side. */
  readonly maxFaceDeviation: number;
  /** Largest |Δ score| over all priors. */
  readonly maxDeviation: number;
}

/** A clip's comparison. */
export interface DetectionAgreement {
  readonly frames: number;
  /** Frames with a disagreeing prior or unmatched boxes. */
  readonly framesDisagreeing: number;
  readonly p99FaceDeviation: number;
  readonly p99Deviation: number;
  readonly agree: boolean;
}

export interface DetectionDecoder {
  /** What the model is, for messages. */
  readonly name: string;
  /** The outputs that hold the scores: what `tune` bounds by default. */
  readonly scoreOutputs: readonly string[];
  /** Detections in the model input's pixels, best first. */
  detect(output: ModelOutput): FaceBox[];
  compare(ours: ModelOutput, reference: ModelOutput): FrameDetectionComparison;
}

/** The decoder for this model's outputs, or undefined when rx-rrm knows none. */
export function knownDecoder(model: Pick<OnnxModel, 'inputs' | 'outputs'>): DetectionDecoder | undefined {
  const scores = model.outputs.find((o) => o.name === 'scores');
  const boxes = model.outputs.find((o) => o.name === 'boxes');
  const [, , height, width] = model.inputs[0]?.dims ?? [];
  if (!scores || !boxes || scores.dims[2] !== 2 || boxes.dims[2] !== 4 || !width || !height) return undefined;
  const detect = (output: ModelOutput) => decodeUltraFace({ scores: output.outputs.scores!, boxes: output.outputs.boxes! }, { width, height });
  return {
    name: 'UltraFace',
    scoreOutputs: ['scores'],
    detect,
    compare: (ours, reference) => {
      const scoresCompared = compareFaceScores(faceScores(ours.outputs.scores!), faceScores(reference.outputs.scores!));
      return { ...scoresCompared, boxesMatch: boxesMatch(detect(ours), detect(reference)) };
    },
  };
}

/** As many boxes on both sides, and every one within IoU > 0.5 of one on the other side. */
export function boxesMatch(ours: readonly FaceBox[], theirs: readonly FaceBox[]): boolean {
  const near = (a: FaceBox, others: readonly FaceBox[]) => others.some((b) => iou(a, b) > DETECTION_AGREEMENT.boxIou);
  return ours.length === theirs.length && theirs.every((b) => near(b, ours)) && ours.every((b) => near(b, theirs));
}

export function detectionAgreement(frames: readonly FrameDetectionComparison[]): DetectionAgreement {
  const framesDisagreeing = frames.filter((f) => f.disagreements > 0 || !f.boxesMatch).length;
  const p99FaceDeviation = percentile99(frames.map((f) => f.maxFaceDeviation));
  const p99Deviation = percentile99(frames.map((f) => f.maxDeviation));
  return {
    frames: frames.length,
    framesDisagreeing,
    p99FaceDeviation,
    p99Deviation,
    agree: framesDisagreeing === 0 && p99FaceDeviation <= DETECTION_AGREEMENT.p99FaceDeviation && p99Deviation <= DETECTION_AGREEMENT.p99Deviation,
  };
}

/** One line: whether the detections agreed with the dense path, and by how much they moved. */
export function formatDetectionAgreement(a: DetectionAgreement, decoder: string): string {
  const verdict = a.agree ? 'agree with the dense path' : 'DO NOT agree with the dense path';
  return (
    `detections (${decoder}) ${verdict}: ${a.frames - a.framesDisagreeing} of ${a.frames} frames with the same faces; ` +
    `p99 face-score deviation ${a.p99FaceDeviation.toFixed(4)} (bound ${DETECTION_AGREEMENT.p99FaceDeviation}), ` +
    `p99 score deviation ${a.p99Deviation.toFixed(4)} (bound ${DETECTION_AGREEMENT.p99Deviation})`
  );
}

/** The 99th percentile by nearest rank (0 for no values). */
function percentile99(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
}
