/**
 * ONNX import: a trained model as one rx-rrm operator.
 *
 *   const model = await loadOnnx('ultraface-slim-320.onnx');
 *   fromVideoFile(path).pipe(model.preprocess({ mean: 127, scale: 1 / 128 }), model.operator({ threshold: 0.01 }))
 *
 * Convs and fully-connected layers run as Recurrent Residual Modules (only changed pixels are
 * recomputed; τ = 0 is exact); BatchNormalization, constant affine ops and activations are folded
 * into them at load; the non-spatial tail (detection heads) runs densely; every graph output comes
 * out in ONNX's shape and element order.
 */
export { loadOnnx, type OnnxModel, type LoadOnnxOptions, type ModelPipelineOptions } from './model.js';
export type { ModelOutput, ModelOperatorOptions, OutputTensor } from './executor.js';
export { THRESHOLD_MODES, type ThresholdMode } from './threshold-mode.js';
export type { PreprocessOptions } from './preprocess.js';
export type { ValueInfo } from './graph.js';
export type { Tensor } from './tensor.js';
export { ModelImportError } from './errors.js';
export { SUPPORTED_OPERATORS } from './op-table.js';
export { decodeTensor } from './onnx-proto.js';
export { compareFaceScores, decodeUltraFace, faceScores, ultraFacePriors, FACE_SCORE, type FaceBox, type UltraFaceOptions } from './ultraface.js';
export { iou, nonMaximumSuppression, type Corners } from './nms.js';
export { anchorPointCount, decodeYolo, yoloScores, type YoloDetection, type YoloLayout, type YoloOptions } from './yolo.js';
export type { PostProcessingNote } from './model.js';
export {
  boxesMatch, detectionAgreement, DETECTION_AGREEMENT, knownDecoder, type DetectionAgreement, type DetectionDecoder, type FrameDetectionComparison,
} from './detections.js';
export type { FrameFit } from './preprocess.js';
export { tuneThresholds, detectionsJudge, macFraction, DEFAULT_TUNE_LADDER, type TuneOptions, type TuneResult, type TunedLayer, type Judge, type Verdict } from './tune.js';
