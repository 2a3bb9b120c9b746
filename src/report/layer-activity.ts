/**
 * How to read one layer's `activeFraction` for one frame. A keyframe computes every pixel; a delta
 * frame measures the pixels it integrated; but a layer that falls back to dense stops counting at
 * its crossover (the rest of the scan would be wasted), so its fraction is only a lower bound.
 * Every report (summary tables, JSON, plot, overlay, progress line) reads stats through here.
 */
import type { LayerStats } from '../types.js';

export type LayerActivity =
  /** The whole layer was recomputed because the frame is a keyframe (first frame, forced, scene cut). */
  | { readonly kind: 'keyframe' }
  /** The layer fell back to dense on a delta frame: at least `atLeast` of its input pixels were active. */
  | { readonly kind: 'dense'; readonly atLeast: number }
  /** A sparse update over exactly `active` of the input pixels. */
  | { readonly kind: 'sparse'; readonly active: number };

export function layerActivity(stat: LayerStats, frameIsKeyframe: boolean): LayerActivity {
  if (stat.dense && frameIsKeyframe) return { kind: 'keyframe' };
  // Layers that are always dense (ConvTranspose) or start dense on a new input size report 1.
  if (stat.dense) return { kind: 'dense', atLeast: stat.activeFraction };
  return { kind: 'sparse', active: stat.activeFraction };
}

/** The fraction to plot or average: 1 for keyframes, the lower bound for dense fallbacks. */
export function activeValue(activity: LayerActivity): number {
  return activity.kind === 'keyframe' ? 1 : activity.kind === 'dense' ? activity.atLeast : activity.active;
}

export function percent(fraction: number): string {
  return Number.isNaN(fraction) ? '-' : `${(fraction * 100).toFixed(1)}%`;
}

/** `12.3%`, `dense (≥ 15.0%)`, `dense` or `keyframe`. */
export function formatActivity(activity: LayerActivity): string {
  if (activity.kind === 'keyframe') return 'keyframe';
  if (activity.kind === 'dense') return activity.atLeast >= 1 ? 'dense' : `dense (≥ ${percent(activity.atLeast)})`;
  return percent(activity.active);
}

/** Layers that do multiply-adds (conv, fc): the ones whose activity decides the work. */
export function isLinearLayer(stat: LayerStats): boolean {
  return stat.denseMacs > 0;
}
