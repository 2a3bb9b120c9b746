import fc from 'fast-check';
import type { PreparedWeights } from '../../src/kernels/backend.js';
import { resolveWindow, type ConvGeometry, type Padding } from '../../src/kernels/geometry.js';
import { packConvWeights } from '../../src/kernels/pack.js';
import { randomArray } from './random.js';

export interface ConvCase {
  geometry: ConvGeometry;
  padding: Padding;
}

/** Random conv layers over the ranges the core issue names: kernel 1–7, stride 1–3, dilation 1–3, groups. */
export const convCase = (maxChannels = 16): fc.Arbitrary<ConvCase> =>
  fc
    .record({
      kernelH: fc.integer({ min: 1, max: 7 }),
      kernelW: fc.integer({ min: 1, max: 7 }),
      strideH: fc.integer({ min: 1, max: 3 }),
      strideW: fc.integer({ min: 1, max: 3 }),
      dilationH: fc.integer({ min: 1, max: 3 }),
      dilationW: fc.integer({ min: 1, max: 3 }),
      groupsKind: fc.constantFrom('one', 'some', 'depthwise'),
      groupCount: fc.integer({ min: 2, max: 4 }),
      inPerGroup: fc.integer({ min: 1, max: maxChannels }),
      outPerGroup: fc.integer({ min: 1, max: maxChannels }),
      height: fc.integer({ min: 1, max: 14 }),
      width: fc.integer({ min: 1, max: 14 }),
      padding: fc.oneof(
        fc.constant<Padding>('same'),
        fc.constant<Padding>('sameLower'),
        fc.constant<Padding>('valid'),
        fc.integer({ min: 0, max: 3 }),
        fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
      ),
    })
    .map((r) => {
      const groups = r.groupsKind === 'one' ? 1 : r.groupsKind === 'depthwise' ? r.groupCount * 2 : r.groupCount;
      const inPerGroup = r.groupsKind === 'depthwise' ? 1 : r.inPerGroup;
      const outPerGroup = r.groupsKind === 'depthwise' ? 1 + (r.outPerGroup % 2) : r.outPerGroup;
      const height = r.height + r.dilationH * (r.kernelH - 1);
      const width = r.width + r.dilationW * (r.kernelW - 1);
      const w = resolveWindow(height, width, {
        kernel: [r.kernelH, r.kernelW], stride: [r.strideH, r.strideW], dilation: [r.dilationH, r.dilationW], padding: r.padding,
      });
      const geometry: ConvGeometry = {
        inHeight: height, inWidth: width, inChannels: inPerGroup * groups,
        outHeight: w.outHeight, outWidth: w.outWidth, outChannels: outPerGroup * groups,
        kernelHeight: r.kernelH, kernelWidth: r.kernelW, strideH: r.strideH, strideW: r.strideW,
        dilationH: r.dilationH, dilationW: r.dilationW,
        padTop: w.padTop, padLeft: w.padLeft, padBottom: w.padBottom, padRight: w.padRight, groups,
      };
      return { geometry, padding: r.padding };
    });

/**
 * 1x1 convs with 8 or more input channels (stride 1, groups 1, usually unpadded): the pointwise
 * kernels' own paths, which `convCase` reaches about once in 2,000 draws.
 */
export const pointwiseCase = (): fc.Arbitrary<ConvCase> =>
  fc
    .record({
      inChannels: fc.integer({ min: 8, max: 40 }),
      outChannels: fc.integer({ min: 1, max: 40 }),
      height: fc.integer({ min: 1, max: 14 }),
      width: fc.integer({ min: 1, max: 14 }),
      padding: fc.oneof(fc.constant<Padding>('valid'), fc.constant<Padding>('valid'), fc.constant<Padding>('valid'), fc.integer({ min: 0, max: 1 })),
    })
    .map((r) => {
      const w = resolveWindow(r.height, r.width, { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: r.padding });
      const geometry: ConvGeometry = {
        inHeight: r.height, inWidth: r.width, inChannels: r.inChannels,
        outHeight: w.outHeight, outWidth: w.outWidth, outChannels: r.outChannels,
        kernelHeight: 1, kernelWidth: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        padTop: w.padTop, padLeft: w.padLeft, padBottom: w.padBottom, padRight: w.padRight, groups: 1,
      };
      return { geometry, padding: r.padding };
    });

/** A k x k conv over an h x w map with "same"-style padding (k − 1) / 2 on every side. */
export function squareConv(h: number, w: number, inC: number, outC: number, k: number, s: number, groups: number): ConvGeometry {
  const pad = (k - 1) >> 1;
  return {
    inHeight: h, inWidth: w, inChannels: inC, outHeight: Math.floor((h + 2 * pad - k) / s) + 1, outWidth: Math.floor((w + 2 * pad - k) / s) + 1,
    outChannels: outC, kernelHeight: k, kernelWidth: k, strideH: s, strideW: s, dilationH: 1, dilationW: 1,
    padTop: pad, padLeft: pad, padBottom: pad, padRight: pad, groups,
  };
}

/** Random weights for a layer of geometry `g` (ONNX order, for the reference), a bias half the time, and their packed form for engines. */
export function randomLayer(g: ConvGeometry, random: () => number, withBias = random() < 0.5) {
  const weight = randomArray(random, g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth);
  const bias = withBias ? randomArray(random, g.outChannels) : undefined;
  const prepared: PreparedWeights = { packed: packConvWeights(weight, g.outChannels, g.inChannels, g.groups, g.kernelHeight, g.kernelWidth), bias };
  return { weight, bias, prepared };
}
