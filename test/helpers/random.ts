/** Seeded pseudo-random numbers for tests: every failure can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(random: () => number, length: number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => (random() * 2 - 1) * scale);
}

/** Small integers in [-range, range]: sums of their products are exact in float32. */
export function randomIntegers(random: () => number, length: number, range: number): Float32Array {
  return Float32Array.from({ length }, () => Math.floor(random() * (2 * range + 1)) - range);
}
