/**
 * The operator table: one record per supported ONNX operator, holding every fact rx-rrm has about
 * it: how to import it as a run-time step, its function on dense tensors, its output shape, and
 * whether it is an RRM layer (`linear`), an activation a linear layer can apply itself (`fusable`),
 * pure shape arithmetic (`shapeOnly`) or post-processing. Every list of operators elsewhere is
 * derived from this table (as onnxruntime-web's op resolve rules are).
 */
import { DEFAULT_MAX_TENSOR_ELEMENTS } from '../kernels/validate-geometry.js';
import { denseArgExtreme, denseGlobalPool, denseReduce, REDUCE_OPERATORS } from './dense-reduce.js';
import {
  denseBatchNorm, denseBinary, denseConcat, denseFlatten, denseGemm, denseMatMul, denseReshape, denseSoftmax, denseTranspose, denseUnary,
  type DenseEvaluator, type DenseFactory,
} from './dense-ops.js';
import { denseGatherND, denseNonMaxSuppression, denseNonZero, denseTopK } from './dense-postprocess.js';
import { denseResize } from './dense-resize.js';
import {
  denseCast, denseChannelShuffle, denseConstantOfShape, denseDepthToSpace, denseExpand, denseGather, densePad, denseRange, denseShape, denseSize,
  denseSlice, denseSplit, denseSqueeze, denseTile, denseUnsqueeze, denseWhere,
} from './dense-shape-ops.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from './elementwise-functions.js';
import { ModelImportError } from './errors.js';
import type { OnnxGraph, OnnxNode } from './graph.js';
import { importConv } from './import-conv.js';
import { importConvTranspose } from './import-conv-transpose.js';
import { importBatchNorm, importBinary, importUnary } from './import-elementwise.js';
import { importLinear } from './import-linear.js';
import { importPad } from './import-pad.js';
import { importGlobalPool, importPool } from './import-pool.js';
import { importReduce } from './import-reduce.js';
import { importResize } from './import-resize.js';
import { importCast, importConcat, importFlatten, importReshape, importSoftmax, importSqueeze, importTranspose } from './import-shape.js';
import { importSlice, importSplit } from './import-slice.js';
import { importChannelShuffle, importSpaceDepth } from './import-space-depth.js';
import {
  broadcastShape, concatShape, convShape, convTransposeShape, expandShape, flattenShape, gatherShape, globalPoolShape, linearShape, padShape,
  poolShape, reduceShape, reshapeShape, resizeShape, sameShape, sliceShape, spaceDepthShape, splitShape, squeezeShape, transposeShape,
  type ShapeRule,
} from './shape-rules.js';
import { denseStep, type GraphStep, type ImportContext } from './step.js';
import type { Tensor } from './tensor.js';

export type Importer = (node: OnnxNode, ctx: ImportContext) => GraphStep;

export interface OperatorRecord {
  /** The node as a run-time step: maps on the delta path where the operator has one, dense tensors otherwise. */
  readonly importer: Importer;
  /** The node on dense ONNX-order tensors: constant folding, shape arithmetic, the non-spatial tail. */
  readonly dense?: DenseFactory;
  /** Output dims from input dims, for shape folding; without it the dense form runs on zeros (small inputs only). */
  readonly shape?: ShapeRule;
  /** An RRM layer: it has a threshold τ, and its node name is a key of `thresholds` (`model.layers`). */
  readonly linear?: boolean;
  /** An activation that a preceding linear layer applies itself (where its projection changed). */
  readonly fusable?: boolean;
  /** Computes shapes or indices only, never image data: folded to constants once the input size is known. */
  readonly shapeOnly?: boolean;
  /** Detection post-processing (data-dependent shapes): always computed densely, after the last map. */
  readonly postProcessing?: boolean;
  /** Created by optimizeGraph (SiLU, ChannelShuffle); a file that contains it is refused. */
  readonly internal?: boolean;
}

/** A tensor-only operator: runs densely every frame unless shape folding turned it into a constant. */
const tensorOnly = (dense: DenseFactory, extra: Partial<OperatorRecord> = {}): OperatorRecord => ({ importer: denseStep, dense, ...extra });

const FUSABLE: ReadonlySet<string> = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSwish']);

const OPERATORS: Readonly<Record<string, OperatorRecord>> = {
  Conv: { importer: importConv, shape: convShape, linear: true },
  Gemm: { importer: importLinear, dense: denseGemm, shape: linearShape, linear: true },
  MatMul: { importer: importLinear, dense: denseMatMul, shape: linearShape, linear: true },
  ConvTranspose: { importer: importConvTranspose, shape: convTransposeShape, linear: true },
  ...Object.fromEntries(UNARY_OPERATORS.map((op) => [op, { importer: importUnary, dense: denseUnary, shape: sameShape, ...(FUSABLE.has(op) ? { fusable: true } : {}) }])),
  SiLU: { importer: importUnary, dense: denseUnary, shape: sameShape, internal: true }, // `x·sigmoid(x)`
  ...Object.fromEntries(BINARY_OPERATORS.map((op) => [op, { importer: importBinary, dense: denseBinary, shape: broadcastShape }])),
  BatchNormalization: { importer: importBatchNorm, dense: denseBatchNorm, shape: sameShape },
  MaxPool: { importer: importPool, shape: poolShape },
  AveragePool: { importer: importPool, shape: poolShape },
  GlobalAveragePool: { importer: importGlobalPool, dense: denseGlobalPool, shape: globalPoolShape },
  GlobalMaxPool: { importer: importGlobalPool, dense: denseGlobalPool, shape: globalPoolShape },
  ...Object.fromEntries(REDUCE_OPERATORS.map((op) => [op, { importer: importReduce, dense: denseReduce, shape: reduceShape }])),
  Flatten: { importer: importFlatten, dense: denseFlatten, shape: flattenShape },
  Reshape: { importer: importReshape, dense: denseReshape, shape: reshapeShape },
  Squeeze: { importer: importSqueeze, dense: denseSqueeze, shape: squeezeShape },
  Unsqueeze: { importer: importSqueeze, dense: denseUnsqueeze, shape: squeezeShape },
  Transpose: { importer: importTranspose, dense: denseTranspose, shape: transposeShape },
  Softmax: { importer: importSoftmax, dense: denseSoftmax, shape: sameShape },
  Concat: { importer: importConcat, dense: denseConcat, shape: concatShape },
  Slice: { importer: importSlice, dense: denseSlice, shape: sliceShape },
  Split: { importer: importSplit, dense: denseSplit, shape: splitShape },
  Pad: { importer: importPad, dense: densePad, shape: padShape },
  Resize: { importer: importResize, dense: denseResize, shape: resizeShape },
  Upsample: { importer: importResize, dense: denseResize, shape: resizeShape },
  DepthToSpace: { importer: importSpaceDepth, dense: denseDepthToSpace, shape: spaceDepthShape },
  SpaceToDepth: { importer: importSpaceDepth, dense: denseDepthToSpace, shape: spaceDepthShape },
  ChannelShuffle: { importer: importChannelShuffle, dense: denseChannelShuffle, shape: sameShape, internal: true },
  Cast: { importer: importCast, dense: denseCast, shape: sameShape },
  Shape: tensorOnly(denseShape, { shapeOnly: true }),
  Size: tensorOnly(denseSize, { shapeOnly: true }),
  ConstantOfShape: tensorOnly(denseConstantOfShape, { shapeOnly: true }),
  Range: tensorOnly(denseRange, { shapeOnly: true }),
  Gather: tensorOnly(denseGather, { shape: gatherShape }),
  Expand: tensorOnly(denseExpand, { shape: expandShape }),
  Where: tensorOnly(denseWhere),
  Tile: tensorOnly(denseTile),
  ArgMax: tensorOnly(denseArgExtreme),
  ArgMin: tensorOnly(denseArgExtreme),
  TopK: tensorOnly(denseTopK, { postProcessing: true }),
  NonZero: tensorOnly(denseNonZero, { postProcessing: true }),
  GatherND: tensorOnly(denseGatherND, { postProcessing: true }),
  NonMaxSuppression: tensorOnly(denseNonMaxSuppression, { postProcessing: true }),
};

/** The record of an operator, or undefined when rx-rrm does not support it. */
export function operatorRecord(opType: string): OperatorRecord | undefined {
  return Object.hasOwn(OPERATORS, opType) ? OPERATORS[opType] : undefined;
}

const recordsWhere = (test: (r: OperatorRecord) => boolean | undefined) => Object.keys(OPERATORS).filter((op) => test(OPERATORS[op]!)).sort();

/** ONNX operators a model may contain (`Constant` nodes are read at load). */
export const SUPPORTED_OPERATORS: readonly string[] = [...recordsWhere((r) => !r.internal), 'Constant'].sort();
/** RRM layers, with a threshold each: Conv, Gemm, MatMul, ConvTranspose. */
export const isLinear = (opType: string): boolean => operatorRecord(opType)?.linear === true;
export const isFusable = (opType: string): boolean => operatorRecord(opType)?.fusable === true;
export const hasDenseForm = (opType: string): boolean => operatorRecord(opType)?.dense !== undefined;

/** The node as a function of its input tensors, one tensor per output; throws for an operator without a dense form. */
export function denseEvaluator(
  node: OnnxNode,
  opset: number,
  constant: (name: string) => Tensor | undefined,
  maxElements: number = DEFAULT_MAX_TENSOR_ELEMENTS,
): DenseEvaluator {
  const dense = operatorRecord(node.opType)?.dense;
  if (!dense) throw new ModelImportError(`${node.opType} node '${node.name}': has no dense form`);
  return dense(node, opset, constant, maxElements);
}

/**
 * Throws, listing every operator type rx-rrm does not support with its count and first node, and
 * every node whose form it does not support.
 */
export function checkSupported(graph: Pick<OnnxGraph, 'nodes' | 'constants'>): void {
  const unsupported = new Map<string, { count: number; first: string }>();
  for (const node of graph.nodes) {
    const record = operatorRecord(node.opType);
    if (record && !record.internal) continue;
    const seen = unsupported.get(node.opType);
    unsupported.set(node.opType, { count: (seen?.count ?? 0) + 1, first: seen?.first ?? node.name });
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([op, { count, first }]) => `${op} x${count} (first: node '${first}')`).join(', ');
    throw new ModelImportError(`unsupported operator${unsupported.size > 1 ? 's' : ''} ${list}; supported operators: ${SUPPORTED_OPERATORS.join(', ')}`);
  }
  for (const node of graph.nodes) {
    if (node.opType === 'BatchNormalization' && (node.attributes.int('training_mode', 0) === 1 || node.outputs.filter(Boolean).length > 1)) {
      throw new ModelImportError(`BatchNormalization node '${node.name}': training mode (running-statistics outputs) is not supported; export the model for inference`);
    }
    if (node.opType === 'Dropout') {
      const trainingMode = node.inputs[2] ? graph.constants.get(node.inputs[2]) : undefined;
      if (node.outputs.filter(Boolean).length > 1 || (node.inputs[2] && (!trainingMode || trainingMode.data[0] !== 0))) {
        throw new ModelImportError(`Dropout node '${node.name}': training mode and the mask output are not supported (inference only)`);
      }
    }
  }
}

export function importNode(node: OnnxNode, ctx: ImportContext): GraphStep {
  return operatorRecord(node.opType)!.importer(node, ctx);
}
