/**
 * Exact-size reads over a stream of byte chunks of arbitrary sizes. Chunks are pulled from the
 * underlying stream only when a read needs more bytes, which is what keeps file sources pulled.
 */
import type { Readable } from 'node:stream';

/** A pull-based source of byte chunks; `undefined` means the stream ended. */
export interface ChunkSource {
  read(): Promise<Uint8Array | undefined>;
  /** Stops the underlying stream (destroys it, cancels the reader); a pending read then ends. */
  cancel(): void;
}

/** The stream ended after `received` of the `expected` bytes of one item. */
export class TruncatedInputError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`input ended after ${received} of ${expected} expected bytes`);
    this.name = 'TruncatedInputError';
  }
}

/** Reads a Node `Readable` in paused mode: it buffers at most its highWaterMark ahead. */
export function chunksFromNodeReadable(readable: Readable): ChunkSource {
  let ended = false;
  let failure: Error | undefined;
  let wakeReader: (() => void) | undefined;
  const wake = () => {
    const resolve = wakeReader;
    wakeReader = undefined;
    resolve?.();
  };
  readable.on('readable', wake);
  readable.on('end', () => {
    ended = true;
    wake();
  });
  readable.on('close', wake);
  readable.on('error', (error: Error) => {
    failure = error;
    wake();
  });
  return {
    async read() {
      for (;;) {
        if (failure) throw failure;
        const chunk: Uint8Array | null = readable.read();
        if (chunk !== null) return chunk;
        if (ended || readable.destroyed) return undefined;
        await new Promise<void>((resolve) => (wakeReader = resolve));
      }
    },
    cancel() {
      readable.destroy();
      wake();
    },
  };
}

/** Reads a Web `ReadableStream` (native or web-streams-polyfill) through its default reader. */
export function chunksFromWebStream(stream: ReadableStream<Uint8Array>): ChunkSource {
  const reader = stream.getReader();
  return {
    async read() {
      const { done, value } = await reader.read();
      if (done) return undefined;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`expected the stream to yield Uint8Array chunks, got ${describe(value)}`);
      }
      return value;
    },
    cancel() {
      // cancel() also settles a read that is pending, so an idle live stream cannot hang teardown.
      reader.cancel().catch(() => undefined);
    },
  };
}

/** Reads any async iterable of byte chunks (a Node Readable is one). */
export function chunksFromAsyncIterable(iterable: AsyncIterable<Uint8Array>): ChunkSource {
  const iterator = iterable[Symbol.asyncIterator]();
  return {
    async read() {
      const { done, value } = await iterator.next();
      if (done) return undefined;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`expected the stream to yield Uint8Array chunks, got ${describe(value)}`);
      }
      return value;
    },
    cancel() {
      iterator.return?.().catch(() => undefined);
    },
  };
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

export class ByteReader {
  private readonly chunks: Uint8Array[] = [];
  /** Offset of the first unread byte in `chunks[0]`. */
  private headOffset = 0;
  private bufferedBytes = 0;

  constructor(private readonly source: ChunkSource) {}

  /** Bytes received from the stream but not yet returned by a read. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /**
   * Returns exactly `length` bytes in a new array, or `undefined` when the stream ended cleanly
   * before the first of them. Throws `TruncatedInputError` when it ended part-way. Callers
   * validate `length` first: this allocates it.
   */
  async readExactly(length: number): Promise<Uint8Array | undefined> {
    while (this.bufferedBytes < length) {
      if (!(await this.pull())) {
        if (this.bufferedBytes === 0) return undefined;
        throw new TruncatedInputError(length, this.bufferedBytes);
      }
    }
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0]!;
      const take = Math.min(chunk.length - this.headOffset, length - filled);
      out.set(chunk.subarray(this.headOffset, this.headOffset + take), filled);
      filled += take;
      this.consume(take);
    }
    return out;
  }

  /**
   * Returns the bytes up to the next `\n` (excluded) decoded as Latin-1, or `undefined` at a
   * clean end of stream. Throws when no newline appears within `maxLength` bytes, so a binary
   * stream cannot make the reader buffer without bound.
   */
  async readLine(maxLength: number): Promise<string | undefined> {
    for (;;) {
      const newlineAt = this.indexOfNewline(maxLength + 1);
      if (newlineAt >= 0) {
        const line = await this.readExactly(newlineAt + 1);
        return latin1(line!.subarray(0, newlineAt));
      }
      if (this.bufferedBytes > maxLength) throw new Error(`no line end within ${maxLength} bytes`);
      if (!(await this.pull())) {
        if (this.bufferedBytes === 0) return undefined;
        throw new TruncatedInputError(this.bufferedBytes + 1, this.bufferedBytes);
      }
    }
  }

  cancel(): void {
    this.source.cancel();
  }

  private async pull(): Promise<boolean> {
    const chunk = await this.source.read();
    if (chunk === undefined) return false;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    return true;
  }

  private consume(count: number): void {
    this.headOffset += count;
    this.bufferedBytes -= count;
    if (this.headOffset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  /** Position of the first `\n` among the first `limit` buffered bytes, or -1. */
  private indexOfNewline(limit: number): number {
    let position = 0;
    for (let i = 0; i < this.chunks.length && position < limit; i++) {
      const chunk = this.chunks[i]!;
      const start = i === 0 ? this.headOffset : 0;
      const found = chunk.subarray(start, start + (limit - position)).indexOf(0x0a);
      if (found >= 0) return position + found;
      position += chunk.length - start;
    }
    return -1;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}
