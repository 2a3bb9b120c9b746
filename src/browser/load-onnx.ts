/** `loadOnnx` in a browser: the model as bytes (an `ArrayBuffer` or a typed array) or fetched from a URL. */
import { ModelImportError } from '../model/errors.js';
import { loadOnnx as loadOnnxBytesOrPath, type LoadOnnxOptions, type OnnxModel } from '../model/model.js';

export async function loadOnnx(source: ArrayBuffer | ArrayBufferView | URL | string, options: LoadOnnxOptions = {}): Promise<OnnxModel> {
  // In the bundle a string goes to src/browser/model-url.ts, which fetches it.
  if (typeof source === 'string') return loadOnnxBytesOrPath(source, options);
  if (source instanceof URL) return loadOnnxBytesOrPath(source.href, options);
  if (source instanceof ArrayBuffer) return loadOnnxBytesOrPath(new Uint8Array(source), options);
  if (ArrayBuffer.isView(source)) return loadOnnxBytesOrPath(new Uint8Array(source.buffer, source.byteOffset, source.byteLength), options);
  throw new ModelImportError(`loadOnnx: expected the model as an ArrayBuffer, a typed array, a URL or a URL string, got ${source === null ? 'null' : typeof source}`);
}
