/** A set of output pixels listed once each: what a sparse update (conv scatter, pooling) changed. */
export interface TouchedPixels {
  /** One byte per output pixel; nonzero while the pixel is in `list`. */
  readonly marks: Uint8Array;
  /** Output pixel indices `oy·outWidth + ox`; the first `count` are valid. */
  readonly list: Int32Array;
  count: number;
}

export function createTouchedPixels(pixelCount: number): TouchedPixels {
  return { marks: new Uint8Array(pixelCount), list: new Int32Array(pixelCount), count: 0 };
}

/** Forget the touched set, clearing only the marks that were set. */
export function clearTouched(touched: TouchedPixels): void {
  for (let k = 0; k < touched.count; k++) touched.marks[touched.list[k]!] = 0;
  touched.count = 0;
}
