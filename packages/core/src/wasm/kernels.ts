import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-grads';
import { fastConcat, fastSlice, fastSplitV, sharedIdentity } from './copy-kernels';
import { batchedGather, unsortedSegmentSum } from './gather';
import { maxPoolGrad, resizeNearestGrad } from './pool-grads';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Args = { inputs: Record<string, any>; attrs: Record<string, any> };

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
  MaxPoolGrad: ({ inputs: { dy, input }, attrs: a }) => maxPoolGrad(dy, input, a.filterSize, a.strides, a.pad, a.dimRoundingMode),
  ResizeNearestNeighborGrad: ({ inputs: { images, dy }, attrs: a }) => resizeNearestGrad(images, dy, !!a.alignCorners, !!a.halfPixelCenters),
  UnsortedSegmentSum: ({ inputs: { x, segmentIds }, attrs: a }) => unsortedSegmentSum(x, segmentIds, a.numSegments),
};

function assertNoDilation(d: number | [number, number] | undefined, name: string): void {
  if (d !== undefined && (Array.isArray(d) ? d.some((v) => v !== 1) : d !== 1)) throw new Error(`${name} on wasm: dilations ${d} are not supported`);
}

/** Data-movement kernels replaced on wasm for speed (shared data instead of copies, loops on the heap). */
const COPY_KERNELS: Record<string, (a: any) => tf.TensorInfo | tf.TensorInfo[]> = {
  Identity: (a) => (a.inputs.x.dtype === 'string' ? stock.Identity!(a) : sharedIdentity(a)),
  Cast: (a) => (a.inputs.x.dtype === a.attrs.dtype && a.attrs.dtype !== 'string' ? sharedIdentity(a) : stock.Cast!(a)),
  Slice: (a) => (a.inputs.x.dtype === 'string' ? stock.Slice!(a) : fastSlice(a)),
  SplitV: (a) => (a.inputs.x.dtype === 'string' ? stock.SplitV!(a) : fastSplitV(a)),
  Concat: (a) => (Object.values(a.inputs as Record<string, tf.TensorInfo>).some((t) => t.dtype === 'string') ? stock.Concat!(a) : fastConcat(a)),
};
const stock: Record<string, (a: any) => any> = {};

/** Kernels yolomods registers (or replaces) on the wasm backend for training. */
export const WASM_TRAINING_KERNELS: readonly string[] = [...Object.keys(KERNELS), 'GatherV2', ...Object.keys(COPY_KERNELS)];

/** cpu kernels yolomods replaces: tfjs-cpu's ResizeNearestNeighborGrad reads `dy` at the wrong batch offset for batch ≥ 2. */
export const CPU_FIXED_KERNELS: readonly string[] = ['ResizeNearestNeighborGrad'];

let registered = false;

/**
 * Registers wasm gradient kernels built from wasm's fast forward kernels (conv/depth-wise conv
 * backprops, UnsortedSegmentSum) and replaces wasm kernels that give wrong results (MaxPoolGrad,
 * ResizeNearestNeighborGrad at batch ≥ 2, GatherV2 with batchDims) and slow data-movement kernels
 * (Identity, Cast, Slice, SplitV, Concat); also fixes cpu's nearest-resize gradient. Idempotent; core calls it on import.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, fn] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc });
  }
  for (const [kernelName, fn] of Object.entries(COPY_KERNELS)) {
    const old = tf.getKernel(kernelName, 'wasm');
    if (!old) continue;
    stock[kernelName] = old.kernelFunc as never;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: old.setupFunc, kernelFunc: fn as unknown as tf.KernelFunc });
  }
  for (const kernelName of CPU_FIXED_KERNELS) {
    if (tf.getKernel(kernelName, 'cpu')) tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: KERNELS[kernelName] as unknown as tf.KernelFunc });
  }
  const gather = tf.getKernel('GatherV2', 'wasm');
  if (gather) {
    tf.unregisterKernel('GatherV2', 'wasm');
    tf.registerKernel({
      kernelName: 'GatherV2',
      backendName: 'wasm',
      setupFunc: gather.setupFunc, // the stock kernel still serves batchDims = 0 and needs its wasm bindings
      kernelFunc: ((args: Args & { backend: unknown }) => {
        const { x, indices } = args.inputs;
        const batchDims = args.attrs.batchDims ?? 0;
        if (!batchDims) return gather.kernelFunc(args as never);
        const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0]!;
        return batchedGather(x, indices, axis, batchDims);
      }) as unknown as tf.KernelFunc,
    });
  }
}
