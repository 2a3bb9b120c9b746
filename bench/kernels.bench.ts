/**
 * Kernel benchmark: every backend's dense conv beside onnxruntime-node's on UltraFace's layer
 * shapes, and each backend's sparse update against its own dense conv (which is where its dense
 * crossover comes from). Contenders alternate within each round; a figure is the median over
 * `KERNEL_ROUNDS` rounds (default 7) of the mean over a batch of calls.
 *
 *   npm run bench -- kernels        KERNELS_BENCH=dense,sparse,detect selects sections,
 *                                   KERNEL_BACKENDS=native,wasm,js backends
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { ConvEngine, KernelBackend } from '../src/kernels/backend.js';
import { denseConvMacs, resolveWindow, type ConvGeometry } from '../src/kernels/geometry.js';
import { jsBackend } from '../src/kernels/js/js-backend.js';
import { NATIVE_INSTRUCTION_SETS } from '../src/kernels/native/native-addon.js';
import { createNativeBackend, nativeKernelStatus } from '../src/kernels/native/native-backend.js';
import { packConvWeights } from '../src/kernels/pack.js';
import { createWasmBackend, wasmKernelStatus } from '../src/kernels/wasm/wasm-backend.js';
import { median, printTable } from './harness.js';

const { onnx } = onnxProto;
const ROUNDS = Math.max(5, Number(process.env.KERNEL_ROUNDS ?? 7));

export interface Layer {
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

/** UltraFace-slim-320's layer shapes at 320x240 (the model of the end-to-end benchmark). */
export function ultrafaceLayers(): Layer[] {
  return [
    convLayer('stem 3x3 s2, 3->16, 240x320', [240, 320], 3, 16, 3, 2, 1),
    convLayer('depthwise 3x3, 16ch, 120x160', [120, 160], 16, 16, 3, 1, 16),
    convLayer('pointwise 16->32, 120x160', [120, 160], 16, 32, 1, 1, 1),
    convLayer('depthwise 3x3 s2, 32ch, 120x160', [120, 160], 32, 32, 3, 2, 32),
    convLayer('pointwise 32->64, 60x80', [60, 80], 32, 64, 1, 1, 1),
    convLayer('depthwise 3x3, 64ch, 60x80', [60, 80], 64, 64, 3, 1, 64),
    convLayer('pointwise 64->64, 60x80', [60, 80], 64, 64, 1, 1, 1),
    convLayer('depthwise 5x5, 64ch, 60x80', [60, 80], 64, 64, 5, 1, 64),
    convLayer('pointwise 128->128, 30x40', [30, 40], 128, 128, 1, 1, 1),
    convLayer('3x3 64->64, 56x56', [56, 56], 64, 64, 3, 1, 1),
  ];
}

export function createEngine(backend: KernelBackend, layer: Layer): ConvEngine {
  const g = layer.geometry;
  const packed = packConvWeights(layer.weight, g.outChannels, g.inChannels, g.groups, g.kernelHeight, g.kernelWidth);
  return backend.createConvEngine(g, { packed, bias: layer.bias }, { kind: 'relu', leakyReluAlpha: 0.01 });
}

/** The backends this machine runs, by label (plain JS only where asked: it is 20-40x slower). */
function backends(withJs: boolean): [string, KernelBackend][] {
  const list: [string, KernelBackend][] = [];
  const native = nativeKernelStatus();
  if (native.available) {
    for (const set of NATIVE_INSTRUCTION_SETS) if (native.instructionSets.includes(set)) list.push([`native ${set}`, createNativeBackend({ instructionSet: set })]);
  } else {
    console.log(`native kernels unavailable: ${native.reason}`);
  }
  for (const set of ['relaxed-simd', 'simd'] as const) if (wasmKernelStatus(set).available) list.push([`wasm ${set}`, createWasmBackend({ instructionSet: set })]);
  if (withJs) list.push(['js', jsBackend]);
  // KERNEL_BACKENDS=native,wasm keeps the backends whose label starts with one of those words.
  const wanted = process.env.KERNEL_BACKENDS?.split(',');
  return wanted ? list.filter(([name]) => wanted.some((w) => name.startsWith(w))) : list;
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
  const conv = onnx.NodeProto.create({
    opType: 'Conv', input: ['x', 'w', 'b'], output: ['p'],
    attribute: [
      ints('kernel_shape', [g.kernelHeight, g.kernelWidth]), ints('strides', [g.strideH, g.strideW]),
      ints('dilations', [g.dilationH, g.dilationW]), ints('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]),
      onnx.AttributeProto.create({ name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: g.groups }),
    ],
  });
  // Conv + Relu, as in the model (onnxruntime fuses them; rx-rrm's engines activate too).
  const relu = onnx.NodeProto.create({ opType: 'Relu', input: ['p'], output: ['y'] });
  const model = onnx.ModelProto.create({
    irVersion: 8, producerName: 'rx-rrm-bench', opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv', node: [conv, relu],
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

/** A contender of one table row: `run` does one call (sync or async). */
interface Contender {
  readonly name: string;
  readonly run: () => unknown;
}

/** Median over rounds of the mean ms per call, the contenders alternating within each round. */
async function alternate(contenders: readonly Contender[], batch: (name: string) => number): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) for (let i = 0; i < 3; i++) await c.run(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      const calls = batch(c.name);
      const started = performance.now();
      for (let i = 0; i < calls; i++) await c.run();
      samples.get(c.name)!.push((performance.now() - started) / calls);
    }
  }
  return new Map([...samples].map(([name, times]) => [name, median(times)]));
}

const gflops = (layer: Layer, ms: number) => (2 * denseConvMacs(layer.geometry)) / (ms * 1e6);

async function denseSection(): Promise<void> {
  console.log(`\nDense conv + ReLU, ms per call (median of ${ROUNDS} alternating rounds) and throughput against onnxruntime-node (1 thread, graphOptimizationLevel all)\n`);
  const list = backends(false);
  const rows: string[][] = [];
  for (const layer of ultrafaceLayers()) {
    const g = layer.geometry;
    const input = randomArray(seeded(2), g.inHeight * g.inWidth * g.inChannels);
    const session = await ort.InferenceSession.create(convModel(layer), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const x = new ort.Tensor('float32', randomArray(seeded(3), g.inChannels * g.inHeight * g.inWidth), [1, g.inChannels, g.inHeight, g.inWidth]);
    const engines = list.map(([name, backend]) => [name, createEngine(backend, layer)] as const);
    const contenders: Contender[] = [{ name: 'onnxruntime', run: () => session.run({ x }) }, ...engines.map(([name, engine]) => ({ name, run: () => engine.keyframe(input) }))];
    const ms = await alternate(contenders, () => Math.max(3, Math.round(2e7 / denseConvMacs(g))));
    await session.release();
    const ortMs = ms.get('onnxruntime')!;
    rows.push([layer.label, `${ortMs.toFixed(3)} (${gflops(layer, ortMs).toFixed(0)})`, ...list.map(([name]) => `${ms.get(name)!.toFixed(3)}: ${(ortMs / ms.get(name)!).toFixed(2)}x`)]);
  }
  printTable(['layer', 'onnxruntime ms (GFLOP/s)', ...list.map(([name]) => `${name} ms: vs onnxruntime`)], rows);
}

/**
 * Two inputs that differ at `fraction` of the pixels, in 8x8 blobs at random places (closer to what
 * changes in a static-camera video than uniform noise): alternating them makes every update
 * integrate those pixels.
 */
export function alternatingInputs(layer: Layer, fraction: number): { a: Float32Array; b: Float32Array; changed: Int32Array } {
  const g = layer.geometry;
  const random = seeded(Math.round(fraction * 1000) + 3);
  const a = randomArray(random, g.inHeight * g.inWidth * g.inChannels);
  const b = a.slice();
  const pixels = g.inHeight * g.inWidth;
  const count = Math.round(fraction * pixels);
  const chosen = new Uint8Array(pixels);
  let chosenCount = 0;
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
  const changed = new Int32Array(chosenCount);
  for (let p = 0, k = 0; p < pixels; p++) if (chosen[p]) changed[k++] = p;
  for (const p of changed) for (let c = 0; c < g.inChannels; c++) b[p * g.inChannels + c]! += random() + 0.1;
  return { a, b, changed };
}

const FRACTIONS = [0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8];

async function sparseSection(): Promise<void> {
  for (const [name, backend] of backends(false)) {
    console.log(`\n${name}: sparse update (changed pixels as candidates, forced sparse) against the same backend's dense conv: dense / sparse time, and the crossover\n`);
    const rows: string[][] = [];
    for (const layer of ultrafaceLayers()) {
      const engine = createEngine(backend, layer);
      const ratios: number[] = [];
      const denseTimes: number[] = [];
      for (const fraction of FRACTIONS) {
        // Two inputs that differ at `fraction` of the pixels: the dense contender recomputes from
        // one of them, the sparse one then alternates them; both in the same rounds.
        const { a: base, b, changed } = alternatingInputs(layer, fraction);
        let flip = false;
        const ms = await alternate(
          [
            { name: 'dense', run: () => ((flip = false), engine.keyframe(base)) },
            { name: 'sparse', run: () => ((flip = !flip), engine.update(flip ? b : base, 0, changed, changed.length, 1)) },
          ],
          (name) => (name === 'dense' ? 5 : 10),
        );
        denseTimes.push(ms.get('dense')!);
        ratios.push(ms.get('dense')! / ms.get('sparse')!);
      }
      const dense = median(denseTimes);
      rows.push([layer.label, dense.toFixed(3), ...ratios.map((r) => `${r.toFixed(1)}x`), crossover(FRACTIONS, ratios.map((r) => dense / r), dense)]);
    }
    printTable(['layer', 'dense ms', ...FRACTIONS.map((f) => `${Math.round(f * 100)}% active`), 'crossover'], rows);
  }
}

/** Linear interpolation of the active fraction where the sparse time reaches the dense time. */
function crossover(fractions: number[], sparseMs: number[], denseMs: number): string {
  if (sparseMs[0]! >= denseMs) return `below ${fractions[0]! * 100}%`;
  for (let i = 1; i < fractions.length; i++) {
    if (sparseMs[i]! >= denseMs) {
      const f0 = fractions[i - 1]!, f1 = fractions[i]!, t0 = sparseMs[i - 1]!, t1 = sparseMs[i]!;
      return `${((f0 + ((denseMs - t0) / (t1 - t0)) * (f1 - f0)) * 100).toFixed(0)}%`;
    }
  }
  return `above ${fractions.at(-1)! * 100}%`;
}

async function detectionSection(): Promise<void> {
  console.log('\nActivity detection on an unchanged frame (no active pixels): ms per call\n');
  const list = backends(true);
  const rows: string[][] = [];
  for (const layer of ultrafaceLayers().slice(0, 4)) {
    const g = layer.geometry;
    const input = randomArray(seeded(5), g.inHeight * g.inWidth * g.inChannels);
    const engines = list.map(([name, backend]) => [name, createEngine(backend, layer)] as const);
    for (const [, engine] of engines) engine.keyframe(input);
    const ms = await alternate(engines.map(([name, engine]) => ({ name, run: () => engine.update(input, 0, null, 0, 1) })), (name) => (name === 'js' ? 2 : 20));
    rows.push([layer.label, ...list.map(([name]) => ms.get(name)!.toFixed(4))]);
  }
  printTable(['layer (every pixel scanned)', ...list.map(([name]) => name)], rows);
}

export async function run(): Promise<void> {
  const sections = (process.env.KERNELS_BENCH ?? 'dense,sparse,detect').split(',');
  if (sections.includes('dense')) await denseSection();
  if (sections.includes('sparse')) await sparseSection();
  if (sections.includes('detect')) await detectionSection();
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
