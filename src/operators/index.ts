export { rrmConv, prepareConv, layerOperator, type RrmConvOptions } from './rrm-conv.js';
export { rrmFc, prepareFc, type RrmFcOptions } from './rrm-fc.js';
export { activation, relu } from './activation-op.js';
export { maxPool, avgPool, type PoolOptions } from './pool.js';
export { globalAvgPool, flatten, softmax } from './reshape.js';
export { residual, concat } from './branches.js';
export { keyframes, type KeyframeOptions } from './keyframes.js';
export { toTensor, type ToTensorOptions } from './to-tensor.js';
export { mapWithState } from './with-state.js';
