/** Frame sources: cold `Observable<Frame>` factories, the frame protocol and its socket sink, Redis Streams in and out. */
export { fromVideoFile, videoFileFrames, type VideoFileOptions } from './video-file.js';
export { fromCamera, type CameraOptions } from './camera.js';
export { fromNetworkStream, type NetworkStreamOptions } from './network-stream.js';
export { restartBackoff, type LiveDecoderOptions, type LiveRetryConfig } from './live-decoder.js';
export { fromY4M, y4mFrames, parseY4MHeader, type Y4MInput, type Y4MOptions, type Y4MHeader } from './y4m.js';
export { fromImages, imageFrames, naturalCompare, type ImagesOptions } from './images.js';
export { fromReadableStream, type RawFrameLayout } from './readable-stream.js';
export { fromRawFile } from './raw-file.js';
export {
  fromSocket,
  toSocket,
  type ConnectionInfo,
  type ReceiveOptions,
  type SendOptions,
  type SocketClientOptions,
  type SocketServerOptions,
  type SocketTarget,
  type SendDrop,
  DEFAULT_MAX_QUEUE_BYTES,
} from './socket.js';
export { DEFAULT_RECEIVE_LIMITS, ReceiveLimitError, type ReceiveLimits } from './receive-limits.js';
export { fromWebSocket, fromWebSocketServer, type WebSocketServerOptions } from './websocket.js';
export { DEFAULT_QUEUE_SIZE, type LiveFrame, type LivePolicy, type LivePolicyOptions } from './live-policy.js';
export { resolveFfmpeg, type FfmpegBinary, type VideoPixelFormat } from './ffmpeg.js';
export { TruncatedVideoError } from './ffmpeg-integrity.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FRAME_PROTOCOL_VERSION,
  FrameProtocolError,
  FrameStreamParser,
  decodeFrameHeader,
  decodeFrameMessage,
  encodeFrameHeader,
  encodeFrameMessage,
  type FrameHeader,
  type FrameLimits,
  type FrameStreamParserOptions,
  type ParseResult,
  type WireFrame,
} from './protocol.js';
export {
  DEFAULT_REDIS_MAX_LEN,
  fromRedisStream,
  toRedisStream,
  type FromRedisStreamOptions,
  type PublishedFrame,
  type RedisFrame,
  type ToRedisStreamOptions,
} from './redis-stream.js';
export { MalformedEntryError } from './redis-entry.js';
export { redisKeys } from './redis-keys.js';
export type { RedisConnectionOptions } from './redis-client.js';
