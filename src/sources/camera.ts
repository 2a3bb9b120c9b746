import { Observable } from 'rxjs';
import type { VideoPixelFormat } from './ffmpeg.js';
import { checkLiveDecoderOptions, runLiveDecoder, type LiveDecoderOptions } from './live-decoder.js';
import { LiveDelivery, liveBufferCapacity, type LiveFrame, type LivePolicyOptions } from './live-policy.js';
import { checkVideoOptions, scaleFilters } from './video-file.js';

export interface CameraOptions extends LivePolicyOptions, LiveDecoderOptions {
  /**
   * The device: `/dev/video0` (Linux, default), an avfoundation index such as `0` (macOS,
   * default `0`), or a DirectShow name (Windows, required), e.g. `Integrated Camera`.
   */
  readonly device?: string;
  /** Requested capture size; frames are also scaled to it, so the output size is exact. */
  readonly width?: number;
  readonly height?: number;
  /** Requested capture rate. */
  readonly fps?: number;
  /** Default `'rgb24'`. */
  readonly pixelFormat?: VideoPixelFormat;
  readonly ffmpegPath?: string;
  /**
   * ffmpeg input arguments that replace the platform's device input, ending with `-i ...`; e.g.
   * `['-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25']` to stand in for a camera.
   */
  readonly input?: readonly string[];
  readonly onProcess?: (pid: number) => void;
}

/**
 * Frames from a live camera through ffmpeg (v4l2 on Linux, avfoundation on macOS, dshow on
 * Windows). ffmpeg's output is read as fast as it comes; the `policy` decides what happens when
 * the pipeline lags (see `LivePolicy`). Runs until unsubscribed; when the decoder dies (the device
 * goes away, ffmpeg exits or stalls for `idleTimeoutMs`) it is restarted with backoff (`retry`),
 * the next frame marked `keyframe` and `reconnects` counting the restarts.
 */
export function fromCamera(options: CameraOptions = {}): Observable<LiveFrame> {
  return new Observable<LiveFrame>((subscriber) => {
    const capacity = liveBufferCapacity(options);
    const problem = typeof capacity === 'string' ? capacity : (checkVideoOptions(options) ?? checkLiveDecoderOptions(options));
    if (problem) {
      subscriber.error(new Error(`fromCamera: ${problem}`));
      return;
    }
    let inputArgs: readonly string[];
    try {
      inputArgs = options.input ?? deviceInputArgs(options);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    const delivery = new LiveDelivery(subscriber, capacity as number);
    const stop = runLiveDecoder('fromCamera', options, () => ({
      inputArgs,
      filters: scaleFilters({ ...options, fps: undefined }),
      pixelFormat: options.pixelFormat ?? 'rgb24',
      failOnDecodeError: false,
      timestampOffsetMs: 0,
      inputName: `camera ${JSON.stringify(inputArgs.at(-1))}`,
      ...(options.onProcess ? { onProcess: options.onProcess } : {}),
    }), delivery);
    return () => {
      stop();
      delivery.close();
    };
  });
}

/** ffmpeg's capture input for this platform, with size and rate requested from the device. */
function deviceInputArgs(options: CameraOptions): string[] {
  const requested = [
    ...(options.fps !== undefined ? ['-framerate', String(options.fps)] : []),
    ...(options.width !== undefined && options.height !== undefined ? ['-video_size', `${options.width}x${options.height}`] : []),
  ];
  switch (process.platform) {
    case 'darwin':
      return ['-f', 'avfoundation', ...requested, '-i', `${options.device ?? '0'}:none`];
    case 'win32':
      if (!options.device) throw new Error('fromCamera: on Windows pass device, the DirectShow camera name (ffmpeg -list_devices true -f dshow -i dummy lists them)');
      return ['-f', 'dshow', ...requested, '-i', `video=${options.device}`];
    default:
      return ['-f', 'v4l2', ...requested, '-i', options.device ?? '/dev/video0'];
  }
}
