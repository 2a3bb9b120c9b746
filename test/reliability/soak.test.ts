// A soak: frames over TCP through a layer stack on the wasm kernels, memory read after a full
// garbage collection at regular intervals. After warm-up, the JS heap may grow by at most 5% over
// its first steady reading, and the array buffers' median (which also holds frames in flight) too.
import t from 'tap';
import { jsonLines, spawnTypescript } from '../helpers/ts-child.js';
import { LONG, SCALE } from './scale.js';

interface Sample {
  readonly frame: number;
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly rss: number;
}

t.test(`soak: ${SCALE.soakFrames} frames, memory grows by at most 5% after warm-up`, { timeout: LONG ? 1_800_000 : 300_000 }, async (t) => {
  const every = SCALE.soakFrames / 20;
  const child = spawnTypescript(new URL('./soak-run.ts', import.meta.url), [String(SCALE.soakFrames), String(every)], ['--expose-gc']);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  let result: { samples: Sample[]; processed: number; dropped: number } | undefined;
  const exit = await jsonLines(child, (line) => {
    if (Array.isArray(line.samples)) result = line as unknown as typeof result;
  });
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `the soak ran to its end (${exit.stderr.slice(-400)})`);
  if (!result) return;
  t.equal(result.processed, SCALE.soakFrames);
  // Warm-up: the first fifth (JIT, wasm memory growth, the first keyframes).
  const steady = result.samples.slice(Math.floor(result.samples.length / 5));
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  // The JS heap after a full collection: what a leak of frames, maps or state would grow.
  const heapReference = steady[0]!.heapUsed;
  const heapGrowth = Math.max(...steady.map((s) => (s.heapUsed - heapReference) / heapReference));
  // Array buffers also hold the frames in flight on the socket at the moment of the reading, which
  // varies from reading to reading: their medians, early and late, must agree.
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const third = Math.max(1, Math.floor(steady.length / 3));
  const early = median(steady.slice(0, third).map((s) => s.arrayBuffers));
  const late = median(steady.slice(-third).map((s) => s.arrayBuffers));
  const bufferGrowth = (late - early) / early;
  t.comment(
    `soak: ${result.processed} frames (${result.dropped} dropped by the receiver's queue); JS heap after gc ${steady.map((s) => mb(s.heapUsed)).join(', ')} MB, ` +
      `largest growth ${(heapGrowth * 100).toFixed(2)}%; array buffers median ${mb(early)} -> ${mb(late)} MB (${(bufferGrowth * 100).toFixed(1)}%); RSS ${mb(steady[0]!.rss)} -> ${mb(steady.at(-1)!.rss)} MB`,
  );
  t.ok(heapGrowth <= 0.05, `the JS heap grew by at most 5% over its first steady reading (${(heapGrowth * 100).toFixed(2)}%)`);
  t.ok(bufferGrowth <= 0.05, `the array buffers' median grew by at most 5% (${(bufferGrowth * 100).toFixed(1)}%)`);
});
