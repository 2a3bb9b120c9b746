/**
 * Raw frames from a file (no header: `width × height × channels` bytes each, back to back, as
 * `ffmpeg -f rawvideo -pix_fmt rgb24` or a camera dump writes them). The file is opened through
 * Deno's file API, the real one under Deno and @deno/shim-deno's on Node, and read as a Web
 * stream by `fromReadableStream`: one code path for both runtimes, pulled a frame at a time.
 */
import { defer, from, switchMap, type Observable } from 'rxjs';
import type { Frame } from '../types.js';
import { fromReadableStream, type RawFrameLayout } from './readable-stream.js';

/** Cold: the file is opened on subscribe and closed when the stream ends or is unsubscribed. */
export function fromRawFile(path: string, layout: RawFrameLayout): Observable<Frame> {
  return defer(() => from(openReadable(path))).pipe(switchMap((readable) => fromReadableStream(readable, layout)));
}

async function openReadable(path: string): Promise<ReadableStream<Uint8Array>> {
  // Loaded on first use: most programs never read raw files, and the shim is not small.
  const { Deno } = await import('@deno/shim-deno');
  try {
    const file = await Deno.open(path, { read: true });
    return file.readable as unknown as ReadableStream<Uint8Array>;
  } catch (error) {
    throw new Error(`fromRawFile: cannot open '${path}': ${(error as Error).message}`);
  }
}
