/**
 * Convolution geometry: every size and offset a conv kernel needs, resolved once per input shape.
 * Pure data, shared by the reference, the plain-JS and the WebAssembly kernels.
 */

export interface ConvGeometry {
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly padBottom: number;
  readonly padRight: number;
  readonly groups: number;
}

/** `'same'` pads so that out = ceil(in / stride), the extra pixel at the end (ONNX SAME_UPPER). */
export type Padding = number | readonly [number, number, number, number] | 'same' | 'sameLower' | 'valid';

export interface WindowOptions {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: Padding;
  /** Pooling's ceil_mode: count a last, partial window. */
  readonly ceilMode?: boolean;
}

export interface WindowGeometry {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly padBottom: number;
  readonly padRight: number;
}

/** Output size and padding of a sliding window over an `inHeight x inWidth` map. */
export function resolveWindow(inHeight: number, inWidth: number, options: WindowOptions): WindowGeometry {
  const [kh, kw] = options.kernel;
  const [sh, sw] = options.stride;
  const [dh, dw] = options.dilation;
  const extentH = dh * (kh - 1) + 1;
  const extentW = dw * (kw - 1) + 1;
  let pads: [number, number, number, number];
  const padding = options.padding;
  if (padding === 'same' || padding === 'sameLower') {
    const totalH = Math.max(0, (Math.ceil(inHeight / sh) - 1) * sh + extentH - inHeight);
    const totalW = Math.max(0, (Math.ceil(inWidth / sw) - 1) * sw + extentW - inWidth);
    const lower = padding === 'sameLower';
    const top = lower ? Math.ceil(totalH / 2) : Math.floor(totalH / 2);
    const left = lower ? Math.ceil(totalW / 2) : Math.floor(totalW / 2);
    pads = [top, left, totalH - top, totalW - left];
  } else if (padding === 'valid') {
    pads = [0, 0, 0, 0];
  } else if (typeof padding === 'number') {
    pads = [padding, padding, padding, padding];
  } else {
    pads = [padding[0], padding[1], padding[2], padding[3]];
  }
  const round = options.ceilMode ? Math.ceil : Math.floor;
  let outHeight = round((inHeight + pads[0] + pads[2] - extentH) / sh) + 1;
  let outWidth = round((inWidth + pads[1] + pads[3] - extentW) / sw) + 1;
  // ceil_mode may not start a window inside the end padding (PyTorch and ONNX agree).
  if (options.ceilMode) {
    if ((outHeight - 1) * sh >= inHeight + pads[0]) outHeight--;
    if ((outWidth - 1) * sw >= inWidth + pads[1]) outWidth--;
  }
  return { outHeight, outWidth, padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3] };
}

/** The layer shapes whose kernels (and so whose sparse/dense crossovers) differ. */
export type ConvKind = 'depthwise' | 'pointwise' | 'narrow' | 'general';

export function convKind(g: ConvGeometry): ConvKind {
  if (g.groups > 1 && g.groups === g.inChannels && g.groups === g.outChannels) return 'depthwise';
  // Few input channels per group (an RGB stem): little arithmetic per active pixel and tap.
  if (g.inChannels / g.groups < 8) return 'narrow';
  if (g.kernelHeight === 1 && g.kernelWidth === 1 && g.strideH === 1 && g.strideW === 1 && g.groups === 1) return 'pointwise';
  return 'general';
}

/** Dense multiply-adds of a conv: every output value times its (in/groups) x kh x kw taps. */
export function denseConvMacs(g: ConvGeometry): number {
  return g.outHeight * g.outWidth * g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth;
}
