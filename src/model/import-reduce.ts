/**
 * ReduceMean and ReduceMax over the H and W of an image map (MnasNet's `x.mean([2, 3])`, squeeze-
 * excite pools) as delta-aware spatial reductions; any other axes run densely.
 */
import { SpatialReduceLayer } from '../layers/spatial-reduce-layer.js';
import { reducedAxes } from './dense-reduce.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, isImage } from './layout.js';
import { denseFallback, requireInput, runLayer, type GraphStep, type ImportContext } from './step.js';

export function importReduce(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `${node.opType} node '${node.name}'`;
  const dense = denseFallback(node, ctx);
  const keepDims = node.attributes.int('keepdims', 1) === 1;
  const axesInput = node.inputs[1] ? ctx.graph.constants.get(node.inputs[1]) : undefined;
  const axesKnown = !node.inputs[1] || axesInput !== undefined;
  const reduction = node.opType === 'ReduceMax' ? 'max' : node.opType === 'ReduceMean' ? 'mean' : undefined;
  const layer = reduction && axesKnown ? new SpatialReduceLayer(node.name, reduction, node.opType === 'ReduceMax' ? 'reduceMax' : 'reduceMean') : undefined;
  const overPixels = () => reducedAxes(node, ctx.graph.opset, [undefined, axesInput], 4)?.join() === '2,3';
  return {
    node,
    createState: () => layer?.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (layer && isImage(input) && input.dims.length === 4 && overPixels()) {
        return [runLayer(layer, state as ReturnType<typeof layer.createState>, asImageMap(input, frame.meta, where), frame, (m) => (keepDims ? [1, m.channels, 1, 1] : [1, m.channels]))];
      }
      return [dense(inputs)];
    },
  };
}
