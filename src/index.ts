export type { Frame, FrameChannels, FeatureMap, LayerStats, ChangedPixels, Activation } from './types.js';
export * from './operators/index.js';
export { RrmInputError } from './layers/validate.js';
export type { KernelBackend, ConvEngine, PreparedWeights, DeltaResult } from './kernels/backend.js';
export { jsBackend } from './kernels/js-backend.js';
export type { ConvGeometry, Padding } from './kernels/geometry.js';
