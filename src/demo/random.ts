/** A small seeded generator (mulberry32): the demo's scene and weights are the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Approximately normal (sum of uniforms), mean 0, standard deviation 1. */
export function gaussian(random: () => number): number {
  return random() + random() + random() + random() + random() + random() - 3;
}
