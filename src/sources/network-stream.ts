import { Observable } from 'rxjs';
import type { VideoPixelFormat } from './ffmpeg.js';
import { checkLiveDecoderOptions, runLiveDecoder, type LiveDecoderOptions } from './live-decoder.js';
import { LiveDelivery, liveBufferCapacity, type LiveFrame, type LivePolicyOptions } from './live-policy.js';
import { checkVideoOptions, scaleFilters } from './video-file.js';

export interface NetworkStreamOptions extends LivePolicyOptions, LiveDecoderOptions {
  /** Output size; ffmpeg scales (one side alone keeps the aspect ratio). */
  readonly width?: number;
  readonly height?: number;
  /** Default `'rgb24'`. */
  readonly pixelFormat?: VideoPixelFormat;
  readonly ffmpegPath?: string;
  /**
   * ffmpeg input options placed before `-i url`, e.g. `['-rtsp_transport', 'tcp']` or, for raw
   * video over TCP, `['-f', 'rawvideo', '-pix_fmt', 'gray', '-video_size', '64x48', '-framerate', '25']`.
   */
  readonly inputOptions?: readonly string[];
  readonly onProcess?: (pid: number) => void;
}

/**
 * Frames of a live network stream that ffmpeg reads: `rtsp://`, `rtmp://`, `udp://`, `srt://`,
 * `http(s)://` (HLS, MJPEG, a live MPEG-TS), `tcp://`. Live like `fromCamera`: policies for a
 * lagging pipeline, and a decoder that dies or stalls (`idleTimeoutMs`, default 10 s) is restarted
 * with backoff, the next frame marked `keyframe` and `reconnects` counting the restarts. A live
 * stream has no end, so ffmpeg stopping counts as a death too; with `retry: false` the end is an
 * error that says so. (For a finite remote file, `fromVideoFile` on a local copy checks it is whole.)
 */
export function fromNetworkStream(url: string, options: NetworkStreamOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    const problem =
      typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(url)
        ? `expected an ffmpeg URL such as rtsp://host/path, udp://host:port or http://host/stream, got ${JSON.stringify(url)}`
        : typeof capacity === 'string'
          ? capacity
          : (checkVideoOptions(options) ?? checkLiveDecoderOptions(options));
    if (problem) {
      subscriber.error(new Error(`fromNetworkStream: ${problem}`));
      return;
    }
    const delivery = new LiveDelivery(subscriber, capacity as number);
    const stop = runLiveDecoder('fromNetworkStream', options, () => ({
      inputArgs: [...(options.inputOptions ?? []), '-i', url],
      filters: scaleFilters({ ...options, fps: undefined }),
      pixelFormat: options.pixelFormat ?? 'rgb24',
      failOnDecodeError: false,
      timestampOffsetMs: 0,
      inputName: `stream ${JSON.stringify(url)}`,
      ...(options.onProcess ? { onProcess: options.onProcess } : {}),
    }), delivery);
    return () => {
      stop();
      delivery.close();
    };
  });
}
