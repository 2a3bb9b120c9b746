/**
 * `fromVideoElement(video)`: the frames a `<video>` presents (a file, a clip, a camera stream set as
 * its `srcObject`), read at each presented frame (`requestVideoFrameCallback`, else polled at `fps`
 * or 30/s). The element stays the caller's: the source neither plays nor pauses it, and completes
 * when it ends.
 */
import { Observable } from 'rxjs';
import { LiveDelivery, liveBufferCapacity, type LiveFrame, type LivePolicyOptions } from '../../sources/live-policy.js';
import { checkFrameSize, FrameCanvas, FrameRateLimit, type FrameSize } from './frame-canvas.js';
import { FrameGaps } from './frame-gaps.js';

export interface VideoElementOptions extends FrameSize, LivePolicyOptions {}

export function fromVideoElement(video: HTMLVideoElement, options: VideoElementOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    const problem =
      (typeof HTMLVideoElement === 'function' && video instanceof HTMLVideoElement ? undefined : `fromVideoElement: expected an HTMLVideoElement, got ${describe(video)}`) ??
      checkFrameSize('fromVideoElement', options) ??
      (typeof capacity === 'string' ? `fromVideoElement: ${capacity}` : undefined);
    if (problem !== undefined || typeof capacity === 'string') {
      subscriber.error(new Error(problem));
      return;
    }
    const gaps = new FrameGaps();
    const frames = new Observable<LiveFrame>((inner) => {
      const delivery = new LiveDelivery(inner, capacity);
      const stop = watchVideoElement(video, options, delivery, gaps, 'fromVideoElement');
      return () => {
        stop();
        delivery.close();
      };
    });
    return frames.pipe(gaps.annotate()).subscribe(subscriber);
  });
}

/**
 * Offers each frame `video` presents to `delivery` until it ends or fails; returns the function
 * that stops watching. `index` counts the frames the element presented (a frame presented while
 * the page was busy shows as a gap, counted as dropped by `gaps`), `timestamp` is the media time in
 * ms (ms since the first frame for a live stream).
 */
export function watchVideoElement(video: HTMLVideoElement, options: FrameSize, delivery: LiveDelivery, gaps: FrameGaps, source: string): () => void {
  let canvas: FrameCanvas | undefined;
  const limit = new FrameRateLimit(options.fps);
  const live = video.srcObject !== null;
  let firstPresented: number | undefined;
  let startedAt: number | undefined;
  let polledTime = -1;
  let polledCount = 0;
  let stopped = false;

  const take = (presentedFrames: number, mediaTimeMs: number) => {
    if (stopped || video.videoWidth === 0) return;
    const now = performance.now();
    startedAt ??= now;
    firstPresented ??= presentedFrames;
    const timestamp = live ? now - startedAt : mediaTimeMs;
    if (!limit.admits(timestamp)) {
      gaps.skip(presentedFrames - firstPresented);
      return;
    }
    canvas ??= new FrameCanvas(options.width ?? video.videoWidth, options.height ?? video.videoHeight, options.channels ?? 3);
    const data = canvas.read(video);
    delivery.offer(0, { data, width: canvas.width, height: canvas.height, channels: canvas.channels, index: presentedFrames - firstPresented, timestamp });
  };

  let frameRequest: number | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  if (typeof video.requestVideoFrameCallback === 'function') {
    const onFrame: VideoFrameRequestCallback = (_now, metadata) => {
      if (stopped) return;
      frameRequest = video.requestVideoFrameCallback(onFrame);
      take(metadata.presentedFrames, metadata.mediaTime * 1000);
    };
    frameRequest = video.requestVideoFrameCallback(onFrame);
  } else {
    poll = setInterval(() => {
      if (video.paused || video.currentTime === polledTime) return;
      polledTime = video.currentTime;
      take(polledCount++, video.currentTime * 1000);
    }, 1000 / (options.fps ?? 30));
  }
  const onEnded = () => delivery.end();
  const onError = () => delivery.end(new Error(`${source}: the video failed: ${video.error?.message || `media error ${video.error?.code ?? 'unknown'}`}`));
  video.addEventListener('ended', onEnded);
  video.addEventListener('error', onError);
  return () => {
    stopped = true;
    if (frameRequest !== undefined) video.cancelVideoFrameCallback(frameRequest);
    if (poll !== undefined) clearInterval(poll);
    video.removeEventListener('ended', onEnded);
    video.removeEventListener('error', onError);
  };
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
