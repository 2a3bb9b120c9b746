/**
 * Summaries of a run from the per-layer stats every item carries: what the CLI, `npm start` and the
 * benchmarks print. Pure functions over records; no I/O.
 */
import type { LayerStats } from '../types.js';
import { activeValue, layerActivity, percent, type LayerActivity } from './layer-activity.js';

export interface FrameRecord {
  readonly index: number;
  readonly keyframe: boolean;
  /** A frame that changed as a scene cut does (see the caller's rule), for the plot. */
  readonly sceneCut?: boolean;
  readonly stats: readonly LayerStats[];
}

/** A quantile of a layer's active fractions; a lower bound when dense fallbacks (which only bound theirs) reach it. */
export interface ActiveQuantile {
  readonly value: number;
  /** The frame at the quantile fell back to dense. */
  readonly dense: boolean;
  /** The true quantile may be higher (a dense fallback at or below it). */
  readonly lowerBound: boolean;
}

export interface LayerSummary {
  readonly layer: string;
  readonly kind: string;
  readonly activeMedian: ActiveQuantile;
  readonly activeP90: ActiveQuantile;
  /** Delta frames on which the layer fell back to dense. */
  readonly denseFallbacks: number;
  /** Multiply-adds done over the run / dense multiply-adds over the run (NaN for layers without any). */
  readonly macFraction: number;
  readonly timeMs: number;
}

export interface RunSummary {
  readonly frames: number;
  readonly wallMs: number;
  readonly fps: number;
  readonly keyframes: number;
  readonly sceneCuts: number;
  readonly macs: number;
  readonly denseMacs: number;
  readonly layers: readonly LayerSummary[];
}

/** The first item of a run is always computed as a keyframe, marked or not. */
export function isKeyframe(record: FrameRecord, position: number): boolean {
  return record.keyframe || position === 0;
}

export function summarize(records: readonly FrameRecord[], wallMs: number): RunSummary {
  const byLayer = new Map<string, { stats: LayerStats[]; activity: LayerActivity[] }>();
  let macs = 0;
  let denseMacs = 0;
  records.forEach((record, position) => {
    for (const stat of record.stats) {
      let entry = byLayer.get(stat.layer);
      if (!entry) byLayer.set(stat.layer, (entry = { stats: [], activity: [] }));
      entry.stats.push(stat);
      entry.activity.push(layerActivity(stat, isKeyframe(record, position)));
      macs += stat.macs;
      denseMacs += stat.denseMacs;
    }
  });
  const layers = [...byLayer.entries()].map(([layer, { stats, activity }]): LayerSummary => {
    const done = stats.reduce((n, s) => n + s.macs, 0);
    const dense = stats.reduce((n, s) => n + s.denseMacs, 0);
    return {
      layer,
      kind: stats[0]!.kind,
      activeMedian: activeQuantile(activity, 0.5),
      activeP90: activeQuantile(activity, 0.9),
      denseFallbacks: activity.filter((a) => a.kind === 'dense').length,
      macFraction: dense > 0 ? done / dense : NaN,
      timeMs: stats.reduce((n, s) => n + s.timeMs, 0),
    };
  });
  return {
    frames: records.length,
    wallMs,
    fps: records.length / (wallMs / 1000),
    keyframes: records.filter(isKeyframe).length,
    sceneCuts: records.filter((r) => r.sceneCut).length,
    macs,
    denseMacs,
    layers,
  };
}

/**
 * The q-quantile of the active fractions by nearest rank, dense fallbacks counted at their lower
 * bound: ties sort dense first, so a reported value is exact only when no dense fallback sits at
 * or below it.
 */
export function activeQuantile(activity: readonly LayerActivity[], q: number): ActiveQuantile {
  if (activity.length === 0) return { value: NaN, dense: false, lowerBound: false };
  const sorted = activity.map((a) => ({ value: activeValue(a), dense: a.kind === 'dense' })).sort((a, b) => a.value - b.value || Number(b.dense) - Number(a.dense));
  const rank = Math.min(sorted.length - 1, Math.floor(q * sorted.length));
  const { value, dense } = sorted[rank]!;
  return { value, dense, lowerBound: value < 1 && sorted.slice(0, rank + 1).some((a) => a.dense) };
}

/** `12.3%`, `≥ 12.3%` (a lower bound) or `dense (≥ 15.0%)` (the frame at the quantile fell back to dense). */
export function formatActiveQuantile(a: ActiveQuantile): string {
  if (a.dense) return `dense (≥ ${percent(a.value)})`;
  return a.lowerBound ? `≥ ${percent(a.value)}` : percent(a.value);
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface Comparison {
  /** The same run computed densely, for the speed-up. */
  readonly dense?: RunSummary;
  /** Largest absolute deviation of any output from the dense path. */
  readonly maxDeviation?: number;
  /** Whether a decoder's detections agreed with the dense path's (one line, see formatDetectionAgreement). */
  readonly detections?: string;
}

/** A plain-text report: totals, then one row per layer. */
export function formatSummary(run: RunSummary, comparison: Comparison = {}): string {
  const lines = [
    `frames            ${run.frames}`,
    `frames/s          ${run.fps.toFixed(1)}${comparison.dense ? ` (dense path ${comparison.dense.fps.toFixed(1)}: ${(run.fps / comparison.dense.fps).toFixed(2)}x)` : ''}`,
    `multiply-adds     ${percent(run.denseMacs ? run.macs / run.denseMacs : NaN)} of dense (${(run.macs / 1e6).toFixed(1)} M of ${(run.denseMacs / 1e6).toFixed(1)} M)`,
    `keyframes         ${run.keyframes}${run.sceneCuts ? ` (scene cuts: ${run.sceneCuts})` : ''}`,
  ];
  if (comparison.maxDeviation !== undefined) lines.push(`max deviation     ${comparison.maxDeviation.toExponential(2)} from the dense path`);
  if (comparison.detections) lines.push(comparison.detections);
  const rows = run.layers.map((l) => [
    l.layer, l.kind, formatActiveQuantile(l.activeMedian), formatActiveQuantile(l.activeP90), String(l.denseFallbacks), percent(l.macFraction), (l.timeMs / Math.max(1, run.frames)).toFixed(2),
  ]);
  const headers = ['layer', 'kind', 'active median', 'active p90', 'dense frames', 'MACs done', 'ms/frame'];
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const row = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  const note = run.layers.some((l) => l.denseFallbacks > 0)
    ? ['', 'dense frames: delta frames on which the layer fell back to dense; its active fraction there is a lower bound ("dense (≥ x%)"): it stops counting at its crossover']
    : [];
  return [...lines, '', row(headers), row(widths.map((w) => '-'.repeat(w))), ...rows.map(row), ...note].join('\n');
}
