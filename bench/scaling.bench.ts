/**
 * How rx-rrm's advantage changes with resolution: a MobileNet-style backbone (3x3 stride-2 stem,
 * five depthwise-separable blocks with ReLU6, seeded random weights scaled so activations neither
 * vanish nor explode) exported with symbolic height and width, run at 320x240 and 640x480 on the
 * same clip against onnxruntime-node, at fixed thresholds (the "scaling" figure: reported,
 * no target, so no accuracy search). Whole-clip throughput, preprocessing included on both sides,
 * contenders alternating over `SCALING_ROUNDS` rounds (default 5).
 */
import { firstValueFrom, from, ignoreElements } from 'rxjs';
import * as ort from 'onnxruntime-node';
import { loadOnnx, type OnnxModel } from '../src/model/index.js';
import type { Frame } from '../src/types.js';
import { buildModel, type NodeSpec, type InitializerSpec } from '../test/helpers/onnx-builder.js';
import { readFrames } from '../test/helpers/onnx-video.js';
import { needsSharedData, videoPath } from '../test/helpers/shared-data.js';
import { prng } from '../test/helpers/random.js';
import { median, printTable } from './harness.js';

const CLIP = videoPath('one-by-one-person-detection.mp4');
const FRAMES = Number(process.env.SCALING_FRAMES ?? 150);
const ROUNDS = Math.max(5, Number(process.env.SCALING_ROUNDS ?? 5));
const SIZES: [number, number][] = [[320, 240], [640, 480]];
const THRESHOLDS = [0, 0.01, 0.03];

/** The backbone as ONNX: [1, 3, H, W] with H and W symbolic. */
function backbone(): Uint8Array {
  const random = prng(2026);
  const nodes: NodeSpec[] = [];
  const initializers: Record<string, InitializerSpec> = {};
  // He-style uniform weights: a ReLU network keeps its activations' scale from layer to layer.
  const weightsFor = (name: string, dims: number[], fanIn: number) => {
    const bound = Math.sqrt(6 / fanIn);
    initializers[name] = { dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * bound) };
  };
  let input = 'image';
  let channels = 3;
  const conv = (out: number, kernel: number, stride: number, groups: number) => {
    const k = nodes.length;
    weightsFor(`w${k}`, [out, channels / groups, kernel, kernel], (channels / groups) * kernel * kernel);
    initializers[`b${k}`] = { dims: [out], data: new Float32Array(out) };
    const pad = (kernel - 1) >> 1;
    nodes.push({ op: 'Conv', name: `conv${k}`, inputs: [input, `w${k}`, `b${k}`], outputs: [`c${k}`], attributes: { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad], group: groups } });
    nodes.push({ op: 'Clip', inputs: [`c${k}`, 'zero', 'six'], outputs: [`a${k}`] });
    input = `a${k}`;
    channels = out;
  };
  initializers.zero = { dims: [], data: [0] };
  initializers.six = { dims: [], data: [6] };
  conv(16, 3, 2, 1);
  for (const [out, stride] of [[32, 1], [64, 2], [64, 1], [128, 2], [128, 1]] as const) {
    conv(channels, 3, stride, channels);
    conv(out, 1, 1, 1);
  }
  return buildModel({ input: { name: 'image', dims: [1, 3, 'height', 'width'] }, outputs: [input], nodes, initializers, opset: 13 });
}

function nchwInput(frame: Frame): ort.Tensor {
  const pixels = frame.width * frame.height;
  const data = new Float32Array(3 * pixels);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < 3; c++) data[c * pixels + p] = (frame.data[3 * p + c]! - 127) / 128;
  return new ort.Tensor('float32', data, [1, 3, frame.height, frame.width]);
}

async function timePass(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const absent = needsSharedData(CLIP);
  if (absent) {
    console.log(`skipped: ${absent}`);
    return;
  }
  const bytes = backbone();
  const model: OnnxModel = await loadOnnx(bytes);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const rows: string[][] = [];
  for (const [width, height] of SIZES) {
    const frames = await readFrames(CLIP, FRAMES, { width, height });
    const onnxruntime = () => timePass(async () => {
      for (const frame of frames) await session.run({ image: nchwInput(frame) });
    });
    const rrm = (threshold: number) => () => timePass(() => firstValueFrom(from(frames).pipe(model.pipeline({ preprocess: { mean: 127, scale: 1 / 128 }, threshold }), ignoreElements()), { defaultValue: undefined }));
    const contenders = [onnxruntime, ...THRESHOLDS.map(rrm)];
    for (const contender of contenders) await contender(); // warm-up
    const times = contenders.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) for (const [k, contender] of contenders.entries()) times[k]!.push(await contender());
    const ratios = THRESHOLDS.map((_, t) => median(times[0]!.map((ortMs, round) => ortMs / times[t + 1]![round]!)));
    rows.push([`${width}x${height}`, `${((1000 * frames.length) / median(times[0]!)).toFixed(1)} fps`, ...ratios.map((r) => `${r.toFixed(2)}x`)]);
  }
  await session.release();
  console.log(`\nMobileNet-style backbone, ${FRAMES} frames of ${CLIP.split('/').at(-1)}, whole-clip throughput against onnxruntime-node (1 thread), median of ${ROUNDS} per-round ratios\n`);
  printTable(['size', 'onnxruntime', ...THRESHOLDS.map((t) => `rx-rrm τ = ${t}`)], rows);
}
