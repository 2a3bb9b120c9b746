/**
 * `rx-rrm/browser`: rx-rrm in a web page, one ES module built by scripts/build-browser.mjs (no Node
 * built-ins; the wasm kernels beside it). The operators, the ONNX import (bytes or a URL), the
 * WebAssembly kernels (one thread, or two in a cross-origin isolated page), the detection decoders
 * and the web sources.
 *
 *   const kernels = await loadWasmKernels();             // fetched and compiled; kernels.note says how many threads
 *   const model = await loadOnnx('/models/ultraface-slim-320.onnx');
 *   const stream = await navigator.mediaDevices.getUserMedia({ video: true });
 *   fromMediaStream(stream, { width: 320, height: 240 })
 *     .pipe(model.pipeline({ preprocess: { mean: 127, scale: 1 / 128 }, threshold: 0.02 }))
 *     .subscribe((out) => draw(decodeUltraFace({ scores: out.outputs.scores!, boxes: out.outputs.boxes! })));
 */
export type { Frame, FrameChannels, FeatureMap, LayerStats, ChangedPixels, Activation, ActivityTrace } from '../types.js';
export * from '../operators/index.js';
export { RrmInputError } from '../layers/validate.js';
export type { KernelBackend, ConvEngine, PreparedWeights, DeltaResult } from '../kernels/backend.js';
export type { ConvGeometry, Padding } from '../kernels/geometry.js';
export { jsBackend } from '../kernels/js/js-backend.js';
export { defaultBackend } from './default-backend.js';
export { loadWasmKernels, type LoadWasmKernelsOptions, type WasmKernels } from './wasm-kernels.js';

export { loadOnnx } from './load-onnx.js';
export type { OnnxModel, LoadOnnxOptions, ModelPipelineOptions } from '../model/model.js';
export type { ModelOutput, ModelOperatorOptions, OutputTensor } from '../model/executor.js';
export { THRESHOLD_MODES, type ThresholdMode } from '../model/threshold-mode.js';
export type { PreprocessOptions, FrameFit } from '../model/preprocess.js';
export type { ValueInfo } from '../model/graph.js';
export type { Tensor } from '../model/tensor.js';
export { ModelImportError } from '../model/errors.js';
export { SUPPORTED_OPERATORS } from '../model/op-table.js';
export { decodeTensor } from '../model/onnx-proto.js';
export { compareFaceScores, decodeUltraFace, faceScores, ultraFacePriors, FACE_SCORE, type FaceBox, type UltraFaceOptions } from '../model/ultraface.js';
export { iou, nonMaximumSuppression, type Corners } from '../model/nms.js';
export { anchorPointCount, decodeYolo, yoloScores, type YoloDetection, type YoloLayout, type YoloOptions } from '../model/yolo.js';
export type { PostProcessingNote } from '../model/model.js';
export {
  boxesMatch, detectionAgreement, DETECTION_AGREEMENT, knownDecoder, type DetectionAgreement, type DetectionDecoder, type FrameDetectionComparison,
} from '../model/detections.js';
export { tuneThresholds, detectionsJudge, macFraction, DEFAULT_TUNE_LADDER, type TuneOptions, type TuneResult, type TunedLayer, type Judge, type Verdict } from '../model/tune.js';

export { fromMediaStream, mediaStreamReader, type MediaStreamOptions } from './sources/media-stream.js';
export { fromVideoElement, type VideoElementOptions } from './sources/video-element.js';
export { fromWebSocket } from './sources/web-socket.js';
export { fromReadableStream, type RawFrameLayout } from '../sources/readable-stream.js';
export type { ReceiveOptions, ConnectionInfo } from '../sources/socket.js';
export { DEFAULT_QUEUE_SIZE, type LiveFrame, type LivePolicy, type LivePolicyOptions } from '../sources/live-policy.js';
export {
  DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FRAME_MAGIC, FRAME_PROTOCOL_VERSION, FrameProtocolError, FrameStreamParser,
  decodeFrameHeader, decodeFrameMessage, encodeFrameHeader, encodeFrameMessage,
  type FrameHeader, type FrameLimits, type FrameStreamParserOptions, type ParseResult, type WireFrame,
} from '../sources/protocol.js';
