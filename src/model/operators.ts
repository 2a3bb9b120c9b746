/** Which importer handles each supported ONNX operator, and the check that a graph uses only those. */
import { ModelImportError } from './errors.js';
import type { OnnxGraph, OnnxNode } from './graph.js';
import { importConv, importConvTranspose } from './import-conv.js';
import { importBatchNorm, importBinary, importUnary } from './import-elementwise.js';
import { importLinear } from './import-linear.js';
import { importGlobalAveragePool, importPool } from './import-pool.js';
import { importConcat, importFlatten, importReshape, importSoftmax, importTranspose } from './import-shape.js';
import type { GraphStep, ImportContext } from './step.js';

type Importer = (node: OnnxNode, ctx: ImportContext) => GraphStep;

const IMPORTERS: Readonly<Record<string, Importer>> = {
  Conv: importConv,
  ConvTranspose: importConvTranspose,
  Gemm: importLinear,
  MatMul: importLinear,
  Add: importBinary, Sub: importBinary, Mul: importBinary, Div: importBinary, PRelu: importBinary,
  BatchNormalization: importBatchNorm,
  Relu: importUnary, Clip: importUnary, LeakyRelu: importUnary, Sigmoid: importUnary, HardSigmoid: importUnary,
  HardSwish: importUnary, Identity: importUnary, Dropout: importUnary,
  SiLU: importUnary, // internal: `x·sigmoid(x)` recognized by optimizeGraph
  MaxPool: importPool,
  AveragePool: importPool,
  GlobalAveragePool: importGlobalAveragePool,
  Flatten: importFlatten,
  Reshape: importReshape,
  Transpose: importTranspose,
  Softmax: importSoftmax,
  Concat: importConcat,
};

/** ONNX operators a model may contain (`Constant` nodes are read at load). */
export const SUPPORTED_OPERATORS: readonly string[] = [...Object.keys(IMPORTERS).filter((op) => op !== 'SiLU'), 'Constant'].sort();

/** Throws for the first node whose operator or form rx-rrm does not support. */
export function checkSupported(graph: OnnxGraph): void {
  for (const node of graph.nodes) {
    if (!(node.opType in IMPORTERS) || node.opType === 'SiLU') {
      throw new ModelImportError(
        `unsupported operator ${node.opType} in node '${node.name}'; supported operators: ${SUPPORTED_OPERATORS.join(', ')}`,
      );
    }
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
  return IMPORTERS[node.opType]!(node, ctx);
}
