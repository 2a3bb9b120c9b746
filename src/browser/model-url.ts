/** The browser bundle's twin of src/model/model-file.ts: a string names a URL (relative to the page). */
import { ModelImportError } from '../model/errors.js';

export async function readModelFile(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ModelImportError(`cannot fetch ONNX model '${url}': ${(error as Error).message}`);
  }
  if (!response.ok) throw new ModelImportError(`cannot fetch ONNX model '${url}': HTTP ${response.status} ${response.statusText}`.trim());
  return new Uint8Array(await response.arrayBuffer());
}
