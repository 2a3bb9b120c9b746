/**
 * Kernel benchmark: the wasm SIMD backend beside the plain-JS backend and onnxruntime-node, side by
 * side in one run. Every figure is the median of at least 5 timed runs after a warm-up (run with
 * `node --no-liftoff` as well to skip V8's baseline wasm tier).
 *
 *   node --no-liftoff --loader ts-node/esm --no-warnings bench/kernels.bench.ts
 */
import { pathToFileURL } from 'node:url';
import { enableRelaxedSimd } from './harness.js';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { ConvEngine, KernelBackend } from '../src/kernels/backend.js';
import { denseConvMacs, resolveWindow, type ConvGeometry } from '../src/kernels/geometry.js';
import { jsBackend } from '../src/kernels/js/js-backend.js';
import { packConvWeights } from '../src/kernels/pack.js';
import { createWasmBackend, wasmKernelStatus } from '../src/kernels/wasm/wasm-backend.js';
import { helperThread } from '../src/kernels/wasm/helper-thread.js';
import { loadWasmRuntime } from '../src/kernels/wasm/kernel-module.js';

const { onnx } = onnxProto;
const RUNS = 7;

// Both builds are measured: plain SIMD (what Node 20 runs without a flag) and relaxed SIMD.
enableRelaxedSimd();
const wasmSimd = createWasmBackend({ instructionSet: 'simd' });
const wasmRelaxed = createWasmBackend({ instructionSet: 'relaxed-simd' });
const wasmSimd2 = createWasmBackend({ instructionSet: 'simd', threads: 2 });
const wasmRelaxed2 = createWasmBackend({ instructionSet: 'relaxed-simd', threads: 2 });

interface Layer {
  readonly label: string;
  readonly geometry: ConvGeometry;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export function convLayer(label: string, size: [number, number], inC: number, outC: number, kernel: number, stride: number, groups: number): Layer {
  const [inHeight, inWidth] = size;
  const w = resolveWindow(inHeight, inWidth, { kernel: [kernel, kernel], stride: [stride, stride], dilation: [1, 1], padding: (kernel - 1) >> 1 });
  const geometry: ConvGeometry = {
    inHeight, inWidth, inChannels: inC, outHeight: w.outHeight, outWidth: w.outWidth, outChannels: outC,
    kernelHeight: kernel, kernelWidth: kernel, strideH: stride, strideW: stride, dilationH: 1, dilationW: 1,
    padTop: w.padTop, padLeft: w.padLeft, padBottom: w.padBottom, padRight: w.padRight, groups,
  };
  const random = seeded(label.length * 7919);
  return { label, geometry, weight: randomArray(random, outC * (inC / groups) * kernel * kernel), bias: randomArray(random, outC) };
}

export function createEngine(backend: KernelBackend, layer: Layer): ConvEngine {
  const g = layer.geometry;
  const packed = packConvWeights(layer.weight, g.outChannels, g.inChannels, g.groups, g.kernelHeight, g.kernelWidth);
  return backend.createConvEngine(g, { packed, bias: layer.bias });
}

/** Median milliseconds per call of `step`, over `RUNS` runs of `repeats` calls, after `warmup` calls. */
async function timeIt(step: () => unknown, repeats: number, warmup = repeats * 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now();
    for (let i = 0; i < repeats; i++) await step();
    runs.push((performance.now() - started) / repeats);
  }
  return median(runs);
}

/** A one-Conv ONNX model (NCHW), built with the onnx-proto message classes. */
export function convModel(layer: Layer): Uint8Array {
  const g = layer.geometry;
  const tensor = (name: string, dims: number[], data: Float32Array) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
  const valueInfo = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
    });
  const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const node = onnx.NodeProto.create({
    opType: 'Conv', input: ['x', 'w', 'b'], output: ['y'],
    attribute: [
      ints('kernel_shape', [g.kernelHeight, g.kernelWidth]), ints('strides', [g.strideH, g.strideW]),
      ints('dilations', [g.dilationH, g.dilationW]), ints('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]),
      onnx.AttributeProto.create({ name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: g.groups }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8, producerName: 'rx-rrm-bench', opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv', node: [node],
      initializer: [
        tensor('w', [g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], layer.weight),
        tensor('b', [g.outChannels], layer.bias),
      ],
      input: [valueInfo('x', [1, g.inChannels, g.inHeight, g.inWidth])],
      output: [valueInfo('y', [1, g.outChannels, g.outHeight, g.outWidth])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

async function onnxruntimeMs(layer: Layer, threads: number, repeats: number): Promise<number> {
  const session = await ort.InferenceSession.create(convModel(layer), {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const g = layer.geometry;
  const x = new ort.Tensor('float32', randomArray(seeded(1), g.inChannels * g.inHeight * g.inWidth), [1, g.inChannels, g.inHeight, g.inWidth]);
  const ms = await timeIt(() => session.run({ x }), repeats);
  await session.release();
  return ms;
}

const gflops = (layer: Layer, ms: number) => (2 * denseConvMacs(layer.geometry)) / (ms * 1e6);

async function denseTable(layer: Layer): Promise<{ wasmMs: number; relaxedMs: number }> {
  const input = randomArray(seeded(2), layer.geometry.inHeight * layer.geometry.inWidth * layer.geometry.inChannels);
  const js = createEngine(jsBackend, layer);
  const wasm = createEngine(wasmSimd, layer);
  const relaxed = createEngine(wasmRelaxed, layer);
  const wasm2 = createEngine(wasmSimd2, layer);
  const relaxed2 = createEngine(wasmRelaxed2, layer);
  await waitForHelpers();
  const rows: [string, number][] = [
    ['plain JS dense', await timeIt(() => js.keyframe(input), 2, 2)],
    ['wasm SIMD dense', await timeIt(() => wasm.keyframe(input), 20)],
    ['wasm relaxed SIMD (FMA) dense', await timeIt(() => relaxed.keyframe(input), 20)],
    ['onnxruntime-node, 1 thread', await onnxruntimeMs(layer, 1, 20)],
    ['onnxruntime-node, 2 threads', await onnxruntimeMs(layer, 2, 20)],
    ['wasm SIMD dense, 2 threads', await timeIt(() => wasm2.keyframe(input), 20)],
    ['wasm relaxed SIMD dense, 2 threads', await timeIt(() => relaxed2.keyframe(input), 20)],
  ];
  for (const engine of [js, wasm, relaxed, wasm2, relaxed2]) engine.dispose();
  const ort1 = rows[3]![1];
  console.log(`\nDense ${layer.label} (${(denseConvMacs(layer.geometry) / 1e6).toFixed(1)} M multiply-adds)\n`);
  console.log('| implementation | ms | GFLOP/s | throughput vs onnxruntime 1 thread |\n| --- | --- | --- | --- |');
  for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(3)} | ${gflops(layer, ms).toFixed(1)} | ${(ort1 / ms).toFixed(2)}x |`);
  return { wasmMs: rows[1]![1], relaxedMs: rows[2]![1] };
}

/** Blocks until both runtimes' helper threads have started (they start on the first 2-thread engine). */
async function waitForHelpers(): Promise<void> {
  for (const set of ['simd', 'relaxed-simd'] as const) {
    const loaded = loadWasmRuntime(set, true);
    if ('runtime' in loaded) await helperThread(loaded.runtime).whenReady();
  }
}

/**
 * Two inputs that differ at `fraction` of the pixels: alternating them makes every update integrate
 * those pixels. `random` scatters the pixels uniformly (the worst case for locality); `blobs` puts
 * them in 8x8 squares at random places, closer to what changes in a static-camera video.
 */
export function alternatingInputs(layer: Layer, fraction: number, pattern: 'random' | 'blobs' = 'random'): { a: Float32Array; b: Float32Array; changed: Int32Array } {
  const g = layer.geometry;
  const random = seeded(Math.round(fraction * 1000) + 3);
  const a = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
  const b = a.slice();
  const pixels = g.inHeight * g.inWidth;
  const count = Math.round(fraction * pixels);
  const chosen = new Uint8Array(pixels);
  let chosenCount = 0;
  if (pattern === 'random') {
    // A random set of exactly `count` pixels (partial Fisher-Yates).
    const order = Int32Array.from({ length: pixels }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (pixels - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
      chosen[order[i]!] = 1;
    }
    chosenCount = count;
  } else {
    while (chosenCount < count) {
      const y0 = Math.floor(random() * g.inHeight);
      const x0 = Math.floor(random() * g.inWidth);
      for (let y = y0; y < Math.min(g.inHeight, y0 + 8); y++) {
        for (let x = x0; x < Math.min(g.inWidth, x0 + 8) && chosenCount < count; x++) {
          if (!chosen[y * g.inWidth + x]) chosenCount++;
          chosen[y * g.inWidth + x] = 1;
        }
      }
    }
  }
  // Listed in scan order, like the changed pixels an upstream layer reports.
  const changed = new Int32Array(chosenCount);
  for (let p = 0, k = 0; p < pixels; p++) if (chosen[p]) changed[k++] = p;
  for (const p of changed) for (let c = 0; c < g.inChannels; c++) b[p * g.inChannels + c]! += random() + 0.1;
  return { a, b, changed };
}

async function sparseTable(layer: Layer, dense: { wasmMs: number; relaxedMs: number }): Promise<void> {
  const fractions = [0.01, 0.05, 0.1, 0.25, 0.5, 1];
  console.log(`\nSparse delta update, ${layer.label}: forced sparse (dense fallback off), median ms per frame, input copy and activity detection included\n`);
  console.log('| active pixels | JS sparse | wasm SIMD sparse, full scan | wasm SIMD sparse, candidates | SIMD: dense / sparse (scan) | (candidates) | relaxed SIMD sparse, candidates | relaxed: dense / sparse (candidates) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const scanTimes: number[] = [];
  const candidateTimes: number[] = [];
  const relaxedTimes: number[] = [];
  for (const fraction of fractions) {
    const { a, b, changed } = alternatingInputs(layer, fraction);
    const engines = [createEngine(jsBackend, layer), createEngine(wasmSimd, layer), createEngine(wasmRelaxed, layer)] as const;
    for (const engine of engines) engine.keyframe(a);
    let flip = false;
    const step = (engine: ConvEngine, candidates: Int32Array | null) => () => {
      flip = !flip;
      engine.update(flip ? b : a, 0, candidates, candidates ? candidates.length : 0, 1);
    };
    const jsMs = await timeIt(step(engines[0], null), fraction <= 0.1 ? 4 : 2, 2);
    const scanMs = await timeIt(step(engines[1], null), 20);
    const candidateMs = await timeIt(step(engines[1], changed), 20);
    const relaxedMs = await timeIt(step(engines[2], changed), 20);
    scanTimes.push(scanMs);
    candidateTimes.push(candidateMs);
    relaxedTimes.push(relaxedMs);
    for (const engine of engines) engine.dispose();
    console.log(
      `| ${(fraction * 100).toFixed(0)}% | ${jsMs.toFixed(3)} | ${scanMs.toFixed(3)} | ${candidateMs.toFixed(3)} | ${(dense.wasmMs / scanMs).toFixed(1)}x | ${(dense.wasmMs / candidateMs).toFixed(1)}x | ${relaxedMs.toFixed(3)} | ${(dense.relaxedMs / relaxedMs).toFixed(1)}x |`,
    );
  }
  console.log(`\nCrossovers (sparse time = dense time): SIMD full scan ${crossover(fractions, scanTimes, dense.wasmMs)}, SIMD candidates ${crossover(fractions, candidateTimes, dense.wasmMs)}, relaxed SIMD candidates ${crossover(fractions, relaxedTimes, dense.relaxedMs)}`);
}

/** Linear interpolation of the active fraction where the sparse time reaches the dense time. */
function crossover(fractions: number[], sparseMs: number[], denseMs: number): string {
  for (let i = 1; i < fractions.length; i++) {
    if (sparseMs[i]! >= denseMs) {
      const f0 = fractions[i - 1]!, f1 = fractions[i]!, t0 = sparseMs[i - 1]!, t1 = sparseMs[i]!;
      return `${((f0 + ((denseMs - t0) / (t1 - t0)) * (f1 - f0)) * 100).toFixed(0)}% active pixels`;
    }
  }
  return 'above 100% (sparse never loses)';
}

async function detectionTable(layer: Layer): Promise<void> {
  const g = layer.geometry;
  const input = randomArray(seeded(5), g.inHeight * g.inWidth * g.inChannels);
  const wasm = createEngine(wasmSimd, layer);
  const js = createEngine(jsBackend, layer);
  wasm.keyframe(input);
  js.keyframe(input);
  const none = new Int32Array(0);
  const onePercent = Int32Array.from({ length: Math.round(0.01 * g.inHeight * g.inWidth) }, (_, i) => i * 97 % (g.inHeight * g.inWidth)).sort();
  console.log(`\nActivity detection on an unchanged frame, ${layer.label} (input copy + scan, no active pixels)\n`);
  console.log('| scan | JS ms | wasm ms |\n| --- | --- | --- |');
  for (const [name, candidates] of [['every pixel', null], ['1% candidates', onePercent], ['no candidates', none]] as const) {
    const jsMs = await timeIt(() => js.update(input, 0, candidates, candidates ? candidates.length : 0, 1), 20);
    const wasmMs = await timeIt(() => wasm.update(input, 0, candidates, candidates ? candidates.length : 0, 1), 50);
    console.log(`| ${name} | ${jsMs.toFixed(4)} | ${wasmMs.toFixed(4)} |`);
  }
  wasm.dispose();
  js.dispose();
}

export function ultrafaceLayers(): Layer[] {
  return [
    convLayer('stem 3x3, 3->16, 240x320, stride 2', [240, 320], 3, 16, 3, 2, 1),
    convLayer('depthwise 3x3, 32ch, 120x160, stride 1', [120, 160], 32, 32, 3, 1, 32),
    convLayer('depthwise 3x3, 32ch, 120x160, stride 2', [120, 160], 32, 32, 3, 2, 32),
    convLayer('depthwise 3x3, 64ch, 60x80, stride 1', [60, 80], 64, 64, 3, 1, 64),
    convLayer('depthwise 5x5, 64ch, 60x80, stride 1', [60, 80], 64, 64, 5, 1, 64),
    convLayer('pointwise 1x1, 64->64, 60x80', [60, 80], 64, 64, 1, 1, 1),
    convLayer('pointwise 1x1, 32->64, 120x160', [120, 160], 32, 64, 1, 1, 1),
    convLayer('pointwise 1x1, 128->128, 30x40', [30, 40], 128, 128, 1, 1, 1),
  ];
}

async function ultrafaceTable(): Promise<void> {
  const layers = ultrafaceLayers();
  console.log('\nUltraFace-style layers, dense: wasm vs onnxruntime-node 1 thread (median ms)\n');
  console.log('| layer | wasm SIMD ms | GFLOP/s | wasm relaxed SIMD ms | GFLOP/s | onnxruntime ms | GFLOP/s | SIMD / onnxruntime throughput | relaxed / onnxruntime |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const layer of layers) {
    const g = layer.geometry;
    const input = randomArray(seeded(4), g.inHeight * g.inWidth * g.inChannels);
    const wasm = createEngine(wasmSimd, layer);
    const relaxed = createEngine(wasmRelaxed, layer);
    const wasmMs = await timeIt(() => wasm.keyframe(input), 50);
    const relaxedMs = await timeIt(() => relaxed.keyframe(input), 50);
    wasm.dispose();
    relaxed.dispose();
    const ortMs = await onnxruntimeMs(layer, 1, 50);
    const cells = [wasmMs, gflops(layer, wasmMs), relaxedMs, gflops(layer, relaxedMs), ortMs, gflops(layer, ortMs)].map((v) => v.toFixed(2));
    console.log(`| ${layer.label} | ${cells.join(' | ')} | ${(ortMs / wasmMs).toFixed(2)}x | ${(ortMs / relaxedMs).toFixed(2)}x |`);
  }
}

/** Sparse updates of the UltraFace-style layers: useful GFLOP/s (multiply-adds actually done) at 10% and 25% active pixels. */
async function ultrafaceSparseTable(): Promise<void> {
  for (const pattern of ['random', 'blobs'] as const) {
    console.log(`\nUltraFace-style layers, sparse update with candidates (wasm SIMD), active pixels ${pattern === 'random' ? 'scattered uniformly' : 'in 8x8 blobs'}: median ms and useful GFLOP/s\n`);
    console.log('| layer | dense ms | 10% active ms | useful GFLOP/s | dense / sparse | 25% active ms | useful GFLOP/s | dense / sparse |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const layer of ultrafaceLayers()) {
      const engine = createEngine(wasmSimd, layer);
      const { a } = alternatingInputs(layer, 0);
      const denseMs = await timeIt(() => engine.keyframe(a), 30);
      const cells: string[] = [];
      for (const fraction of [0.1, 0.25]) {
        const { a: base, b, changed } = alternatingInputs(layer, fraction, pattern);
        engine.keyframe(base);
        let flip = false;
        let macs = 0;
        const ms = await timeIt(() => {
          flip = !flip;
          macs = engine.update(flip ? b : base, 0, changed, changed.length, 1).macs;
        }, 30);
        cells.push(ms.toFixed(3), ((2 * macs) / (ms * 1e6)).toFixed(1), `${(denseMs / ms).toFixed(1)}x`);
      }
      engine.dispose();
      console.log(`| ${layer.label} | ${denseMs.toFixed(3)} | ${cells.join(' | ')} |`);
    }
  }
}

export async function run(): Promise<void> {
  const status = wasmKernelStatus('simd');
  if (!status.available) {
    console.log(`kernels bench: skipped, ${status.reason}`);
    return;
  }
  const relaxed = wasmKernelStatus('relaxed-simd');
  if (!relaxed.available) throw new Error(`relaxed SIMD build unavailable: ${relaxed.reason}`);
  console.log(`kernels bench: node ${process.version}, ${RUNS} runs per figure (median), flags: ${process.execArgv.join(' ') || '(none)'}`);
  // KERNELS_BENCH=dense,sparse,detect,ultraface,ultraface-sparse runs a subset (all by default).
  const sections = (process.env.KERNELS_BENCH ?? 'dense,sparse,detect,ultraface,ultraface-sparse').split(',');
  const main = convLayer('3x3 conv 64->64 on 56x56', [56, 56], 64, 64, 3, 1, 1);
  const dense = await denseTable(main);
  if (sections.includes('sparse')) await sparseTable(main, dense);
  if (sections.includes('detect')) await detectionTable(main);
  if (sections.includes('ultraface')) await ultrafaceTable();
  if (sections.includes('ultraface-sparse')) await ultrafaceSparseTable();
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(random: () => number, length: number): Float32Array {
  return Float32Array.from({ length }, () => random() * 2 - 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
