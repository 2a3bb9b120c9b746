/**
 * The whole graph as ONE RxJS operator: a `mapWithState` whose state holds one state per node, so
 * every subscription (and every `groupBy` group) runs its own copy of every layer, while weights
 * stay shared. Nodes run in topological order over a table of named values.
 */
import type { OperatorFunction } from 'rxjs';
import type { KernelBackend } from '../kernels/backend.js';
import { defaultBackend } from '../kernels/default-backend.js';
import { assertFeatureMap, RrmInputError } from '../layers/validate.js';
import { mapWithState } from '../operators/with-state.js';
import type { FeatureMap, LayerStats } from '../types.js';
import type { GraphPlan } from './graph-plan.js';
import type { OnnxGraph } from './graph.js';
import { asTensor, tensorValue, type Value } from './layout.js';
import { importNode, isLinear } from './op-table.js';
import type { FrameContext, GraphStep } from './step.js';
import { checkThresholdMode, modelInputScale, RelativeScales, type ThresholdMode } from './threshold-mode.js';

export interface ModelOperatorOptions {
  /** Default τ of every conv and fully-connected layer (0, the default, is exact). */
  readonly threshold?: number;
  /** τ per node name (see `OnnxModel.layers`), overriding `threshold`, in the units of `thresholdMode`. */
  readonly thresholds?: Readonly<Record<string, number>>;
  /**
   * `'absolute'` (default): τ is in the units of each layer's own input. `'relative'`: a layer's τ
   * is `threshold · s(its input) / s(model input)` (or the node's `thresholds` entry instead of
   * `threshold`), `s` the 99.9th percentile over pixels of max_c |x|, both measured on the
   * subscription's first frame; at the network input it equals the absolute τ. A uniform first
   * frame makes the subscription exact. See src/model/threshold-mode.ts.
   */
  readonly thresholdMode?: ThresholdMode;
  /** Recompute densely every N frames (counting from the subscription's first); default: only the first. */
  readonly keyframeEvery?: number;
  /** Kernel backend of the RRM layers (default: `defaultBackend()`, the fastest that loads here). */
  readonly backend?: KernelBackend;
  /** Active fraction above which a layer recomputes densely (default: the backend's crossover). */
  readonly denseFraction?: number;
  /** Conv nodes whose integrated input pixels each output's stats record (`LayerStats.activity`), e.g. for overlays. */
  readonly traceLayers?: readonly string[];
}

/** One graph output: ONNX shape and element order. */
export interface OutputTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface ModelOutput {
  /** Every graph output by name. */
  readonly outputs: Readonly<Record<string, OutputTensor>>;
  readonly index: number;
  readonly timestamp: number;
  readonly streamId?: string | number;
  readonly keyframe: boolean;
  /** The input map's stats (e.g. `toTensor`'s) followed by one entry per layer run, in order. */
  readonly stats: readonly LayerStats[];
}

interface ExecutorState {
  /** The steps of the current input size: a new size folds the graph again, with new steps and fresh states (a keyframe). */
  steps: readonly GraphStep[] | undefined;
  nodeStates: unknown[];
  count: number;
  /** s(model input) of this subscription's first frame (relative thresholds only). */
  inputScale: number | undefined;
}

export function graphOperator(plan: GraphPlan, options: ModelOperatorOptions): OperatorFunction<FeatureMap, ModelOutput> {
  const graph = plan.graph;
  const threshold = options.threshold ?? 0;
  const thresholds = options.thresholds ?? {};
  const linearNodes = new Set(graph.nodes.filter((n) => isLinear(n.opType)).map((n) => n.name));
  const unknown = Object.keys(thresholds).filter((name) => !linearNodes.has(name));
  if (unknown.length > 0) {
    throw new RrmInputError(`thresholds: no RRM layer (Conv, Gemm, MatMul, ConvTranspose) named ${unknown.map((n) => `'${n}'`).join(', ')}; layers: ${[...linearNodes].join(', ')}`);
  }
  const mode = checkThresholdMode(options.thresholdMode);
  const relative = mode === 'relative' ? new RelativeScales() : undefined;
  const keyframeEvery = options.keyframeEvery;
  if (keyframeEvery !== undefined && !(Number.isInteger(keyframeEvery) && keyframeEvery > 0)) {
    throw new RrmInputError(`keyframeEvery must be a positive integer, got ${keyframeEvery}`);
  }
  const prepared = new Map<OnnxGraph, { steps: GraphStep[]; constants: Map<string, Value> }>(); // per input size
  const prepare = (sized: OnnxGraph) => {
    let entry = prepared.get(sized);
    if (!entry) {
      const steps = sized.nodes.map((node) =>
        importNode(node, {
          graph: sized,
          backend: options.backend ?? defaultBackend(),
          denseFraction: options.denseFraction,
          thresholdFor: (n) => thresholds[n.name] ?? threshold,
          thresholdScale: relative?.layerScale,
          traces: (n) => options.traceLayers?.includes(n.name) ?? false,
        }),
      );
      entry = { steps, constants: new Map<string, Value>([...sized.constants].map(([name, t]) => [name, tensorValue(t)])) };
      prepared.set(sized, entry);
    }
    return entry;
  };
  if (plan.fixedDims) prepare(plan.forInput(plan.fixedDims).graph); // a fixed-size model's unsupported forms fail here, not on its first frame
  const input = graph.input;
  const disposeSteps = (state: ExecutorState) => state.steps?.forEach((step, k) => step.disposeState?.(state.nodeStates[k]));

  return mapWithState<ExecutorState, FeatureMap, ModelOutput>(
    () => ({ steps: undefined, nodeStates: [], count: 0, inputScale: undefined }),
    (state, map) => {
      assertFeatureMap(`model input '${input.name}'`, map);
      checkInputShape(graph, map);
      const { steps, constants } = prepare(plan.forMap(map).graph);
      if (state.steps !== steps) {
        disposeSteps(state);
        state.steps = steps;
        state.nodeStates = steps.map((s) => s.createState());
      }
      if (relative) relative.reference = state.inputScale ??= modelInputScale(map);
      // The first frame is computed densely whatever it says: mark it so.
      const keyframe = map.keyframe || state.count === 0 || (keyframeEvery !== undefined && state.count % keyframeEvery === 0);
      state.count++;
      const frame: FrameContext = {
        meta: { index: map.index, timestamp: map.timestamp, ...(map.streamId !== undefined ? { streamId: map.streamId } : {}), keyframe },
        stats: [...map.stats],
      };
      const values = new Map(constants);
      const dims = input.dims.length === 2 ? [1, map.channels] : [1, map.channels, map.height, map.width]; // ONNX view of the map
      values.set(input.name, { kind: 'map', map: { ...map, keyframe, stats: [] }, dims });
      steps.forEach((step, k) => {
        const inputs = step.node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
        const outputs = step.run(state.nodeStates[k], inputs, frame);
        step.node.outputs.forEach((name, o) => outputs[o] && values.set(name, outputs[o]!));
      });
      const outputs: Record<string, OutputTensor> = {};
      for (const { name } of graph.outputs) {
        const value = values.get(name);
        if (!value) throw new RrmInputError(`graph output '${name}' was not computed`);
        const { dims: outDims, data } = asTensor(value);
        // Maps inside the graph are updated in place frame after frame; what is emitted must not be.
        outputs[name] = { dims: outDims, data: value.kind === 'map' && data === value.map.data ? data.slice() : data };
      }
      return { outputs, ...frame.meta, stats: frame.stats };
    },
    disposeSteps,
  );
}

function checkInputShape(graph: OnnxGraph, map: FeatureMap): void {
  const { name } = graph.input;
  // A model that declares no input shape takes any image.
  const dims = graph.input.dims.length === 0 ? [undefined, undefined, undefined, undefined] : graph.input.dims;
  const [batch, channels, height, width] = dims;
  const rank2 = dims.length === 2;
  const expected = rank2 ? [channels, 1, 1] : [channels, height, width];
  const actual = [map.channels, map.height, map.width];
  const mismatch = expected.some((e, k) => e !== undefined && e !== actual[k]);
  if ((dims.length !== 4 && !rank2) || (batch !== undefined && batch !== 1) || mismatch) {
    throw new RrmInputError(
      `model input '${name}' expects shape [${dims.map((d) => d ?? '?').join(', ')}] (an HWC map of ${rank2 ? `1x1x${channels ?? '?'}` : `${height ?? '?'}x${width ?? '?'}x${channels ?? '?'}`}), got a ${map.height}x${map.width}x${map.channels} map`,
    );
  }
}
