/**
 * Gemm and MatMul with a constant weight operand as an RRM fully-connected layer. Its input is
 * usually a conv output flattened to `[1, C·H·W]` (ONNX order c, y, x) but still stored as the HWC
 * map, so the weights are permuted once per input shape to read HWC order: no data moves per frame.
 * Any other form (constant left operand, batch > 1, transA) runs densely.
 */
import { activate } from '../kernels/activation.js';
import type { RrmLayer, RrmLayerState } from '../layers/rrm-layer.js';
import { prepareFc } from '../operators/rrm-fc.js';
import { denseEvaluator } from './op-table.js';
import { RrmInputError } from '../layers/validate.js';
import type { OnnxNode } from './graph.js';
import { asTensor, tensorValue, type Value } from './layout.js';
import { requireInput, runLayer, type GraphStep, type ImportContext } from './step.js';
import { expandTo, type Tensor } from './tensor.js';

interface LinearState {
  shapeKey: string | undefined;
  layer: RrmLayer | undefined;
  layerState: RrmLayerState | undefined;
}

/** The node as `y = W·x + bias` with W `[N, K]` in ONNX column order, when its second operand is constant. */
function asFullyConnected(node: OnnxNode, ctx: ImportContext): { weight: Float32Array; outFeatures: number; inFeatures: number; bias: Float32Array | undefined } | undefined {
  const b = ctx.graph.constants.get(node.inputs[1] ?? '');
  if (!b || b.dims.length !== 2 || ctx.graph.constants.has(node.inputs[0] ?? '')) return undefined;
  const a = node.attributes;
  const gemm = node.opType === 'Gemm';
  if (gemm && a.int('transA', 0) === 1) return undefined;
  const alpha = gemm ? a.float('alpha', 1) : 1;
  const beta = gemm ? a.float('beta', 1) : 1;
  const transB = gemm && a.int('transB', 0) === 1;
  const [rows, cols] = b.dims as [number, number];
  const [outFeatures, inFeatures] = transB ? [rows, cols] : [cols, rows];
  const weight = new Float32Array(outFeatures * inFeatures);
  for (let n = 0; n < outFeatures; n++) {
    for (let k = 0; k < inFeatures; k++) weight[n * inFeatures + k] = alpha * (transB ? b.data[n * cols + k]! : b.data[k * cols + n]!);
  }
  let bias: Float32Array | undefined;
  const c = gemm && node.inputs[2] ? ctx.graph.constants.get(node.inputs[2]) : undefined;
  if (gemm && node.inputs[2] && !c) return undefined;
  if (c) {
    if (c.dims.length > 2 || (c.dims.length === 2 && c.dims[0] !== 1)) return undefined; // a per-row C needs rows
    bias = expandTo(c, [outFeatures]).map((v) => beta * v);
  }
  if (node.fusedBias) {
    const extra = expandTo({ dims: [node.fusedBias.length], data: node.fusedBias }, [outFeatures]);
    bias = Float32Array.from({ length: outFeatures }, (_, n) => (bias?.[n] ?? 0) + extra[n]!);
  }
  return { weight, outFeatures, inFeatures, bias };
}

/** Weight columns reordered from ONNX's (c, y, x) flattening to the map's HWC storage. */
function permuteToHwc(weight: Float32Array, outFeatures: number, height: number, width: number, channels: number): Float32Array {
  if (height * width === 1 || channels === 1) return weight;
  const inFeatures = height * width * channels;
  const plane = height * width;
  const out = new Float32Array(weight.length);
  for (let n = 0; n < outFeatures; n++) {
    const row = n * inFeatures;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) out[row + p * channels + c] = weight[row + c * plane + p]!;
    }
  }
  return out;
}

export function importLinear(node: OnnxNode, ctx: ImportContext): GraphStep<LinearState> {
  const where = `${node.opType} node '${node.name}'`;
  const fc = asFullyConnected(node, ctx);
  const fused = node.fusedActivation;
  const layers = new Map<string, RrmLayer>(); // per input map shape; shared by all subscriptions
  const layerFor = (height: number, width: number, channels: number): RrmLayer => {
    const key = `${height}x${width}x${channels}`;
    let layer = layers.get(key);
    if (!layer) {
      layer = prepareFc({
        name: node.name,
        weight: permuteToHwc(fc!.weight, fc!.outFeatures, height, width, channels),
        outFeatures: fc!.outFeatures,
        ...(fc!.bias ? { bias: fc!.bias } : {}),
        activation: fused?.activation ?? 'none',
        leakyReluAlpha: fused?.alpha ?? 0.01,
        threshold: ctx.thresholdFor(node),
        ...(ctx.thresholdScale ? { thresholdScale: ctx.thresholdScale } : {}),
        ...(ctx.denseFraction !== undefined ? { denseFraction: ctx.denseFraction } : {}),
        backend: ctx.backend,
      }, { fused: true });
      layers.set(key, layer);
    }
    return layer;
  };

  const dense = denseEvaluator(node, ctx.graph.opset, (name) => ctx.graph.constants.get(name), ctx.graph.limits.maxTensorElements);
  const runDense = (inputs: readonly (Value | undefined)[]): Value => {
    let result: Tensor = dense(inputs.map((v) => v && asTensor(v)))[0]!;
    if (node.fusedBias) {
      const bias = node.fusedBias;
      const last = result.dims[result.dims.length - 1]!;
      result = { dims: result.dims, data: result.data.map((v, i) => v + bias[bias.length === 1 ? 0 : i % last]!) };
    }
    if (fused) result = { dims: result.dims, data: result.data.map((v) => activate(fused.activation, v, fused.alpha)) };
    return tensorValue(result);
  };

  return {
    node,
    createState: () => ({ shapeKey: undefined, layer: undefined, layerState: undefined }),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      const rowVector = input.kind === 'map' && input.dims.length === 2 && input.dims[0] === 1 && input.dims[1] === input.map.data.length;
      if (!fc || !rowVector) return [runDense(inputs)];
      const { height, width, channels } = input.map;
      if (height * width * channels !== fc.inFeatures) {
        throw new RrmInputError(`${where}: input has ${height * width * channels} features, the weight expects ${fc.inFeatures}`);
      }
      const key = `${height}x${width}x${channels}`;
      if (state.shapeKey !== key) {
        if (state.layer && state.layerState) state.layer.disposeState(state.layerState);
        state.layer = layerFor(height, width, channels);
        state.layerState = state.layer.createState();
        state.shapeKey = key;
      }
      const map = input.map.stats.length === 0 ? input.map : { ...input.map, stats: [] };
      return [runLayer(state.layer!, state.layerState!, map, frame, (m) => [1, m.channels])];
    },
    disposeState: (state) => {
      if (state.layer && state.layerState) state.layer.disposeState(state.layerState);
    },
  };
}
