/**
 * The values that flow through an rx-rrm pipeline: `Frame`s from sources, `FeatureMap`s between
 * layers. Both are immutable once emitted: RxJS users hold values (`pairwise`, `bufferCount`).
 */

/** Pixel layouts a `Frame` can carry: 1 (gray), 3 (RGB) or 4 (RGBA) interleaved bytes per pixel. */
export type FrameChannels = 1 | 3 | 4;

/** A decoded picture as sources emit it: interleaved 8-bit pixels, row-major. */
export interface Frame {
  /** `height * width * channels` bytes, row-major, channels interleaved (gray, RGB or RGBA). */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: FrameChannels;
  /** 0-based position in its stream. */
  readonly index: number;
  /** Presentation time in milliseconds. */
  readonly timestamp: number;
  /** Which stream the frame belongs to when one source carries several (sockets, cameras). */
  readonly streamId?: string | number;
  /** Ask every layer downstream to recompute densely from this frame on. */
  readonly keyframe?: boolean;
}

/** What one layer did for one item. Layers append one entry each to `FeatureMap.stats`. */
export interface LayerStats {
  /** The layer's name: given in its options, else generated (`conv#3`). */
  readonly layer: string;
  /** Operator kind: `conv`, `fc`, `relu`, `maxPool`, ... */
  readonly kind: string;
  /**
   * Fraction of input pixels (positions, all channels together) that the layer integrated. On a
   * dense fallback (`dense` after the first item) detection stops once the layer's crossover is
   * passed, so the fraction is just above the crossover, a lower bound; 1 where the layer went
   * dense without looking (keyframes, after a dense upstream layer, a change hint past the crossover).
   */
  readonly activeFraction: number;
  /** Multiply-adds the layer performed for this item. */
  readonly macs: number;
  /** Multiply-adds the dense computation of the same layer costs. */
  readonly denseMacs: number;
  /** True when the layer computed densely: keyframe, first item, or the dense fallback. */
  readonly dense: boolean;
  /** Wall time the layer spent on this item, in milliseconds. */
  readonly timeMs: number;
  /** Which input pixels the layer integrated; only for layers created with `traceActivity`. */
  readonly activity?: ActivityTrace;
}

/** The input pixels a layer integrated for one item (for pictures of where the work went). */
export interface ActivityTrace {
  readonly width: number;
  readonly height: number;
  /** Pixel indices `y * width + x`, or `'all'` when the layer computed densely. */
  readonly pixels: Int32Array | 'all';
}

/**
 * Output positions that may differ from the previous item of the same stream. A layer uses the
 * list only when `since` is the very `data` array it consumed before: an operator that drops or
 * reorders items (`filter`, `sampleTime`) breaks the identity, and the layer then scans everything.
 */
export interface ChangedPixels {
  /** The `data` array of the previous item this list is relative to. */
  readonly since: Float32Array;
  /** Pixel positions `y * width + x`, each at most once, in any order. */
  readonly pixels: Int32Array;
}

/** A feature map between layers: float values in HWC (channels-last) order. */
export interface FeatureMap {
  /** `height * width * channels` values; channel fastest. A vector is 1 x 1 x C. */
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly index: number;
  readonly timestamp: number;
  readonly streamId?: string | number;
  /** Every layer downstream recomputes densely and passes the flag on. */
  readonly keyframe: boolean;
  /** One entry per layer the item went through, in order. */
  readonly stats: readonly LayerStats[];
  /** Optional hint of where the map changed; absent means "anywhere". */
  readonly changes?: ChangedPixels;
  /**
   * Set by a layer that recomputed this item densely (a keyframe, or more changed than its sparse
   * update pays for): any value may differ from the previous item's. A layer whose own sparse
   * update pays only at low activity (depthwise, RGB stems) then recomputes densely at once, without
   * looking for changes first: on such frames the next layer also went dense 80% of the time
   * (UltraFace, two clips), and the search mostly ended in a dense recompute anyway.
   */
  readonly dense?: boolean;
}

/** Non-linearities that rx-rrm applies after a projection. */
export type Activation = 'none' | 'relu' | 'relu6' | 'leakyRelu' | 'sigmoid' | 'hardSwish';
