/**
 * Summaries of a run from the per-layer stats every item carries: what the CLI, `npm start` and the
 * benchmarks print. Pure functions over records; no I/O.
 */
import type { LayerStats } from '../types.js';

export interface FrameRecord {
  readonly index: number;
  readonly keyframe: boolean;
  readonly stats: readonly LayerStats[];
}

export interface LayerSummary {
  readonly layer: string;
  readonly kind: string;
  readonly activeMedian: number;
  readonly activeP90: number;
  /** Multiply-adds done over the run / dense multiply-adds over the run (NaN for layers without any). */
  readonly macFraction: number;
  readonly timeMs: number;
}

export interface RunSummary {
  readonly frames: number;
  readonly wallMs: number;
  readonly fps: number;
  readonly keyframes: number;
  readonly macs: number;
  readonly denseMacs: number;
  readonly layers: readonly LayerSummary[];
}

export function summarize(records: readonly FrameRecord[], wallMs: number): RunSummary {
  const byLayer = new Map<string, LayerStats[]>();
  let macs = 0;
  let denseMacs = 0;
  for (const record of records) {
    for (const stat of record.stats) {
      let list = byLayer.get(stat.layer);
      if (!list) byLayer.set(stat.layer, (list = []));
      list.push(stat);
      macs += stat.macs;
      denseMacs += stat.denseMacs;
    }
  }
  const layers = [...byLayer.entries()].map(([layer, stats]): LayerSummary => {
    const active = stats.map((s) => s.activeFraction);
    const done = stats.reduce((n, s) => n + s.macs, 0);
    const dense = stats.reduce((n, s) => n + s.denseMacs, 0);
    return {
      layer,
      kind: stats[0]!.kind,
      activeMedian: quantile(active, 0.5),
      activeP90: quantile(active, 0.9),
      macFraction: dense > 0 ? done / dense : NaN,
      timeMs: stats.reduce((n, s) => n + s.timeMs, 0),
    };
  });
  return {
    frames: records.length,
    wallMs,
    fps: records.length / (wallMs / 1000),
    // The first item of a run is always computed as a keyframe, marked or not.
    keyframes: records.filter((r, i) => r.keyframe || i === 0).length,
    macs,
    denseMacs,
    layers,
  };
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
}

/** A plain-text report: totals, then one row per layer. */
export function formatSummary(run: RunSummary, comparison: Comparison = {}): string {
  const percent = (x: number) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
  const lines = [
    `frames            ${run.frames}`,
    `frames/s          ${run.fps.toFixed(1)}${comparison.dense ? ` (dense path ${comparison.dense.fps.toFixed(1)}: ${(run.fps / comparison.dense.fps).toFixed(2)}x)` : ''}`,
    `multiply-adds     ${percent(run.denseMacs ? run.macs / run.denseMacs : NaN)} of dense (${(run.macs / 1e6).toFixed(1)} M of ${(run.denseMacs / 1e6).toFixed(1)} M)`,
    `keyframes         ${run.keyframes}`,
  ];
  if (comparison.maxDeviation !== undefined) lines.push(`max deviation     ${comparison.maxDeviation.toExponential(2)} from the dense path`);
  const rows = run.layers.map((l) => [l.layer, l.kind, percent(l.activeMedian), percent(l.activeP90), percent(l.macFraction), (l.timeMs / Math.max(1, run.frames)).toFixed(2)]);
  const headers = ['layer', 'kind', 'active median', 'active p90', 'MACs done', 'ms/frame'];
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const row = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  return [...lines, '', row(headers), row(widths.map((w) => '-'.repeat(w))), ...rows.map(row)].join('\n');
}
