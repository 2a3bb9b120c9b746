/** MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on maps, through delta-aware pooling layers. */
import { PoolLayer } from '../layers/pool-layer.js';
import { SpatialReduceLayer } from '../layers/spatial-reduce-layer.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { paddingOf } from './import-conv.js';
import { layerStep, type GraphStep } from './step.js';

export function importPool(node: OnnxNode): GraphStep {
  const where = `${node.opType} node '${node.name}'`;
  const a = node.attributes;
  if (node.outputs.length > 1 && node.outputs[1]) throw new ModelImportError(`${where}: the Indices output of MaxPool is not supported`);
  const kernel = a.ints('kernel_shape');
  if (!kernel || kernel.length !== 2) throw new ModelImportError(`${where}: kernel_shape [${kernel?.join(', ') ?? ''}] is not 2-D; only 2-D pooling is supported`);
  const twoD = (name: string, fallback: number): [number, number] => {
    const values = a.ints(name) ?? [fallback, fallback];
    if (values.length !== 2) throw new ModelImportError(`${where}: ${name} [${values.join(', ')}] is not 2-D`);
    return [values[0]!, values[1]!];
  };
  return layerStep(node, new PoolLayer(node.name, {
    kind: node.opType === 'MaxPool' ? 'max' : 'avg',
    kernel: [kernel[0]!, kernel[1]!],
    stride: twoD('strides', 1),
    dilation: twoD('dilations', 1),
    padding: paddingOf(a, where),
    ceilMode: a.int('ceil_mode', 0) === 1,
    countIncludePad: a.int('count_include_pad', 0) === 1,
    reuseOutput: true,
  }));
}

export function importGlobalPool(node: OnnxNode): GraphStep {
  return layerStep(node, new SpatialReduceLayer(node.name, node.opType === 'GlobalMaxPool' ? 'max' : 'mean'));
}
