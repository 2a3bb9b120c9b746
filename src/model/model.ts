/** `loadOnnx`: an ONNX file as an rx-rrm model, ready to run on video as one RxJS operator. */
import { pipe, type OperatorFunction } from 'rxjs';
import type { FeatureMap, Frame } from '../types.js';
import { ModelImportError } from './errors.js';
import { graphOperator, type ModelOperatorOptions, type ModelOutput } from './executor.js';
import { readGraph, type OnnxGraph, type ValueInfo } from './graph.js';
import { decodeModel } from './onnx-proto.js';
import { checkSupported } from './operators.js';
import { optimizeGraph } from './optimize.js';
import { readModelFile } from './model-file.js';
import { preprocessFrames, type PreprocessOptions } from './preprocess.js';
import type { Tensor } from './tensor.js';

export interface LoadOnnxOptions {
  /** Graph inputs to bind to constant values (a model must keep exactly one dynamic image input). */
  readonly bindInputs?: Readonly<Record<string, Tensor>>;
}

export interface OnnxModel {
  /** The one dynamic input (declared ONNX shape; `undefined` for a symbolic dimension). */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Names of the conv and fully-connected nodes after folding: the keys of `thresholds`. */
  readonly layers: readonly string[];
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
  const graph: OnnxGraph = readGraph(decodeModel(bytes), options);
  checkSupported(graph);
  const optimized = optimizeGraph(graph);
  graphOperator(optimized, {}); // imports every node once, so that unsupported forms fail here, not on subscribe
  const input = graph.input;
  return {
    inputs: [input],
    outputs: graph.outputs,
    layers: optimized.nodes.filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.opType)).map((n) => n.name),
    operator: (operatorOptions = {}) => graphOperator(optimized, operatorOptions),
    preprocess: (preprocessOptions = {}) => preprocessFrames(fixedInputSize(input), preprocessOptions),
    pipeline: ({ preprocess = {}, ...operatorOptions } = {}) =>
      pipe(preprocessFrames(fixedInputSize(input), preprocess, { fused: true }), graphOperator(optimized, operatorOptions)),
  };
}

/** The model input's [1, C, H, W] size, which preprocessing resizes frames to. */
function fixedInputSize(input: ValueInfo): { channels: number; height: number; width: number } {
  const [, channels, height, width] = input.dims;
  if (input.dims.length !== 4 || !channels || !height || !width) {
    throw new ModelImportError(`preprocess: the model input '${input.name}' has shape [${input.dims.map((d) => d ?? '?').join(', ')}]; a fixed [1, C, H, W] image size is needed`);
  }
  return { channels, height, width };
}
