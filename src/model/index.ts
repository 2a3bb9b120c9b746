export { loadOnnx, type OnnxModel, type LoadOnnxOptions } from './model.js';
export type { ModelOutput, ModelOperatorOptions, OutputTensor } from './executor.js';
export type { PreprocessOptions } from './preprocess.js';
export type { ValueInfo } from './graph.js';
export type { Tensor } from './tensor.js';
export { ModelImportError } from './errors.js';
export { SUPPORTED_OPERATORS } from './operators.js';
export { decodeTensor } from './onnx-proto.js';
export { decodeUltraFace, faceScores, ultraFacePriors, iou, type FaceBox, type UltraFaceOptions } from './ultraface.js';
