/** The error a model gives at load time: unsupported operator, corrupt file, unsupported attribute. */
export class ModelImportError extends Error {
  override readonly name = 'ModelImportError';
}
