/**
 * Runs under the real Deno binary (`npx deno run ...`, see test/sources/deno.test.ts): the same
 * source modules as on Node, unchanged. Decodes a video file, parses a Y4M file, and sends frames
 * through a TCP socket source and back; prints one JSON line the test checks.
 *
 * Usage: deno run -A --sloppy-imports --node-modules-dir=manual test/deno/pipeline.ts <video> <y4m>
 */
import { firstValueFrom, from, lastValueFrom, take, toArray } from 'rxjs';
import { fromSocket, fromVideoFile, fromY4M, toSocket } from '../../src/sources/index.js';
import type { Frame } from '../../src/types.js';

/** The few Deno globals used here, declared so the repository's Node type check accepts the file. */
declare const Deno: { args: string[]; version: { deno: string }; kill(pid: number, signal: string): void };

const [videoPath, y4mPath] = Deno.args;
if (!videoPath || !y4mPath) throw new Error('usage: pipeline.ts <video file> <y4m file>');

let decoderPid = 0;
const video = await lastValueFrom(fromVideoFile(videoPath, { width: 80, pixelFormat: 'gray', onProcess: (pid) => (decoderPid = pid) }).pipe(toArray()));
const firstTwo = await lastValueFrom(fromVideoFile(videoPath).pipe(take(2), toArray()));
const y4m = await lastValueFrom(fromY4M(y4mPath).pipe(toArray()));

// A socket round trip: a server source, and a sender that connects to it.
let resolvePort: (port: number) => void = () => undefined;
const port = new Promise<number>((resolve) => (resolvePort = resolve));
const received = firstValueFrom(
  fromSocket({ policy: 'queue', queueSize: 64, onListening: (address) => resolvePort(address.port) }).pipe(take(y4m.length), toArray()),
);
await lastValueFrom(from(y4m).pipe(toSocket({ port: await port })));
const overSocket: Frame[] = await received;
const identical = overSocket.every((frame, i) => frame.data.length === y4m[i]!.data.length && frame.data.every((byte, j) => byte === y4m[i]!.data[j]));

let decoderAlive = true;
try {
  Deno.kill(decoderPid, 'SIGCONT'); // signal 0 is not accepted by Deno.kill; SIGCONT is harmless
} catch {
  decoderAlive = false;
}

console.log(
  JSON.stringify({
    runtime: `deno ${Deno.version.deno}`,
    videoFrames: video.length,
    videoSize: [video[0]?.width, video[0]?.height, video[0]?.channels],
    takeTwo: firstTwo.length,
    y4mFrames: y4m.length,
    socketFrames: overSocket.length,
    socketIdentical: identical,
    streamId: overSocket[0]?.streamId,
    decoderAlive,
  }),
);
