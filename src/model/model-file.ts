/** Reading an ONNX file by path (Node, Deno). The browser bundle replaces this file: there a model comes from a URL or bytes. */
import { readFile } from 'node:fs/promises';
import { ModelImportError } from './errors.js';

export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ModelImportError(`cannot read ONNX model '${path}': ${(error as Error).message}`);
  }
}
