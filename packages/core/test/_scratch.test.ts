import { it } from 'vitest';
import { initBackend, tf } from '../src/index';

function rnd(shape: number[], seed: number): Float32Array {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = s / 2147483648 - 0.5; }
  return a;
}
async function both(name: string, f: () => tf.Tensor) {
  const res: Record<string, Float32Array | string> = {};
  for (const b of ['cpu', 'wasm']) {
    await initBackend({ backend: b as 'cpu', log: false });
    try { const t = f(); res[b] = t.dataSync() as Float32Array; t.dispose(); } catch (e) { res[b] = String((e as Error).message).slice(0, 200); }
  }
  const c = res.cpu!, w = res.wasm!;
  if (typeof c === 'string' || typeof w === 'string') { console.log(name, 'cpu:', typeof c === 'string' ? c : 'ok', 'wasm:', typeof w === 'string' ? w : 'ok'); return; }
  let m = 0; for (let i = 0; i < c.length; i++) m = Math.max(m, Math.abs(c[i]! - w[i]!));
  console.log(name, 'maxdiff', m, c.length, w.length);
}
it('scratch', async () => {
  const x = () => tf.tensor4d(rnd([2, 9, 11, 3], 1), [2, 9, 11, 3]);
  for (const [k, s, p] of [[5, 1, 2], [3, 2, 1], [2, 2, 0], [3, 1, 1]] as const) {
    await both(`maxpool grad k${k} s${s} p${p}`, () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, p), tf.maxPool(a as tf.Tensor4D, k, s, p))))(x()));
    await both(`maxpool chained grad k${k} s${s} p${p}`, () => tf.grad((a: tf.Tensor) => { const y1 = tf.maxPool(a as tf.Tensor4D, k, s, p); return tf.sum(tf.mul(tf.maxPool(y1, k, s, p), tf.range(0, tf.maxPool(y1, k, s, p).size).reshape(tf.maxPool(y1, k, s, p).shape))); })(x()));
  }
  await both('resizeNN grad b2', () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [18, 22]), tf.range(0, 2 * 18 * 22 * 3).reshape([2, 18, 22, 3]))))(x()));
  await both('gather batchDims1', () => tf.gather(tf.tensor3d(rnd([2, 5, 3], 2), [2, 5, 3]), tf.tensor2d([[0, 4, 2], [1, 1, 3]], [2, 3], 'int32'), 1, 1));
  await both('gather grad', () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, tf.tensor1d([0, 4, 2, 4, 4], 'int32')), tf.range(0, 15).reshape([5, 3]))))(tf.tensor2d(rnd([5, 3], 3), [5, 3])));
  await both('scatterNd dup', () => tf.scatterND(tf.tensor2d([[0], [2], [0]], [3, 1], 'int32'), tf.tensor2d([[1, 2], [3, 4], [5, 6]]), [3, 2]));
  await both('conv grad', () => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, tf.ones([3, 3, 3, 4]) as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])))(x()));
  await both('conv filter grad', () => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x(), w as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])))(tf.ones([3, 3, 3, 4])));
});
