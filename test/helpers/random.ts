import { seededRandom } from '../../src/demo/random.js';

/** Seeded pseudo-random numbers for tests: every failure can be replayed from its seed. */
export const prng = seededRandom;

export function randomArray(random: () => number, length: number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => (random() * 2 - 1) * scale);
}

/** Small integers in [-range, range]: sums of their products are exact in float32. */
export function randomIntegers(random: () => number, length: number, range: number): Float32Array {
  return Float32Array.from({ length }, () => Math.floor(random() * (2 * range + 1)) - range);
}
