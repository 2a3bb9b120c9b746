/**
 * `npm run bench -- browser`: UltraFace-slim-320 at 320x240 on the mp4 clips of ../shared/data, in
 * headless Chromium (Debian's), rx-rrm's wasm kernels against onnxruntime-web's WebAssembly
 * backend, on one thread, and on two in a cross-origin isolated page (both sides: rx-rrm's helper
 * Web Worker, onnxruntime-web's own thread pool).
 *
 * Same SIMD: onnxruntime-web 1.30 ships one WebAssembly build with SIMD 128 and no relaxed SIMD
 * (its module validates without the feature), so the headline runs rx-rrm's SIMD build; the
 * relaxed-SIMD (fused multiply-add) build is a row of its own. Frames are decoded once in Node
 * (the project's ffmpeg) and fetched by the page as raw RGB; preprocessing is timed on both sides
 * (onnxruntime: a plain NCHW loop, as its users write it; rx-rrm: model.pipeline).
 *
 * Whole clip: frames / total time of a pass over the clip's frames, the first frame and every dense fallback included.
 * Accuracy: τ* is the largest τ of the ladder whose detections agree with onnxruntime-web's own
 * outputs on every frame under src/model/detections.ts (detectionAgreement via knownDecoder),
 * searched with absolute and relative thresholds, the mode with fewer multiply-adds timed.
 * Rounds: BROWSER_BENCH_ROUNDS (default 5), contenders alternating within each round; a ratio is
 * the median over rounds of the per-round ratio, with its range. BROWSER_BENCH_CLIPS=car,person
 * limits the clips, BROWSER_BENCH_FRAMES=N the frames per clip (default the first 300, 10-12 s of
 * video; `all` for the whole clips), BROWSER_BENCH_THREADS=1 the thread counts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserServer } from '../examples/browser/server.js';
import { chromiumMissing, launchChromium } from '../test/helpers/chromium.js';
import { readFrames } from '../test/helpers/onnx-video.js';
import { median, printTable } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LADDER = [0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1];
const ROUNDS = Math.max(1, Number(process.env.BROWSER_BENCH_ROUNDS ?? 5));
/** The clips hold 377-1394 frames: a full run on every one takes about an hour on two shared cores. */
const MAX_FRAMES = process.env.BROWSER_BENCH_FRAMES === 'all' ? Infinity : Number(process.env.BROWSER_BENCH_FRAMES ?? 300);
const THREADS = (process.env.BROWSER_BENCH_THREADS ?? '1,2').split(',').map(Number) as (1 | 2)[];

interface ClipResult {
  frames: number;
  chosen?: { threshold: number; thresholdMode: string; macFraction: number; p99Face: number; p99: number };
  modes: Record<string, { threshold: number; macFraction: number }>;
  exactMacFraction: number;
  totals: Record<string, number[]>;
  medianFrameMs: Record<string, number[]>;
  slowest: { frame: number; ms: number; layers: [string, number][] }[];
}

type BenchWindow = { rrmBench: { init(threads: number): Promise<{ notes: string[]; isolated: boolean }>; runClip(request: unknown): Promise<ClipResult> } };

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function run(): Promise<void> {
  if (chromiumMissing) return console.log(`skipped: ${chromiumMissing}`);
  const dir = mkdtempSync(join(tmpdir(), 'rrm-browser-bench-'));
  const server = await startBrowserServer({
    scripts: { '/bench-page.js': join(ROOT, 'bench/browser/page.ts') },
    pages: { '/bench.html': join(ROOT, 'bench/browser/page.html') },
    folders: { '/ort/': join(ROOT, 'node_modules/onnxruntime-web/dist'), '/frames/': dir },
  });
  const browser = await launchChromium();
  try {
    if (!server.data.available) return console.log(`skipped: ${server.data.reason}`);
    const wanted = process.env.BROWSER_BENCH_CLIPS?.split(',');
    const clips = server.data.clips.map((url) => url.split('/').pop()!).filter((c) => !wanted || wanted.some((w) => c.includes(w)));
    for (const clip of clips) {
      const frames = await readFrames(join(ROOT, '../shared/data/videos', clip), MAX_FRAMES, { width: 320, height: 240 });
      writeFileSync(join(dir, `${clip}.rgb`), Buffer.concat(frames.slice(0, MAX_FRAMES).map((f) => f.data)));
    }
    console.log(`Chromium ${browser.version()}; ${ROUNDS} rounds; UltraFace-slim-320 at 320x240, preprocessing included on both sides`);
    const chosen = new Map<string, ClipResult['chosen']>();
    const summary: string[][] = [];
    const details: string[][] = [];
    const slowLines: string[] = [];
    for (const threads of THREADS) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(new URL('bench.html', server.url).href);
      await page.waitForFunction(() => 'rrmBench' in window);
      const { notes, isolated } = await page.evaluate((n) => (window as unknown as BenchWindow).rrmBench.init(n), threads);
      console.log(`${threads} thread(s), page ${isolated ? '' : 'not '}cross-origin isolated: ${notes.join('; ')}`);
      for (const clip of clips) {
        const request = { url: `/frames/${clip}.rgb`, ladder: LADDER, rounds: ROUNDS, ...(threads > 1 && chosen.get(clip) ? { chosen: chosen.get(clip) } : {}) };
        const result = await page.evaluate((r) => (window as unknown as BenchWindow).rrmBench.runClip(r), request);
        if (threads === 1) chosen.set(clip, result.chosen);
        const ortTotals = result.totals['onnxruntime-web']!;
        const ratioOf = (label: string) => {
          const ratios = result.totals[label]!.map((ms, round) => ortTotals[round]! / ms);
          return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
        };
        const fps = (label: string) => median(result.totals[label]!.map((ms) => (1000 * result.frames) / ms));
        const star = ratioOf('rx-rrm τ*');
        const relaxed = result.totals['rx-rrm τ*, relaxed SIMD'] ? ratioOf('rx-rrm τ*, relaxed SIMD') : undefined;
        summary.push([
          `${clip} (${result.frames})`, String(threads), `${fps('onnxruntime-web').toFixed(1)}`, `${fps('rx-rrm τ*').toFixed(1)}`,
          `**${star.median.toFixed(2)}x** (${star.low.toFixed(2)}–${star.high.toFixed(2)})`,
          relaxed ? `${relaxed.median.toFixed(2)}x` : 'n/a', `${ratioOf('rx-rrm dense path').median.toFixed(2)}x`,
          result.chosen ? `${result.chosen.thresholdMode} ${result.chosen.threshold}: ${pct(result.chosen.macFraction)} (p99 ${result.chosen.p99Face.toFixed(3)} / ${result.chosen.p99.toFixed(3)})` : 'none inside the bound: τ = 0',
          pct(result.exactMacFraction),
        ]);
        console.log(`  ${clip}, ${threads} thread(s): rx-rrm τ* ${star.median.toFixed(2)}x onnxruntime-web over the whole clip (${summary.at(-1)![7]})`);
        for (const label of Object.keys(result.totals)) {
          details.push([clip, String(threads), label, fps(label).toFixed(1), median(result.medianFrameMs[label]!).toFixed(2)]);
        }
        slowLines.push(`${clip}, ${threads} thread(s), rx-rrm τ*: slowest frames ${result.slowest.map((f) => `#${f.frame} ${f.ms.toFixed(1)} ms [${f.layers.map(([l, ms]) => `${l} ${ms.toFixed(2)}`).join(', ')}]`).join('; ')}`);
      }
      await context.close();
    }
    console.log('\nWhole-clip frames/s against onnxruntime-web (WebAssembly, same SIMD, as many threads): median of per-round ratios (range)\n');
    printTable(['clip (frames)', 'threads', 'onnxruntime-web fps', 'rx-rrm τ* fps', 'rx-rrm τ*', 'τ*, relaxed SIMD', 'rx-rrm dense path', 'τ*: MACs (p99 likely / all-anchor deviation)', 'MACs at τ = 0'], summary);
    console.log('\nEvery contender: whole-clip fps and median ms per frame\n');
    printTable(['clip', 'threads', 'contender', 'fps', 'median ms'], details);
    console.log(`\nWhere rx-rrm's time goes (the three slowest frames of the last round, their six slowest layers, ms):\n${slowLines.join('\n')}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
