/**
 * Resize and Upsample: reading their parameters (scales or sizes, coordinate and nearest modes,
 * across opsets 7–19) and the dense form on ONNX-order tensors, one separable pass per resized axis.
 * On maps the resize layer (src/layers/resize-layer.ts) uses the same taps.
 */
import { axisTaps, COORDINATE_MODES, NEAREST_MODES, type AxisTaps, type CoordinateMode, type NearestMode, type ResizeOptions } from '../layers/resize-taps.js';
import { describeNode, integers, requireTensor, type DenseFactory } from './dense-ops.js';
import { normalizeAxis } from './dense-shape-ops.js';
import { ModelImportError } from './errors.js';
import type { OnnxNode } from './graph.js';
import { checkElements, sizeOf, stridesOf, tensorOf, type Tensor } from './tensor.js';

export interface ResizePlan {
  readonly options: ResizeOptions;
  /** Output dims, and per axis the scale its coordinate transform uses. */
  readonly dims: readonly number[];
  readonly scales: readonly number[];
}

const present = (t: Tensor | undefined): t is Tensor => t !== undefined && t.data.length > 0;

/** The resize a node performs on an input of `inDims`, given its (constant) inputs; throws for forms rx-rrm does not run. */
export function resizePlan(node: OnnxNode, opset: number, inDims: readonly number[], inputs: readonly (Tensor | undefined)[]): ResizePlan {
  const where = describeNode(node);
  const a = node.attributes;
  const legacy = node.opType === 'Upsample' || opset < 11;
  const modeName = a.string('mode', 'nearest').toLowerCase();
  const mode = modeName === 'bilinear' ? 'linear' : modeName;
  if (mode !== 'nearest' && mode !== 'linear') throw new ModelImportError(`${where}: mode '${modeName}' is not supported (nearest and linear are)`);
  const coordinates = legacy ? 'asymmetric' : a.string('coordinate_transformation_mode', 'half_pixel');
  if (!(COORDINATE_MODES as readonly string[]).includes(coordinates)) {
    throw new ModelImportError(`${where}: coordinate_transformation_mode '${coordinates}' is not supported (${COORDINATE_MODES.join(', ')} are)`);
  }
  const nearest = legacy ? 'simple' : a.string('nearest_mode', 'round_prefer_floor');
  if (!(NEAREST_MODES as readonly string[]).includes(nearest)) throw new ModelImportError(`${where}: nearest_mode '${nearest}' is not supported`);
  if (a.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw new ModelImportError(`${where}: keep_aspect_ratio_policy other than 'stretch' is not supported`);

  const rank = inDims.length;
  const axes = (a.ints('axes') ?? Array.from({ length: rank }, (_, k) => k)).map((axis) => normalizeAxis(axis, rank, where));
  let scalesTensor: Tensor | undefined;
  let sizesTensor: Tensor | undefined;
  if (node.opType === 'Upsample' && opset < 9) {
    const attribute = a.floats('scales');
    if (attribute) scalesTensor = tensorOf([attribute.length], Float32Array.from(attribute));
  } else if (node.opType === 'Upsample' || opset < 11) {
    scalesTensor = inputs[1];
  } else {
    scalesTensor = inputs[2];
    sizesTensor = inputs[3];
  }
  const dims = [...inDims];
  const scales = inDims.map(() => 1);
  if (present(sizesTensor)) {
    const sizes = integers(sizesTensor);
    if (sizes.length !== axes.length) throw new ModelImportError(`${where}: ${sizes.length} sizes for ${axes.length} axes`);
    axes.forEach((axis, k) => {
      dims[axis] = sizes[k]!;
      scales[axis] = Math.fround(sizes[k]! / inDims[axis]!); // float32, as onnxruntime
    });
  } else if (present(scalesTensor)) {
    if (scalesTensor.data.length !== axes.length) throw new ModelImportError(`${where}: ${scalesTensor.data.length} scales for ${axes.length} axes`);
    axes.forEach((axis, k) => {
      const scale = scalesTensor!.data[k]!;
      if (!(scale > 0)) throw new ModelImportError(`${where}: scale ${scale} is not positive`);
      scales[axis] = scale;
      dims[axis] = Math.floor(inDims[axis]! * scale);
    });
  } else {
    throw new ModelImportError(`${where}: neither scales nor sizes are given`);
  }
  if (a.int('antialias', 0) === 1 && dims.some((d, k) => d < inDims[k]!)) throw new ModelImportError(`${where}: antialiased downsampling is not supported`);
  return { options: { mode, coordinates: coordinates as CoordinateMode, nearest: nearest as NearestMode }, dims, scales };
}

/** Resamples one axis of `t` through `taps`. */
function resampleAxis(t: Tensor, axis: number, outSize: number, taps: AxisTaps): Tensor {
  const dims = t.dims.map((d, k) => (k === axis ? outSize : d));
  const inner = stridesOf(t.dims)[axis]!;
  const inSize = t.dims[axis]!;
  const outer = sizeOf(t.dims.slice(0, axis));
  const data = new Float32Array(sizeOf(dims));
  for (let o = 0; o < outer; o++) {
    for (let x = 0; x < outSize; x++) {
      const target = (o * outSize + x) * inner;
      const a = (o * inSize + taps.first[x]!) * inner;
      const b = (o * inSize + taps.second[x]!) * inner;
      const wa = taps.firstWeight[x]!;
      const wb = taps.secondWeight[x]!;
      for (let i = 0; i < inner; i++) data[target + i] = wb === 0 ? t.data[a + i]! : wa * t.data[a + i]! + wb * t.data[b + i]!;
    }
  }
  return tensorOf(dims, data, t.integer);
}

export const denseResize: DenseFactory = (node, opset, _constant, maxElements) => (inputs) => {
  const t = requireTensor(node, inputs);
  const plan = resizePlan(node, opset, t.dims, inputs);
  checkElements(plan.dims, describeNode(node), maxElements);
  let result = t;
  plan.dims.forEach((size, axis) => {
    if (size === t.dims[axis] && plan.scales[axis] === 1) return;
    result = resampleAxis(result, axis, size, axisTaps(t.dims[axis]!, size, plan.scales[axis]!, plan.options));
  });
  return [result];
};
