/** MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on maps, through delta-aware pooling layers. */
import { PoolLayer } from '../layers/pool-layer.js';
import { SpatialReduceLayer } from '../layers/spatial-reduce-layer.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { asImportError, paddingOf, pairAttribute } from './import-conv.js';
import { layerStep, type GraphStep, type ImportContext } from './step.js';

export function importPool(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `${node.opType} node '${node.name}'`;
  const a = node.attributes;
  if (node.outputs.length > 1 && node.outputs[1]) throw new ModelImportError(`${where}: the Indices output of MaxPool is not supported`);
  const kernel = a.ints('kernel_shape');
  if (!kernel || kernel.length !== 2) throw new ModelImportError(`${where}: kernel_shape [${kernel?.join(', ') ?? ''}] is not 2-D; only 2-D pooling is supported`);
  return layerStep(node, asImportError(where, node.name, () => new PoolLayer(node.name, {
    kind: node.opType === 'MaxPool' ? 'max' : 'avg',
    kernel: pairAttribute(a, 'kernel_shape', 1, where),
    stride: pairAttribute(a, 'strides', 1, where),
    dilation: pairAttribute(a, 'dilations', 1, where),
    padding: paddingOf(a, where),
    ceilMode: a.int('ceil_mode', 0) === 1,
    countIncludePad: a.int('count_include_pad', 0) === 1,
    reuseOutput: true,
    maxTensorElements: ctx.graph.limits.maxTensorElements,
  })));
}

export function importGlobalPool(node: OnnxNode): GraphStep {
  return layerStep(node, new SpatialReduceLayer(node.name, node.opType === 'GlobalMaxPool' ? 'max' : 'mean'));
}
