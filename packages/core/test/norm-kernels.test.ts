import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../src/index';
import { batchNormTrain, silu } from '../src/ops/batch-norm';

// Train-mode BatchNorm and SiLU's gradient run as heap-kernels.wat kernels on wasm and as tf ops on
// cpu; both are driven here through the same ops, so each comparison is kernel against tf ops.

type Case = { shape: [number, number, number, number]; offset: number; spread: number; seed: number; eps: number };

const cases = fc.record({
  // Channel counts off multiples of 4 exercise the scalar tails; over 256 rows, the chunked sums.
  shape: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 23 }), fc.integer({ min: 1, max: 37 })),
  // A mean far from zero relative to the spread checks that the variance is taken about the mean.
  offset: fc.constantFrom(0, 3, -20),
  spread: fc.constantFrom(0.05, 1, 7),
  seed: fc.integer({ min: 0, max: 1000 }),
  eps: fc.constantFrom(1e-5, 1e-3),
}) as fc.Arbitrary<Case>;

function wave(n: number, seed: number, scale: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => offset + Math.sin(seed * 1.3 + i * 0.71) * scale * (1 + 0.3 * Math.cos(i * 0.13)));
}

/** BN forward and gradients (through a weighted sum, so dy varies) on the active backend. */
function bnRun({ shape, offset, spread, seed, eps }: Case): Float32Array[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const c = shape[3];
  return tf.tidy(() => {
    const x = tf.tensor4d(wave(size, seed, spread, offset), shape);
    const w = tf.tensor4d(wave(size, seed + 5, 1, 0.2), shape);
    const gamma = tf.tensor1d(wave(c, seed + 1, 0.5, 1));
    const beta = tf.tensor1d(wave(c, seed + 2, 0.3));
    let stats: tf.Tensor[] = [];
    const f = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(batchNormTrain(xv as tf.Tensor4D, g, b, eps, (m, v) => (stats = [tf.keep(tf.clone(m)), tf.keep(tf.clone(v))])), w));
    const y = batchNormTrain(x, gamma, beta, eps);
    const grads = tf.grads(f)([x, gamma, beta]);
    const out = [y, ...grads, ...stats].map((t) => t.dataSync() as Float32Array);
    tf.dispose(stats);
    return out;
  });
}

/** The same quantities in float64: `[y, dx, dγ, dβ, mean, variance]` with dy = w. */
function bnReference({ shape, offset, spread, seed, eps }: Case): Float64Array[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const c = shape[3];
  const k = size / c;
  // The backends see the inputs rounded to float32; so does the reference.
  const f32 = (v: number[]) => v.map(Math.fround);
  const [x, w, gamma, beta] = [wave(size, seed, spread, offset), wave(size, seed + 5, 1, 0.2), wave(c, seed + 1, 0.5, 1), wave(c, seed + 2, 0.3)].map(f32) as number[][];
  const out = [size, size, c, c, c, c].map((n) => new Float64Array(n));
  const [y, dx, dg, db, mean, variance] = out as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let j = 0; j < c; j++) {
    let m = 0;
    for (let r = 0; r < k; r++) m += x[r * c + j]!;
    m /= k;
    let v = 0;
    for (let r = 0; r < k; r++) v += (x[r * c + j]! - m) ** 2;
    v /= k;
    const inv = 1 / Math.sqrt(v + eps);
    let sw = 0;
    let swx = 0;
    for (let r = 0; r < k; r++) {
      const xh = (x[r * c + j]! - m) * inv;
      y[r * c + j] = xh * gamma[j]! + beta[j]!;
      sw += w[r * c + j]!;
      swx += w[r * c + j]! * xh;
    }
    for (let r = 0; r < k; r++) dx[r * c + j] = gamma[j]! * inv * (w[r * c + j]! - sw / k - (x[r * c + j]! - m) * inv * (swx / k));
    [dg[j], db[j], mean[j], variance[j]] = [swx, sw, m, v];
  }
  return out;
}

/** Largest difference relative to the reference's largest magnitude (at least 1). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 1;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return a.length === b.length ? d / m : Infinity;
}

async function on<T>(backend: string, fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const r = fn();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

describe('train-mode BatchNorm and SiLU gradient kernels (wasm) against tf ops (cpu)', () => {
  it('BatchNorm: output, batch statistics and the gradients of x, γ and β match float64 on cpu (tf ops) and wasm (kernels, at least as accurate), for any shape', async () => {
    await initBackend({ backend: 'cpu', log: false });
    await initBackend({ backend: 'wasm', log: false });
    const names = ['y', 'dx', 'dγ', 'dβ', 'mean', 'variance'];
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const wasm = await on('wasm', () => bnRun(c));
        const cpu = await on('cpu', () => bnRun(c));
        const exact = bnReference(c);
        // Against float64: within 2e-5 of the largest value, or no worse than twice the tf ops' own error
        // (a mean far above a tiny spread leaves x − μ with few significant bits in float32 either way).
        names.forEach((name, i) => {
          // The tf-ops path (cpu here, every non-wasm backend) is itself held to the float64 values where
          // float32 can hold them: a mean more than 100 spreads away leaves x − μ too few bits (seen at
          // offset −20, spread 0.05 over 2 samples), and there only the wasm bound below applies.
          if (Math.abs(c.offset) <= 100 * c.spread) expect({ name, cpu: relDiff(cpu[i]!, exact[i]!) < 2e-3 }).toEqual({ name, cpu: true });
          const bound = Math.max(2e-5, 2 * relDiff(cpu[i]!, exact[i]!));
          expect({ name, within: relDiff(wasm[i]!, exact[i]!) <= bound }).toEqual({ name, within: true });
        });
      }),
      { numRuns: 80 },
    );
    // The comparison means something only if wasm ran the kernels rather than the tf-ops fallback.
    await tf.setBackend('wasm');
    const ran = await tf.profile(() => tf.dispose(bnRun({ shape: [2, 3, 3, 5], offset: 0, spread: 1, seed: 1, eps: 1e-5 }) as unknown as tf.Tensor[]));
    expect(ran.kernels.map((k) => k.name)).toEqual(expect.arrayContaining(['YolomodsBatchNormTrain', 'YolomodsBatchNormGrad']));
  });

  it('SiLU: the one-pass gradient equals the tf-ops gradient to the bit on wasm, and cpu closely', async () => {
    const run = (n: number, seed: number) =>
      tf.tidy(() => {
        const x = tf.tensor1d(wave(n, seed, 6));
        const w = tf.tensor1d(wave(n, seed + 9, 1));
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(silu(v), w)))(x).dataSync() as Float32Array;
      });
    const reference = (n: number, seed: number) =>
      tf.tidy(() => {
        const x = tf.tensor1d(wave(n, seed, 6));
        const w = tf.tensor1d(wave(n, seed + 9, 1));
        const s = tf.sigmoid(x);
        return tf.mul(w, tf.add(s, tf.mul(tf.mul(x, s), tf.sub(1, s)))).dataSync() as Float32Array;
      });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 1000 }), async (n, seed) => {
        const kernel = await on('wasm', () => run(n, seed));
        expect(relDiff(kernel, await on('wasm', () => reference(n, seed)))).toBe(0);
        expect(relDiff(kernel, await on('cpu', () => run(n, seed)))).toBeLessThan(1e-6);
      }),
      { numRuns: 40 },
    );
    await tf.setBackend('wasm');
    const ran = await tf.profile(() => run(9, 1));
    expect(ran.kernels.map((k) => k.name)).toContain('YolomodsSiluGrad');
  });
});
