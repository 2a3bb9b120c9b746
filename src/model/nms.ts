/**
 * Hard non-maximum suppression, the one implementation behind every decoder (UltraFace, YOLO) and
 * the ONNX NonMaxSuppression operator: best score first, a box is dropped when it overlaps an
 * already kept box by more than the IoU threshold.
 */

/** An axis-aligned box by its corners (x1 ≤ x2, y1 ≤ y2). */
export interface Corners {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export function iou(a: Corners, b: Corners): number {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const intersection = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * Indices of the kept boxes, best score first. Ties keep the lower index first (as onnxruntime
 * does). `limit` caps how many are kept; `sameGroup` limits suppression to boxes of one group
 * (class-aware NMS), every box suppressing every other by default.
 */
export function nonMaximumSuppression(
  boxes: readonly Corners[],
  scores: ArrayLike<number>,
  iouThreshold: number,
  options: { readonly limit?: number; readonly sameGroup?: (a: number, b: number) => boolean } = {},
): number[] {
  const order = Array.from({ length: boxes.length }, (_, k) => k).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const limit = options.limit ?? Infinity;
  const kept: number[] = [];
  for (const k of order) {
    if (kept.length >= limit) break;
    const box = boxes[k]!;
    if (kept.every((j) => (options.sameGroup && !options.sameGroup(j, k)) || iou(boxes[j]!, box) <= iouThreshold)) kept.push(k);
  }
  return kept;
}
