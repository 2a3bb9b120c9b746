/**
 * One graph node as the executor runs it: a shared definition with per-subscription state, like the
 * core's `Layer`, but over the graph's values (maps or tensors) and with several inputs and outputs.
 */
import type { KernelBackend } from '../kernels/backend.js';
import type { Layer } from '../layers/layer.js';
import { RrmInputError } from '../layers/validate.js';
import type { FeatureMap, LayerStats } from '../types.js';
import type { OnnxGraph, OnnxNode } from './graph.js';
import { asImageMap, asTensor, tensorValue, type FrameMeta, type Value } from './layout.js';
import { denseEvaluator } from './op-table.js';

export interface FrameContext {
  readonly meta: FrameMeta;
  /** Every layer's stats for this frame, appended in execution order. */
  readonly stats: LayerStats[];
}

export interface GraphStep<S = unknown> {
  readonly node: OnnxNode;
  createState(): S;
  /** `inputs[k]` is undefined for an omitted optional input. */
  run(state: S, inputs: readonly (Value | undefined)[], frame: FrameContext): Value[];
  disposeState?(state: S): void;
}

/** What importing a node may depend on besides the node: run-time options of `model.operator()`. */
export interface ImportContext {
  readonly graph: OnnxGraph;
  readonly backend: KernelBackend;
  readonly denseFraction: number | undefined;
  thresholdFor(node: OnnxNode): number;
  /**
   * Relative thresholds: the factor a conv/fc layer's τ is multiplied by, measured on its first
   * input (`RrmLayerConfig.thresholdScale`); undefined for absolute thresholds.
   */
  readonly thresholdScale: ((input: FeatureMap) => number) | undefined;
  /** Whether the node records which input pixels it integrated (`LayerStats.activity`). */
  traces(node: OnnxNode): boolean;
}

export function requireInput(node: OnnxNode, inputs: readonly (Value | undefined)[], k = 0): Value {
  const value = inputs[k];
  if (!value) throw new RrmInputError(`${node.opType} node '${node.name}': input ${k} is missing`);
  return value;
}

/**
 * Runs a core single-input layer on a map (whose stats are empty), collects the layer's stats, and
 * returns the output map with the dims `dimsOf` gives (the image dims by default).
 */
export function runLayer<S>(
  layer: Layer<S>,
  state: S,
  input: FeatureMap,
  frame: FrameContext,
  dimsOf: (map: { height: number; width: number; channels: number }) => readonly number[] = (m) => [1, m.channels, m.height, m.width],
): Value {
  const out = layer.step(state, input);
  frame.stats.push(...out.stats);
  return { kind: 'map', map: out, dims: dimsOf(out) };
}

/** A step that runs one core layer on its first input. */
export function layerStep<S>(node: OnnxNode, layer: Layer<S>): GraphStep<S> {
  return {
    node,
    createState: () => layer.createState(),
    run: (state, inputs, frame) => [runLayer(layer, state, asImageMap(requireInput(node, inputs), frame.meta, `${node.opType} node '${node.name}'`), frame)],
    ...(layer.disposeState ? { disposeState: (state: S) => layer.disposeState!(state) } : {}),
  };
}

/** The node computed on dense ONNX-order tensors (first output): for values that are not maps. */
export function denseFallback(node: OnnxNode, ctx: ImportContext): (inputs: readonly (Value | undefined)[]) => Value {
  const evaluate = denseOutputs(node, ctx);
  return (inputs) => evaluate(inputs)[0]!;
}

/** Every output of the node computed on dense ONNX-order tensors. */
export function denseOutputs(node: OnnxNode, ctx: ImportContext): (inputs: readonly (Value | undefined)[]) => Value[] {
  const evaluate = denseEvaluator(node, ctx.graph.opset, (name) => ctx.graph.constants.get(name), ctx.graph.limits.maxTensorElements);
  return (inputs) => evaluate(inputs.map((v) => v && asTensor(v))).map(tensorValue);
}

/** A step that computes the node densely every frame: shape arithmetic left at run time, post-processing. */
export function denseStep(node: OnnxNode, ctx: ImportContext): GraphStep {
  const evaluate = denseOutputs(node, ctx);
  return { node, createState: () => null, run: (_state, inputs) => evaluate(inputs) };
}
