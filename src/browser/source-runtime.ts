/**
 * The browser bundle's twin of src/sources/runtime.ts, for the sources a page has (no processes,
 * no TCP): only the macrotask that live sources deliver from.
 */

/**
 * Runs `callback` after pending events (a macrotask, like Node's `setImmediate`) and returns a
 * function that cancels it. A MessageChannel rather than `setTimeout(0)`, which browsers clamp to
 * 4 ms when nested: that would cap a live source at 250 frames/s per stream.
 */
export function afterPendingIo(callback: () => void): () => void {
  const channel = new MessageChannel();
  let cancelled = false;
  channel.port1.onmessage = () => {
    channel.port1.close();
    if (!cancelled) callback();
  };
  channel.port2.postMessage(undefined);
  return () => {
    cancelled = true;
    channel.port1.close();
  };
}
