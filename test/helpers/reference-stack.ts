/**
 * Dense, naive counterparts of rx-rrm layers, built on the reference kernels only: what a layer
 * stack must emit for one frame, computed from scratch.
 */
import { activate } from '../../src/kernels/activation.js';
import { resolveWindow, type ConvGeometry, type Padding } from '../../src/kernels/geometry.js';
import { convReference } from './reference/conv.js';
import { linearReference } from './reference/linear.js';
import type { Activation } from '../../src/types.js';

export interface Tensor {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

export interface ConvSpec {
  weight: Float32Array;
  shape: [number, number, number, number];
  bias?: Float32Array;
  stride?: number;
  padding?: Padding;
  dilation?: number;
  groups?: number;
  activation?: Activation;
}

export function convGeometry(spec: ConvSpec, input: Tensor): ConvGeometry {
  const [outChannels, , kh, kw] = spec.shape;
  const stride = spec.stride ?? 1;
  const dilation = spec.dilation ?? 1;
  const w = resolveWindow(input.height, input.width, {
    kernel: [kh, kw], stride: [stride, stride], dilation: [dilation, dilation], padding: spec.padding ?? 0,
  });
  return {
    inHeight: input.height, inWidth: input.width, inChannels: input.channels,
    outHeight: w.outHeight, outWidth: w.outWidth, outChannels, kernelHeight: kh, kernelWidth: kw,
    strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation,
    padTop: w.padTop, padLeft: w.padLeft, padBottom: w.padBottom, padRight: w.padRight, groups: spec.groups ?? 1,
  };
}

export function referenceConv(spec: ConvSpec, input: Tensor): Tensor {
  const g = convGeometry(spec, input);
  const projection = convReference(g, spec.weight, spec.bias, input.data);
  const kind = spec.activation ?? 'none';
  return { data: projection.map((x) => activate(kind, x, 0.01)), height: g.outHeight, width: g.outWidth, channels: g.outChannels };
}

export function referenceFc(weight: Float32Array, outFeatures: number, bias: Float32Array | undefined, activation: Activation, input: Tensor): Tensor {
  const out = linearReference(weight, bias, input.data, outFeatures);
  return { data: out.map((x) => activate(activation, x, 0.01)), height: 1, width: 1, channels: outFeatures };
}
