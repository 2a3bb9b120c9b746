/**
 * Layout of one conv engine's header in WebAssembly memory: one 32-bit slot per field, written by
 * the TypeScript engine at creation and read by every kernel. This file is valid TypeScript and
 * AssemblyScript alike, so both sides import the same numbering.
 */
export enum Field {
  InHeight,
  InWidth,
  InChannels,
  OutHeight,
  OutWidth,
  OutChannels,
  KernelHeight,
  KernelWidth,
  StrideH,
  StrideW,
  DilationH,
  DilationW,
  PadTop,
  PadLeft,
  Groups,
  /** Pixels per row of the zero-bordered integrated input. */
  PaddedWidth,
  /** Ĩ, zero-bordered so that every tap of every output pixel is in bounds: `[paddedH, paddedW, inC]`. */
  Integrated,
  /**
   * The current input, unpadded `[inH, inW, inC]`: the engine's own copy of a JS array, or the
   * previous layer's output map in place when that lives in the same memory.
   */
  Staged,
  /** Packed weights `[kH, kW, inC, outC/groups]`. */
  Weights,
  /**
   * The weights again, re-laid for the dense kernel: per group and block of 8 output channels, a
   * contiguous panel `[kH·kW, inC/groups, 8]`, so the tile's inner loop reads them at fixed offsets.
   */
  DensePanels,
  /** `outC` biases (zeros when the layer has none). */
  Bias,
  /** P, `[outH, outW, outC]`. */
  Projection,
  /** Byte offset of each kernel tap within the padded input, relative to the tap (0, 0). */
  TapOffsets,
  /** Input pixel indices of this frame's active pixels. */
  ActivePixels,
  /** Their deltas `I − Ĩ`, `inC` values per active pixel. */
  Deltas,
  /** Candidate input pixels handed in by the caller (the engine's copy, or the previous layer's touched list in place). */
  Candidates,
  /** One byte per output pixel: set while the pixel is in the touched list. */
  TouchedMarks,
  /** Output pixels the scatter changed. */
  TouchedList,
  /** Length of the touched list. */
  TouchedCount,
  /** Scratch for one active pixel's reach: (output pixel, tap) pairs, `2·kH·kW` slots. */
  Reach,
  /** Scratch for one tap's reach: (active pixel index, output pixel) pairs, `2·inH·inW` slots. */
  TapList,
  /** f(P), `[outH, outW, outC]`: the layer's output, kept whole (see `activateTouched`). */
  Activated,
  /** Set by `detectActive`: 1 when a gathered delta is NaN or ±Infinity (the input held one), else 0. */
  DeltasNonFinite,
  /** Number of fields; the header's size in 32-bit slots. */
  Count,
}
