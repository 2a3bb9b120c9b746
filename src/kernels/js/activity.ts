/**
 * Pixel-wise activity detection fused with the update of the integrated input Ĩ.
 *
 * A pixel is active when `max_c |I − Ĩ| > τ` (NaN counts as active, so that validation sees it).
 * For active pixels the delta `I − Ĩ` is gathered into a compact buffer and Ĩ takes the new value;
 * inactive pixels keep their pending sub-threshold change in Ĩ, so slow drifts still add up until
 * they cross τ and `|I − Ĩ| ≤ τ` holds at every pixel after every frame.
 */

/**
 * Scans `candidates[0..candidateCount)` (pixel indices), or every pixel when `candidates` is null.
 * Writes active pixel indices to `activePixels` and their deltas (channels-contiguous) to `deltas`.
 * Returns the active count, or `maxActive + 1` as soon as more than `maxActive` pixels are active:
 * the caller then recomputes densely, and scanning on would be wasted.
 */
export function detectActive(
  input: Float32Array,
  integrated: Float32Array,
  channels: number,
  threshold: number,
  candidates: Int32Array | null,
  candidateCount: number,
  activePixels: Int32Array,
  deltas: Float32Array,
  maxActive: number = Infinity,
): number {
  const count = candidates ? candidateCount : input.length / channels;
  let active = 0;
  for (let k = 0; k < count; k++) {
    const pixel = candidates ? candidates[k]! : k;
    const base = pixel * channels;
    let isActive = false;
    for (let c = 0; c < channels; c++) {
      const d = input[base + c]! - integrated[base + c]!;
      if (!(d <= threshold && d >= -threshold)) {
        isActive = true;
        break;
      }
    }
    if (!isActive) continue;
    const deltaBase = active * channels;
    for (let c = 0; c < channels; c++) {
      deltas[deltaBase + c] = input[base + c]! - integrated[base + c]!;
      integrated[base + c] = input[base + c]!;
    }
    activePixels[active++] = pixel;
    if (active > maxActive) break;
  }
  return active;
}
