/**
 * RGB bytes to the NCHW floats of UltraFace's input, (x − 127) / 128: the plain loop a user writes
 * before onnxruntime's `session.run` (in Node and in the page, each wraps it in its own Tensor).
 */
export function nchwFloats(frame: { readonly data: Uint8Array; readonly width: number; readonly height: number }): Float32Array {
  const pixels = frame.width * frame.height;
  const data = new Float32Array(3 * pixels);
  const bytes = frame.data;
  for (let p = 0; p < pixels; p++) {
    data[p] = (bytes[3 * p]! - 127) / 128;
    data[pixels + p] = (bytes[3 * p + 1]! - 127) / 128;
    data[2 * pixels + p] = (bytes[3 * p + 2]! - 127) / 128;
  }
  return data;
}
