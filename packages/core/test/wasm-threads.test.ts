import { describe, expect, it } from 'vitest';
import { initBackend, requestedThreads, tf, wasmThreads } from '../src/index';

describe('wasm threads in Node', () => {
  it('the wasm backend runs the requested number of threads (default: available cores)', async () => {
    await initBackend({ backend: 'wasm', log: false });
    // Only the first wasm start in a process applies a count; the suite never asks for another.
    expect(wasmThreads()).toBe(requestedThreads());
    const y = tf.tidy(() => tf.sum(tf.conv2d(tf.ones([1, 16, 16, 8]) as tf.Tensor4D, tf.ones([3, 3, 8, 4]) as tf.Tensor4D, 1, 'same')));
    expect(y.dataSync()[0]).toBe(4 * 8 * (14 * 14 * 9 + 4 * 14 * 6 + 4 * 4)); // exact in float32
    y.dispose();
  });

  it('rejects a bad YOLOMODS_THREADS, naming it', () => {
    const saved = process.env.YOLOMODS_THREADS;
    process.env.YOLOMODS_THREADS = '0';
    try {
      expect(() => requestedThreads()).toThrow(/YOLOMODS_THREADS='0'/);
    } finally {
      if (saved === undefined) delete process.env.YOLOMODS_THREADS;
      else process.env.YOLOMODS_THREADS = saved;
    }
    expect(requestedThreads(3)).toBe(process.env.YOLOMODS_THREADS ? Number(process.env.YOLOMODS_THREADS) : 3);
  });
});
