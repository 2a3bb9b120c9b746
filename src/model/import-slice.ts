/**
 * Slice and Split on image maps, on the delta path: ranges of channels (C2f's chunk, ShuffleNet's
 * split) and strided pixels (Focus). Their parameters are constants once shape arithmetic is
 * folded; computed at run time, or on anything that is not an image, they run densely.
 */
import type { PixelMapLayer } from '../layers/pixel-map-layer.js';
import { sliceLayer, type MapSlice } from '../layers/slice-layer.js';
import { normalizeAxis, sliceGeometry, sliceParameters, splitSizes } from './dense-shape-ops.js';
import type { OnnxNode } from './graph.js';
import { asImageMap, isImage, type Value } from './layout.js';
import { denseFallback, denseOutputs, requireInput, runLayer, type GraphStep, type ImportContext } from './step.js';

/** ONNX [N, C, H, W] starts, steps and sizes as a map slice; undefined when it slices the batch. */
function asMapSlice(start: readonly number[], step: readonly number[], dims: readonly number[]): MapSlice | undefined {
  if (dims[0] !== 1 || start[0] !== 0) return undefined;
  const axis = (k: number) => ({ start: start[k]!, step: step[k]!, size: dims[k]! });
  return { channels: axis(1), height: axis(2), width: axis(3) };
}

export function importSlice(node: OnnxNode, ctx: ImportContext): GraphStep {
  const where = `Slice node '${node.name}'`;
  const dense = denseFallback(node, ctx);
  const parameters = sliceParameters(node, ctx.graph.opset, node.inputs.map((name) => (name ? ctx.graph.constants.get(name) : undefined)));
  const layer = parameters && sliceLayer(node.name, (height, width, channels) => {
    const geometry = sliceGeometry([1, channels, height, width], parameters.starts, parameters.ends, parameters.axes, parameters.steps, where);
    return asMapSlice(geometry.start, geometry.step, geometry.dims)!;
  }, true);
  const slicesBatch = (value: Value & { kind: 'map' }) => {
    const geometry = sliceGeometry(value.dims, parameters!.starts, parameters!.ends, parameters!.axes, parameters!.steps, where);
    return asMapSlice(geometry.start, geometry.step, geometry.dims) === undefined;
  };
  return {
    node,
    createState: () => layer?.createState(),
    run: (state, inputs, frame) => {
      const input = requireInput(node, inputs);
      if (layer && isImage(input) && input.dims.length === 4 && !slicesBatch(input)) {
        return [runLayer(layer, state as ReturnType<PixelMapLayer['createState']>, asImageMap(input, frame.meta, where), frame)];
      }
      return [dense(inputs)];
    },
  };
}

export function importSplit(node: OnnxNode, ctx: ImportContext): GraphStep<ReturnType<PixelMapLayer['createState']>[] | undefined> {
  const where = `Split node '${node.name}'`;
  const opset = ctx.graph.opset;
  const dense = denseOutputs(node, ctx);
  const splitInput = node.inputs[1] ? ctx.graph.constants.get(node.inputs[1]) : undefined;
  const known = opset < 13 || !node.inputs[1] || splitInput !== undefined;
  const axisAttribute = node.attributes.int('axis', 0);
  const layers = known
    ? node.outputs.map((_, k) => sliceLayer(`${node.name}:${k}`, (height, width, channels) => {
        const dims = [1, channels, height, width];
        const axis = normalizeAxis(axisAttribute, 4, where);
        const sizes = splitSizes(node, opset, dims[axis]!, splitInput);
        const offset = sizes.slice(0, k).reduce((a, b) => a + b, 0);
        const start = dims.map((_, a) => (a === axis ? offset : 0));
        return asMapSlice(start, [1, 1, 1, 1], dims.map((d, a) => (a === axis ? sizes[k]! : d)))!;
      }, true))
    : undefined;
  return {
    node,
    createState: () => layers?.map((layer) => layer.createState()),
    run: (states, inputs, frame) => {
      const input = requireInput(node, inputs);
      const axis = input.dims.length === 4 ? normalizeAxis(axisAttribute, 4, where) : 0;
      if (layers && isImage(input) && input.dims.length === 4 && axis > 0) {
        const map = asImageMap(input, frame.meta, where);
        return layers.map((layer, k) => runLayer(layer, states![k]!, map, frame));
      }
      return dense(inputs);
    },
  };
}
