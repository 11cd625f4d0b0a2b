import { tf } from '../runtime';

let seed: number | null = null;

/** Makes subsequent parameter initialisation reproducible (like `torch.manual_seed`). */
export function manualSeed(s: number): void {
  seed = s >>> 0;
}

/** Next seed for an initialiser, or undefined when unseeded. */
function nextSeed(): number | undefined {
  if (seed === null) return undefined;
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed;
}

/** U(-1/√fanIn, 1/√fanIn): PyTorch's default for conv/linear weights and biases (kaiming_uniform, a=√5). */
export function uniformInit(shape: number[], fanIn: number): tf.Tensor {
  const bound = 1 / Math.sqrt(Math.max(fanIn, 1));
  return tf.randomUniform(shape, -bound, bound, 'float32', nextSeed());
}

/** N(0, std²), reproducible after {@link manualSeed} (PyTorch's `normal_(0, std)` under `torch.manual_seed`). */
export function normalInit(shape: number[], std: number): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', nextSeed());
}
