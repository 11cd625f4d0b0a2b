import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-grads';
import { fastConcat, fastSlice, fastSplitV, fastTranspose, sharedIdentity } from './copy-kernels';
import { batchedGather, unsortedSegmentSum } from './gather';
import { blockReduce } from './reduce-kernels';
import { adamwKernel, sgdKernel } from './optim-kernels';
import { NORM_KERNELS, OPTIMIZER_KERNELS } from './kernel-names';
import { batchNormGradKernel, batchNormTrainKernel, siluGradKernel } from './norm-kernels';
import { maxPoolGrad, resizeNearestGrad } from './pool-grads';
import { heapMaxPoolGrad } from './pool-kernels';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Args = { inputs: Record<string, any>; attrs: Record<string, any>; backend?: any };

// Kernel functions may return a tf.Tensor (the engine adopts anything with a rank); the ops used
// inside run on wasm's own forward kernels with the tape off.
const KERNELS: Record<string, (a: Args) => tf.Tensor> = {
  Conv2DBackpropInput: ({ inputs: { dy, filter }, attrs: a }) => {
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput on wasm: NCHW is not supported; use NHWC');
    return conv2dBackpropInput(dy, filter, a.inputShape, a.strides, a.pad, a.dimRoundingMode);
  },
  Conv2DBackpropFilter: ({ inputs: { x, dy }, attrs: a }) => {
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm: NCHW is not supported; use NHWC');
    return conv2dBackpropFilter(x, dy, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
  },
  DepthwiseConv2dNativeBackpropInput: ({ inputs: { dy, filter }, attrs: a }) => {
    assertNoDilation(a.dilations, 'DepthwiseConv2dNativeBackpropInput');
    return depthwiseBackpropInput(dy, filter, a.inputShape, a.strides, a.pad, a.dimRoundingMode);
  },
  DepthwiseConv2dNativeBackpropFilter: ({ inputs: { x, dy }, attrs: a }) => {
    assertNoDilation(a.dilations, 'DepthwiseConv2dNativeBackpropFilter');
    return depthwiseBackpropFilter(x, dy, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
  },
  MaxPoolGrad: (args) => (heapMaxPoolGrad(args as any) as unknown as tf.Tensor) ?? maxPoolGrad(args.inputs.dy, args.inputs.input, args.attrs.filterSize, args.attrs.strides, args.attrs.pad, args.attrs.dimRoundingMode),
  ResizeNearestNeighborGrad: ({ inputs: { images, dy }, attrs: a }) => resizeNearestGrad(images, dy, !!a.alignCorners, !!a.halfPixelCenters),
  UnsortedSegmentSum: ({ inputs: { x, segmentIds }, attrs: a }) => unsortedSegmentSum(x, segmentIds, a.numSegments),
};

function assertNoDilation(d: number | [number, number] | undefined, name: string): void {
  if (d !== undefined && (Array.isArray(d) ? d.some((v) => v !== 1) : d !== 1)) throw new Error(`${name} on wasm: dilations ${d} are not supported`);
}

type Stock = (a: any) => any;

/** Data-movement kernels replaced on wasm for speed (shared data instead of copies, loops on the heap); each gets the stock kernel for what it leaves. */
const COPY_KERNELS: Record<string, (stock: Stock) => Stock> = {
  Identity: (stock) => (a) => (a.inputs.x.dtype === 'string' ? stock(a) : sharedIdentity(a)),
  Cast: (stock) => (a) => (a.inputs.x.dtype === a.attrs.dtype && a.attrs.dtype !== 'string' ? sharedIdentity(a) : stock(a)),
  Slice: (stock) => (a) => (a.inputs.x.dtype === 'string' ? stock(a) : fastSlice(a)),
  SplitV: (stock) => (a) => (a.inputs.x.dtype === 'string' ? stock(a) : fastSplitV(a)),
  Concat: (stock) => (a) => (Object.values(a.inputs as Record<string, tf.TensorInfo>).some((t) => t.dtype === 'string') ? stock(a) : fastConcat(a)),
  Transpose: (stock) => (a) => fastTranspose(a) ?? stock(a),
};

/** Reductions replaced on wasm and cpu: non-innermost axes streamed instead of transposed first. */
const REDUCE_KERNELS = ['Mean', 'Sum'] as const;

/** Kernels yolomods registers (or replaces) on the wasm backend for training. */
export const WASM_TRAINING_KERNELS: readonly string[] = [...Object.keys(KERNELS), 'GatherV2', ...Object.keys(COPY_KERNELS), ...REDUCE_KERNELS, ...Object.values(OPTIMIZER_KERNELS), ...Object.values(NORM_KERNELS)];

/**
 * cpu kernels yolomods replaces: tfjs-cpu's ResizeNearestNeighborGrad reads `dy` at the wrong batch offset for
 * batch ≥ 2; Mean and Sum over non-innermost axes transpose the whole tensor first.
 */
export const CPU_FIXED_KERNELS: readonly string[] = ['ResizeNearestNeighborGrad', ...REDUCE_KERNELS];

/** Replaces a registered kernel by `make(stock)`, keeping its setup (wasm bindings the stock kernel still needs). */
function replaceKernel(kernelName: string, backendName: 'wasm' | 'cpu', make: (stock: Stock) => Stock): void {
  const old = tf.getKernel(kernelName, backendName);
  if (!old) return;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, setupFunc: old.setupFunc, kernelFunc: make(old.kernelFunc as Stock) as unknown as tf.KernelFunc });
}

let registered = false;

/**
 * Registers wasm gradient kernels built from wasm's fast forward kernels (conv/depth-wise conv
 * backprops, UnsortedSegmentSum) and replaces wasm kernels that give wrong results (MaxPoolGrad,
 * ResizeNearestNeighborGrad at batch ≥ 2, GatherV2 with batchDims) and slow data-movement kernels
 * (Identity, Cast, Slice, SplitV, Concat, Transpose); on wasm and cpu, Mean and Sum over non-innermost axes; also
 * fixes cpu's nearest-resize gradient; registers one-pass AdamW and SGD updates, train-mode BatchNorm and SiLU's gradient on wasm. Idempotent; core calls it on import.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, fn] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc });
  }
  for (const [kernelName, make] of Object.entries(COPY_KERNELS)) replaceKernel(kernelName, 'wasm', make);
  for (const kernelName of REDUCE_KERNELS) {
    replaceKernel(kernelName, 'wasm', (stock) => blockReduce(kernelName, 'wasm', stock));
    replaceKernel(kernelName, 'cpu', (stock) => blockReduce(kernelName, 'cpu', stock));
  }
  replaceKernel('ResizeNearestNeighborGrad', 'cpu', () => KERNELS.ResizeNearestNeighborGrad as Stock);
  tf.registerKernel({ kernelName: OPTIMIZER_KERNELS.adamw, backendName: 'wasm', kernelFunc: adamwKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: OPTIMIZER_KERNELS.sgd, backendName: 'wasm', kernelFunc: sgdKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: NORM_KERNELS.bnForward, backendName: 'wasm', kernelFunc: batchNormTrainKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: NORM_KERNELS.bnBackward, backendName: 'wasm', kernelFunc: batchNormGradKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: NORM_KERNELS.siluGrad, backendName: 'wasm', kernelFunc: siluGradKernel as unknown as tf.KernelFunc });
  // The stock GatherV2 still serves batchDims = 0.
  replaceKernel('GatherV2', 'wasm', (stock) => (args: Args) => {
    const { x, indices } = args.inputs;
    const batchDims = args.attrs.batchDims ?? 0;
    if (!batchDims) return stock(args);
    const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
    return batchedGather(x, indices, axis, batchDims);
  });
}
