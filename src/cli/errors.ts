/** A mistake in how the command was called or what it was pointed at: printed as one line, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
