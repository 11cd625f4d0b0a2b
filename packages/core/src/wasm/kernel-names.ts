// Names of yolomods' own kernels, in a leaf module: the ops that run them and the wasm backend that
// registers them both import it, so neither imports the other (no runtime ↔ ops import cycle).

/** The one-pass update kernels core registers on wasm (heap-kernels.wat). */
export const OPTIMIZER_KERNELS = { adamw: 'YolomodsAdamW', sgd: 'YolomodsSGD' } as const;
/** The train-mode BatchNorm and SiLU-gradient kernels core registers on wasm (layer-kernels.wat). */
export const NORM_KERNELS = { bnForward: 'YolomodsBatchNormTrain', bnBackward: 'YolomodsBatchNormGrad', siluGrad: 'YolomodsSiluGrad' } as const;
