/**
 * How many cameras a worker should hold, and which: the fair share is `ceil(cameras / live
 * workers)`, and each worker ranks the cameras by a hash of (worker id, camera) (rendezvous
 * hashing), taking free cameras it ranks highest and giving up those it ranks lowest. Different
 * workers rank differently, so they seldom race for the same camera, and a worker that restarts
 * under its id prefers the cameras it had.
 */

export function fairShare(cameras: number, liveWorkers: number): number {
  return liveWorkers <= 0 ? cameras : Math.ceil(cameras / liveWorkers);
}

/** FNV-1a with murmur3's finalizer, 32 bits: stable, and names differing in their last letter still spread. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `cameras` ordered from the one `workerId` prefers most. */
export function byPreference(workerId: string, cameras: Iterable<string>): string[] {
  return [...cameras].map((camera) => ({ camera, rank: hash(`${workerId}\u0000${camera}`) })).sort((a, b) => b.rank - a.rank || (a.camera < b.camera ? -1 : 1)).map((c) => c.camera);
}
