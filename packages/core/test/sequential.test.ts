import { describe, expect, it } from 'vitest';
import { Conv, initBackend, manualSeed, Sequential, tf } from '../src/index';

describe('Sequential', () => {
  it('frees its intermediate outputs: a forward outside tf.tidy leaves only its result', async () => {
    await initBackend({ backend: 'cpu', log: false });
    manualSeed(1);
    const seq = new Sequential([new Conv(3, 8, 3), new Conv(8, 8, 3), new Conv(8, 4, 1)]).eval();
    const x = tf.randomUniform([1, 8, 8, 3]);
    const direct = seq.layers.reduce((h, m) => m.forward(h) as tf.Tensor, x as tf.Tensor);
    const before = tf.memory().numTensors;
    const y = seq.forward(x) as tf.Tensor;
    expect(tf.memory().numTensors - before).toBe(1);
    // and it is the same chain of layers, not a shortcut
    expect(y.shape).toEqual([1, 8, 8, 4]);
    expect(tf.max(tf.abs(tf.sub(y, direct))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(direct)).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, y, direct]);
    seq.dispose();
  });
});
