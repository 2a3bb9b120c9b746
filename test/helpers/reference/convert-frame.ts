/**
 * The naive frame conversion the JavaScript and native ones are tested against: pixel by pixel,
 * converting and listing exactly the pixels whose bytes changed.
 */
export function naiveConvertFrame(data: Uint8Array, previous: Uint8Array | null, output: Float32Array, tables: Float32Array, channels: number, changed: Int32Array | null): number {
  const pixels = data.length / channels;
  let count = 0;
  for (let p = 0; p < pixels; p++) {
    const i = p * channels;
    let differs = previous === null;
    for (let c = 0; c < channels && !differs; c++) differs = data[i + c] !== previous![i + c];
    if (!differs) continue;
    for (let c = 0; c < channels; c++) output[i + c] = tables[c * 256 + data[i + c]!]!;
    if (changed) changed[count] = p;
    count++;
  }
  return count;
}
