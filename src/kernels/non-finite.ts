/** NaN and ±Infinity in a layer's input: how every backend finds and reports them. */

/** The error every engine raises for a non-finite input value; layers add their name to it. */
export function nonFiniteInput(width: number, pixel: number, channel: number, value: number): RangeError {
  return new RangeError(`input pixel (y=${Math.floor(pixel / width)}, x=${pixel % width}) channel ${channel} is ${value}; expected finite numbers`);
}

/** Index of the first value that is NaN or ±Infinity, or -1. */
export function findNonFinite(values: Float32Array, length: number = values.length): number {
  for (let i = 0; i < length; i++) {
    const v = values[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}
