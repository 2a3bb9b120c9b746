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
import type { SizedGraph } from './shape-folding.js';
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
  /**
   * 2 runs the graph as a two-stage frame pipeline (Node): a worker thread runs the later layers of
   * frame t while the caller's thread runs the first layers of frame t+1. Outputs are the one-thread
   * outputs, bit for bit and in order, emitted up to `PIPELINE_DEPTH` frames later. Give it a
   * one-thread backend: each stage is one thread. Default 1.
   */
  readonly threads?: 1 | 2;
  /**
   * With `threads: 2`, the node the worker's stage starts at (its name in the graph as run, see
   * `OnnxModel.layers` for the convs); default: where the estimated work splits about 45/55
   * (src/model/pipeline-cut.ts).
   */
  readonly splitAt?: string;
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

/** What one subscription keeps: the steps of its current input size and one state per step. */
export interface ExecutorState {
  /** The steps of the current input size: a new size folds the graph again, with new steps and fresh states (a keyframe). */
  steps: readonly GraphStep[] | undefined;
  nodeStates: unknown[];
  count: number;
  /** s(model input) of this subscription's first frame (relative thresholds only). */
  inputScale: number | undefined;
}

/** The steps of one input size and the graph's constants as values. */
export interface PreparedSteps {
  readonly steps: readonly GraphStep[];
  readonly constants: ReadonlyMap<string, Value>;
}

/** A frame being computed: its meta and stats, and the table of named values the steps read and write. */
export interface FrameRun {
  /** The graph folded for this frame's input size. */
  readonly sized: SizedGraph;
  readonly prepared: PreparedSteps;
  readonly frame: FrameContext;
  readonly values: Map<string, Value>;
}

/**
 * Everything `graphOperator` does per frame, in parts that the two-thread pipeline
 * (`frame-pipeline.ts`) runs on either side of its cut: the options checked once, the steps imported
 * once per input size, then per frame `begin` and `runSteps` over a range of the steps.
 */
export class GraphRunner {
  private readonly prepared = new Map<OnnxGraph, PreparedSteps>(); // per input size
  private readonly relative: RelativeScales | undefined;
  private readonly keyframeEvery: number | undefined;

  constructor(readonly plan: GraphPlan, private readonly options: ModelOperatorOptions) {
    const graph = plan.graph;
    const thresholds = options.thresholds ?? {};
    const linearNodes = new Set(graph.nodes.filter((n) => isLinear(n.opType)).map((n) => n.name));
    const unknown = Object.keys(thresholds).filter((name) => !linearNodes.has(name));
    if (unknown.length > 0) {
      throw new RrmInputError(`thresholds: no RRM layer (Conv, Gemm, MatMul, ConvTranspose) named ${unknown.map((n) => `'${n}'`).join(', ')}; layers: ${[...linearNodes].join(', ')}`);
    }
    this.relative = checkThresholdMode(options.thresholdMode) === 'relative' ? new RelativeScales() : undefined;
    const keyframeEvery = options.keyframeEvery;
    if (keyframeEvery !== undefined && !(Number.isInteger(keyframeEvery) && keyframeEvery > 0)) {
      throw new RrmInputError(`keyframeEvery must be a positive integer, got ${keyframeEvery}`);
    }
    this.keyframeEvery = keyframeEvery;
    if (plan.fixedDims) this.prepare(plan.forInput(plan.fixedDims).graph); // a fixed-size model's unsupported forms fail here, not on its first frame
  }

  createState(): ExecutorState {
    return { steps: undefined, nodeStates: [], count: 0, inputScale: undefined };
  }

  readonly disposeState = (state: ExecutorState): void => state.steps?.forEach((step, k) => step.disposeState?.(state.nodeStates[k]));

  /** The steps of a graph folded for one input size, imported on first use. */
  prepare(sized: OnnxGraph): PreparedSteps {
    let entry = this.prepared.get(sized);
    if (!entry) {
      const { options } = this;
      const threshold = options.threshold ?? 0;
      const thresholds = options.thresholds ?? {};
      const steps = sized.nodes.map((node) =>
        importNode(node, {
          graph: sized,
          backend: options.backend ?? defaultBackend(),
          denseFraction: options.denseFraction,
          thresholdFor: (n) => thresholds[n.name] ?? threshold,
          thresholdScale: this.relative?.layerScale,
          traces: (n) => options.traceLayers?.includes(n.name) ?? false,
        }),
      );
      entry = { steps, constants: new Map<string, Value>([...sized.constants].map(([name, t]) => [name, tensorValue(t)])) };
      this.prepared.set(sized, entry);
    }
    return entry;
  }

  /** Checks the input map, switches the subscription to its size's steps, and starts the frame's values with the constants and the input. */
  begin(state: ExecutorState, map: FeatureMap): FrameRun {
    const graph = this.plan.graph;
    const input = graph.input;
    assertFeatureMap(`model input '${input.name}'`, map);
    checkInputShape(graph, map);
    const sized = this.plan.forMap(map);
    const prepared = this.prepare(sized.graph);
    this.useSteps(state, prepared);
    if (this.relative) state.inputScale ??= modelInputScale(map);
    // The first frame is computed densely whatever it says: mark it so.
    const keyframe = map.keyframe || state.count === 0 || (this.keyframeEvery !== undefined && state.count % this.keyframeEvery === 0);
    state.count++;
    const frame: FrameContext = {
      meta: { index: map.index, timestamp: map.timestamp, ...(map.streamId !== undefined ? { streamId: map.streamId } : {}), keyframe },
      stats: [...map.stats],
    };
    const values = new Map(prepared.constants);
    values.set(input.name, { kind: 'map', map: { ...map, keyframe, stats: [] }, dims: this.plan.inputDims(map) }); // the ONNX view of the map
    return { sized, prepared, frame, values };
  }

  /** Gives the subscription fresh states when its input size (so its steps) changed. */
  useSteps(state: ExecutorState, prepared: PreparedSteps): void {
    if (state.steps === prepared.steps) return;
    this.disposeState(state);
    state.steps = prepared.steps;
    state.nodeStates = prepared.steps.map((s) => s.createState());
  }

  /** Runs steps `from` to `to` (exclusive) of the frame; relative thresholds measure against `inputScale`. */
  runSteps(state: ExecutorState, run: FrameRun, from: number, to: number): void {
    if (this.relative) this.relative.reference = state.inputScale!;
    const { steps } = run.prepared;
    for (let k = from; k < to; k++) {
      const step = steps[k]!;
      const inputs = step.node.inputs.map((name) => (name === '' ? undefined : run.values.get(name)));
      const outputs = step.run(state.nodeStates[k], inputs, run.frame);
      step.node.outputs.forEach((name, o) => outputs[o] && run.values.set(name, outputs[o]!));
    }
  }
}

export function graphOperator(plan: GraphPlan, options: ModelOperatorOptions): OperatorFunction<FeatureMap, ModelOutput> {
  const runner = new GraphRunner(plan, options);
  const outputNames = plan.graph.outputs.map((o) => o.name);
  return mapWithState<ExecutorState, FeatureMap, ModelOutput>(
    () => runner.createState(),
    (state, map) => {
      const run = runner.begin(state, map);
      runner.runSteps(state, run, 0, run.prepared.steps.length);
      return { outputs: emittedOutputs(run.values, outputNames), ...run.frame.meta, stats: run.frame.stats };
    },
    runner.disposeState,
  );
}

/**
 * The named outputs as emitted: maps inside the graph are updated in place frame after frame, what
 * is emitted must not be. `owned`: every array a fresh copy (to transfer it to another thread).
 */
export function emittedOutputs(values: ReadonlyMap<string, Value>, names: readonly string[], owned = false): Record<string, OutputTensor> {
  const outputs: Record<string, OutputTensor> = {};
  for (const name of names) {
    const value = values.get(name);
    if (!value) throw new RrmInputError(`graph output '${name}' was not computed`);
    const { dims, data } = asTensor(value);
    const fresh = value.kind === 'map' && data !== value.map.data;
    outputs[name] = { dims, data: fresh || (value.kind === 'tensor' && !owned) ? data : data.slice() };
  }
  return outputs;
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
