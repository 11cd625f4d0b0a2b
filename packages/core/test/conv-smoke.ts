import type * as Core from '../src/index';

// One small block of our modules, run the same way in Node (core's src) and in a page (core's browser
// build, passed in as `core`): every path a Conv takes — full, depth-wise and grouped convolution
// (stride 2 and 1), eval BatchNorm as a fused depth-wise affine, train BatchNorm with batch statistics,
// SiLU — on whichever backend is active.

/** Outputs of {@link convSmoke}, as plain arrays so they cross from a page to Node. */
export interface ConvSmokeResult {
  /** Output shape `[n, h, w, c]`. */
  shape: number[];
  /** The eval-mode output (BatchNorm from its running statistics). */
  evalOut: number[];
  /** The train-mode output (BatchNorm from the batch's statistics). */
  trainOut: number[];
  /** `tf.memory().numBytesInGPU` with the outputs alive (undefined on backends without GPU memory). */
  gpuBytes: number | undefined;
  /** Tensors left behind (0 when everything was freed). */
  leaked: number;
}

/** Builds the block from `seed` (weights and non-trivial BatchNorm statistics) and runs it in eval and train mode. */
export async function convSmoke(core: typeof Core, seed: number): Promise<ConvSmokeResult> {
  const { tf, Conv, DWConv, Sequential, BatchNorm2d, manualSeed } = core;
  const before = tf.memory().numTensors;
  manualSeed(seed);
  // Conv(3→16, k3 s2) → DWConv(16, k3) → Conv(16→8, k3, groups 2) → Conv(8→8, k1).
  const block = new Sequential([new Conv(3, 16, 3, 2), new DWConv(16, 16, 3), new Conv(16, 8, 3, 1, null, 2), new Conv(8, 8, 1)]);
  let s = seed;
  tf.tidy(() => {
    for (const m of block.modules()) {
      if (!(m instanceof BatchNorm2d)) continue;
      const c = m.channels;
      m.weight.assign(tf.randomUniform([c], 0.5, 1.5, 'float32', ++s));
      m.bias.assign(tf.randomUniform([c], -0.5, 0.5, 'float32', ++s));
      m.runningMean.assign(tf.randomUniform([c], -0.2, 0.2, 'float32', ++s));
      m.runningVar.assign(tf.randomUniform([c], 0.5, 2, 'float32', ++s));
    }
  });
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', ++s) as Core.tf.Tensor4D;
  // Sequential.forward leaves its intermediate outputs to the caller (as a model's forward does): tidy.
  const ye = tf.tidy(() => block.eval().forward(x) as Core.tf.Tensor4D);
  const yt = tf.tidy(() => block.train().forward(x) as Core.tf.Tensor4D);
  const gpuBytes = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
  const result = { gpuBytes, shape: ye.shape.slice(), evalOut: Array.from(await ye.data()), trainOut: Array.from(await yt.data()) };
  tf.dispose([x, ye, yt]);
  block.dispose();
  return { ...result, leaked: tf.memory().numTensors - before };
}
