/**
 * Detection models rx-rrm knows how to decode (UltraFace-style face detectors, YOLO-style detectors
 * with decoded outputs: anchor-free `[1, 4 + classes, N]`, anchor-based `[1, N, 5 + classes]`), and whether a
 * run's detections agree with the dense path's: what `run` reports, `tune --metric detections`
 * keeps, and `--json` records. One definition of agreement for all of them.
 */
import type { ModelOutput } from './executor.js';
import type { OnnxModel } from './model.js';
import { iou } from './nms.js';
import { compareFaceScores, decodeUltraFace, faceScores, type FaceBox, type ScoreLevels } from './ultraface.js';
import { anchorPointCount, decodeYolo, decodeYoloWithScores, yoloLayout, type YoloOptions } from './yolo.js';

/**
 * The bounds of "the detections agree", over a clip:
 * - on every frame, no prior is a confident face (≥ 0.75) on one side and below 0.65 on the other,
 *   and the decoded boxes match (as many, each within IoU > 0.5 of one on the other side);
 * - the 99th percentile over frames of the largest face-score difference among likely faces
 *   (priors ≥ 0.5 on either side) is at most 0.03;
 * - the 99th percentile over frames of the largest score difference over all priors is at most 0.1.
 * (Score levels of UltraFace; a YOLO decoder uses its own: confident 0.35, not a detection < 0.25,
 * likely ≥ 0.2, see YOLO_SCORE; its priors are anchor points and their score the best class's.)
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
  return ultraFaceDecoder(model) ?? yoloDecoder(model);
}

function ultraFaceDecoder(model: Pick<OnnxModel, 'inputs' | 'outputs'>): DetectionDecoder | undefined {
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

/**
 * YOLO score levels: the default threshold 0.25 is where a box stops being a detection; a score
 * of 0.35 on one side and below 0.25 on the other is a disagreement.
 */
const YOLO_SCORE: ScoreLevels = { likely: 0.2, unlikely: 0.25, confident: 0.35 };

/**
 * A single output `[1, 4 + classes, N]` (anchor-free) or `[1, 3·N, 5 + classes]` (anchor-based),
 * with N the anchor points of strides 8, 16 and 32 at the model's input size.
 */
function yoloDecoder(model: Pick<OnnxModel, 'inputs' | 'outputs'>): DetectionDecoder | undefined {
  const [, , height, width] = model.inputs[0]?.dims ?? [];
  const output = model.outputs.length === 1 ? model.outputs[0]! : undefined;
  if (!output || !width || !height || output.dims.length !== 3 || output.dims.some((d) => d === undefined)) return undefined;
  const dims = output.dims as number[];
  const points = anchorPointCount(width, height);
  const layout = yoloLayout(dims);
  const fits = layout === 'anchor-free' ? dims[2] === points && dims[1]! > 4 : dims[1] === 3 * points && dims[2]! > 5;
  if (dims[0] !== 1 || !fits) return undefined;
  const options: YoloOptions = { width, height, layout };
  const tensor = (o: ModelOutput) => o.outputs[output.name]!;
  const detect = (o: ModelOutput) => decodeYolo(tensor(o), options);
  return {
    name: `YOLO (${layout})`,
    scoreOutputs: [output.name],
    detect,
    compare: (ours, reference) => {
      const [a, b] = [ours, reference].map((o) => decodeYoloWithScores(tensor(o), options));
      return { ...compareFaceScores(a!.scores, b!.scores, YOLO_SCORE), boxesMatch: boxesMatch(a!.detections, b!.detections) };
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
