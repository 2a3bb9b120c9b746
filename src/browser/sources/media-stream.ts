/**
 * `fromMediaStream(stream)`: a camera (or any `MediaStream` from `getUserMedia`, a canvas capture,
 * a WebRTC peer) as `Observable<LiveFrame>`. Frames come through `MediaStreamTrackProcessor` as
 * `VideoFrame`s where the browser has it (Chromium), else from a hidden `<video>` playing the
 * stream. Each subscription reads its own clone of the video track and stops that clone on
 * unsubscribe: the caller's stream keeps running.
 */
import { Observable } from 'rxjs';
import { LiveDelivery, liveBufferCapacity, type LiveFrame, type LivePolicyOptions } from '../../sources/live-policy.js';
import { checkFrameSize, FrameCanvas, FrameRateLimit, type FrameSize } from './frame-canvas.js';
import { CameraFrameNumbers, FrameGaps } from './frame-gaps.js';
import { describe, watchVideoElement } from './video-element.js';

export interface MediaStreamOptions extends FrameSize, LivePolicyOptions {
  /** How frames are read: `'auto'` (default) takes `'track-processor'` where the browser has it. */
  readonly reader?: 'auto' | 'track-processor' | 'video-element';
}

/** Chromium's MediaStreamTrackProcessor (not in TypeScript's DOM types: other browsers lack it). */
interface TrackProcessor {
  readonly readable: ReadableStream<VideoFrame>;
}
type TrackProcessorConstructor = new (init: { track: MediaStreamTrack }) => TrackProcessor;

function trackProcessorConstructor(): TrackProcessorConstructor | undefined {
  const candidate = (globalThis as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor;
  return typeof candidate === 'function' ? (candidate as TrackProcessorConstructor) : undefined;
}

/** Which reader `fromMediaStream` uses here by default. */
export function mediaStreamReader(): 'track-processor' | 'video-element' {
  return trackProcessorConstructor() ? 'track-processor' : 'video-element';
}

export function fromMediaStream(stream: MediaStream, options: MediaStreamOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    const track = typeof (stream as Partial<MediaStream> | null)?.getVideoTracks === 'function' ? stream.getVideoTracks()[0] : undefined;
    const reader = options.reader ?? 'auto';
    const problem =
      (typeof (stream as Partial<MediaStream> | null)?.getVideoTracks === 'function' ? undefined : `fromMediaStream: expected a MediaStream (from navigator.mediaDevices.getUserMedia), got ${describe(stream)}`) ??
      (track ? undefined : 'fromMediaStream: the stream has no video track (ask getUserMedia for { video: true })') ??
      (track?.readyState === 'ended' ? 'fromMediaStream: the video track has ended (the camera was stopped)' : undefined) ??
      checkFrameSize('fromMediaStream', options) ??
      (typeof capacity === 'string' ? `fromMediaStream: ${capacity}` : undefined) ??
      (['auto', 'track-processor', 'video-element'].includes(reader) ? undefined : `fromMediaStream: reader must be 'auto', 'track-processor' or 'video-element', got ${String(reader)}`) ??
      (reader === 'track-processor' && !trackProcessorConstructor() ? 'fromMediaStream: this browser has no MediaStreamTrackProcessor (use reader: \'video-element\')' : undefined);
    if (problem !== undefined || typeof capacity === 'string' || !track) {
      subscriber.error(new Error(problem));
      return;
    }
    const gaps = new FrameGaps();
    const own = track.clone();
    const frames = new Observable<LiveFrame>((inner) => {
      const delivery = new LiveDelivery(inner, capacity);
      own.addEventListener('ended', () => delivery.end());
      const stop = (reader === 'auto' ? mediaStreamReader() : reader) === 'track-processor' ? readTrackProcessor(own, options, delivery, gaps) : readThroughVideo(own, options, delivery, gaps);
      return () => {
        stop();
        own.stop();
        delivery.close();
      };
    });
    return frames.pipe(gaps.annotate()).subscribe(subscriber);
  });
}

function readTrackProcessor(track: MediaStreamTrack, options: FrameSize, delivery: LiveDelivery, gaps: FrameGaps): () => void {
  const Processor = trackProcessorConstructor()!;
  const reader = new Processor({ track }).readable.getReader();
  const limit = new FrameRateLimit(options.fps);
  const numbers = new CameraFrameNumbers(track.getSettings().frameRate);
  let canvas: FrameCanvas | undefined;
  let firstTimestamp: number | undefined;
  let stopped = false;
  (async () => {
    for (;;) {
      const { value: videoFrame, done } = await reader.read();
      if (done || stopped) {
        videoFrame?.close();
        break;
      }
      try {
        firstTimestamp ??= videoFrame.timestamp;
        const timestamp = (videoFrame.timestamp - firstTimestamp) / 1000; // µs to ms
        const frameIndex = numbers.next(timestamp);
        if (!limit.admits(timestamp)) {
          gaps.skip(frameIndex);
          continue;
        }
        canvas ??= new FrameCanvas(options.width ?? videoFrame.displayWidth, options.height ?? videoFrame.displayHeight, options.channels ?? 3);
        const data = canvas.read(videoFrame);
        delivery.offer(0, { data, width: canvas.width, height: canvas.height, channels: canvas.channels, index: frameIndex, timestamp });
      } finally {
        // Camera frames come from a small pool: one not closed at once stalls the camera.
        videoFrame.close();
      }
    }
    delivery.end();
  })().catch((error: unknown) => {
    if (!stopped) delivery.end(new Error(`fromMediaStream: reading the camera failed: ${(error as Error).message}`, { cause: error }));
  });
  return () => {
    stopped = true;
    reader.cancel().catch(() => undefined);
  };
}

function readThroughVideo(track: MediaStreamTrack, options: FrameSize, delivery: LiveDelivery, gaps: FrameGaps): () => void {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  const stopWatching = watchVideoElement(video, options, delivery, gaps, 'fromMediaStream');
  video.play().catch((error: unknown) => delivery.end(new Error(`fromMediaStream: the stream would not play: ${(error as Error).message}`, { cause: error })));
  return () => {
    stopWatching();
    video.pause();
    video.srcObject = null;
  };
}
