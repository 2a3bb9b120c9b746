/** Timing helpers for benchmarks: medians over repeated runs after a warm-up, never single shots. */
import { setFlagsFromString } from 'node:v8';

/**
 * Relaxed SIMD (fused multiply-add) is on by default from Node 22; Node 20 has it behind a flag.
 * Benchmarks turn it on so that they measure what current Node runs (the kernels pick it up through
 * `instructionSet: 'auto'`); it must happen before the kernels are first compiled.
 */
export function enableRelaxedSimd(): void {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

export interface Timing {
  readonly medianMs: number;
  readonly runs: number;
}

/** Runs `work` `warmup` times unmeasured, then `runs` times measured; returns the median. */
export function time(work: () => void, runs = 7, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return { medianMs: median(samples), runs };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Prints rows as an aligned Markdown table (so it can be pasted into notes and the README). */
export function printTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  console.log(line(cells[0]!));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of cells.slice(1)) console.log(line(row));
}
