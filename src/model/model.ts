/** `loadOnnx`: an ONNX file as an rx-rrm model, ready to run on video as one RxJS operator. */
import { pipe, type OperatorFunction } from 'rxjs';
import type { FeatureMap, Frame } from '../types.js';
import { ModelImportError } from './errors.js';
import { cutGraph, describeOperators, findPostProcessing } from './cut-graph.js';
import { graphOperator, GraphRunner, type ModelOperatorOptions, type ModelOutput } from './executor.js';
import { pipelinedGraphOperator } from './frame-pipeline.js';
import type { ModelRecipe } from './pipeline-protocol.js';
import { GraphPlan } from './graph-plan.js';
import { readGraph, type OnnxGraph, type ValueInfo } from './graph.js';
import { readModelFile } from './model-file.js';
import { decodeModel } from './onnx-proto.js';
import { checkSupported, isLinear } from './op-table.js';
import { preprocessFrames, type InputSize, type PreprocessOptions } from './preprocess.js';
import type { Tensor } from './tensor.js';

export interface LoadOnnxOptions {
  /** Graph inputs to bind to constant values (a model must keep exactly one dynamic image input). */
  readonly bindInputs?: Readonly<Record<string, Tensor>>;
  /**
   * Values to stop at, which become the model's outputs: only the nodes they need are kept. Cuts a
   * detector before its post-processing (TopK, NonZero, NonMaxSuppression, If) to decode it in
   * TypeScript instead (`decodeYolo`, `decodeUltraFace`).
   */
  readonly outputs?: readonly string[];
  /**
   * Largest number of values any one tensor of the model may make rx-rrm allocate: initializers and
   * constants (checked at load, before their data is read), folded constants, and each layer's
   * buffers for the input size of the stream (padding included, checked before the layer allocates
   * them); default 2^26 (256 MiB of float32), at most 2^28.
   */
  readonly maxTensorElements?: number;
}

/** What loading did with a model's post-processing (detection decoding in the graph). */
export interface PostProcessingNote {
  /** `'dense'`: computed on tensors after the last map, every frame; `'cut'`: dropped by `outputs`. */
  readonly mode: 'dense' | 'cut';
  /** Its operators by type, with their counts. */
  readonly operators: Readonly<Record<string, number>>;
  /** The same in one sentence. */
  readonly message: string;
}

export interface OnnxModel {
  /** The one dynamic input (declared ONNX shape; `undefined` for a symbolic dimension). */
  readonly inputs: readonly ValueInfo[];
  /** The outputs; with a fixed input size their dims as computed, else as declared. */
  readonly outputs: readonly ValueInfo[];
  /** Names of the RRM layers (Conv, Gemm, MatMul, ConvTranspose nodes) after folding: the keys of `thresholds`. */
  readonly layers: readonly string[];
  /** Present when the model has post-processing operators: whether they run densely or were cut off. */
  readonly postProcessing: PostProcessingNote | undefined;
  /** The whole network as one operator; each subscription gets its own state for every node. */
  operator(options?: ModelOperatorOptions): OperatorFunction<FeatureMap, ModelOutput>;
  /** Frames to this model's input maps (resized to its input size when they differ). */
  preprocess(options?: PreprocessOptions): OperatorFunction<Frame, FeatureMap>;
  /**
   * `preprocess` and `operator` as one operator, Frames in, outputs out: the input map never leaves
   * it, so it is updated in place instead of copied per frame. What `rx-rrm run` uses.
   */
  pipeline(options?: ModelPipelineOptions): OperatorFunction<Frame, ModelOutput>;
}

export interface ModelPipelineOptions extends ModelOperatorOptions {
  readonly preprocess?: PreprocessOptions;
}

export async function loadOnnx(source: Uint8Array | string, options: LoadOnnxOptions = {}): Promise<OnnxModel> {
  return modelFromBytes(typeof source === 'string' ? await readModelFile(source) : source, options);
}

export function modelFromBytes(bytes: Uint8Array, options: LoadOnnxOptions = {}): OnnxModel {
  const read: OnnxGraph = readGraph(decodeModel(bytes), options);
  const plan = planOf(read, options);
  const graph = plan.graph;
  const sized = plan.fixedDims && plan.forInput(plan.fixedDims); // folds shape arithmetic: bad shapes fail here
  new GraphRunner(plan, {}); // imports every node once, so that unsupported forms fail here, not on subscribe
  // What a pipeline's stage worker rebuilds the model from: the bytes in shared memory, made once.
  let recipe: ModelRecipe | undefined;
  const modelRecipe = (): ModelRecipe => (recipe ??= { bytes: sharedCopy(bytes), load: options });
  const operator = (operatorOptions: ModelOperatorOptions) =>
    operatorOptions.threads === 2 ? pipelinedGraphOperator(plan, modelRecipe, operatorOptions) : graphOperator(plan, operatorOptions);
  const input = graph.input;
  const layerGraph = sized?.graph ?? graph;
  return {
    inputs: [input],
    outputs: graph.outputs.map((o) => ({ name: o.name, dims: sized?.dims.get(o.name) ?? o.dims })),
    layers: layerGraph.nodes.filter((n) => isLinear(n.opType)).map((n) => n.name),
    postProcessing: postProcessingNote(read, graph, options.outputs !== undefined),
    operator: (operatorOptions = {}) => operator(operatorOptions),
    preprocess: (preprocessOptions = {}) => preprocessFrames(modelInputSize(input), preprocessOptions),
    pipeline: ({ preprocess = {}, ...operatorOptions } = {}) => {
      const toMaps = preprocessFrames(modelInputSize(input), preprocess, { fused: true });
      return operatorOptions.threads === 2 ? pipelinedGraphOperator(plan, modelRecipe, operatorOptions, toMaps) : pipe(toMaps, graphOperator(plan, operatorOptions));
    },
  };
}

/** The model's plan as `modelFromBytes` makes it, from the same bytes and options (the pipeline's stage worker). */
export function planFromBytes(bytes: Uint8Array, options: LoadOnnxOptions = {}): GraphPlan {
  return planOf(readGraph(decodeModel(bytes), options), options);
}

function planOf(read: OnnxGraph, options: LoadOnnxOptions): GraphPlan {
  const graph = options.outputs ? cutGraph(read, options.outputs) : read;
  checkPostProcessingSupported(graph);
  checkBatch(graph);
  return new GraphPlan(graph);
}

/** The bytes in shared memory, which every stage worker reads without a copy of its own (a page that is not cross-origin isolated has none: a copy each). */
function sharedCopy(bytes: Uint8Array): Uint8Array {
  if (typeof SharedArrayBuffer === 'undefined') return bytes.slice();
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/** How many of the values where post-processing starts an error message names. */
const MAX_CUT_POINTS_SHOWN = 8;

/** `checkSupported`, with where to cut the graph when the unsupported operators are post-processing. */
function checkPostProcessingSupported(graph: OnnxGraph): void {
  try {
    checkSupported(graph);
  } catch (error) {
    const tail = findPostProcessing(graph);
    if (!(error instanceof ModelImportError) || !tail || tail.cutPoints.length === 0) throw error;
    const shown = tail.cutPoints.slice(0, MAX_CUT_POINTS_SHOWN).map((p) => `'${p}'`).join(', ');
    const more = tail.cutPoints.length > MAX_CUT_POINTS_SHOWN ? `, ... (${tail.cutPoints.length} values in all)` : '';
    throw new ModelImportError(
      `${error.message}. They are part of the model's post-processing (${describeOperators(tail.operators)}), which starts after ` +
      `${shown}${more}: load the model with { outputs: [...] } naming the values to stop at, and decode the detections in TypeScript`,
    );
  }
}

/**
 * The input must be a batch-1 image `[1, C, H, W]` or vector `[1, C]`. Per-stream inference is
 * batch 1 (groupBy runs many streams): a fixed larger batch is refused at load.
 */
function checkBatch(graph: OnnxGraph): void {
  const { name, dims } = graph.input;
  if (dims.length === 3 && dims[0] !== 1) {
    // [C, H, W]: not a batch of 1-D signals (their convs are refused with their own message).
    throw new ModelImportError(
      `model input '${name}' has shape [${dims.map((d) => d ?? '?').join(', ')}]: rx-rrm takes an image [1, C, H, W] or a vector [1, C]; ` +
      'this looks like one image without its batch dimension: export the model with one',
    );
  }
  const batch = dims[0];
  if (dims.length >= 2 && batch !== undefined && batch !== 1) {
    throw new ModelImportError(
      `model input '${name}' has a fixed batch of ${batch} (shape [${dims.map((d) => d ?? '?').join(', ')}]): rx-rrm runs one frame per inference ` +
      '(batch 1) and runs many streams side by side with groupBy; export the model with batch 1 or a dynamic batch dimension',
    );
  }
}

function postProcessingNote(read: OnnxGraph, graph: OnnxGraph, cut: boolean): PostProcessingNote | undefined {
  const kept = findPostProcessing(graph);
  if (kept) {
    const operators = describeOperators(kept.operators);
    return { mode: 'dense', operators: kept.operators, message: `post-processing (${operators}) is computed densely after the last map, every frame` };
  }
  const dropped = cut ? findPostProcessing(read) : undefined;
  if (!dropped) return undefined;
  const operators = describeOperators(dropped.operators);
  return { mode: 'cut', operators: dropped.operators, message: `the graph is cut at ${graph.outputs.map((o) => `'${o.name}'`).join(', ')}: its post-processing (${operators}) is not computed` };
}

/** The model input's [1, C, H, W] size, which preprocessing resizes frames to. */
/** The image size frames are fitted to; a symbolic height or width (a model exported for any size) takes the frame's own. */
function modelInputSize(input: ValueInfo): InputSize {
  const [, channels, height, width] = input.dims;
  if (input.dims.length !== 4 || !channels) {
    throw new ModelImportError(`preprocess: the model input '${input.name}' has shape [${input.dims.map((d) => d ?? '?').join(', ')}]; an image [1, C, H, W] with a fixed C is needed`);
  }
  return { channels, height: height ?? undefined, width: width ?? undefined };
}
