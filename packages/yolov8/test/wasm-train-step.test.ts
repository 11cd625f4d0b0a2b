import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { initBackend, parseModel, readCase, tf, unregisteredKernels } from '@yolomods/core';
import { configsDir as akconvConfigs } from '@yolomods/akconv';
import { configsDir as asffConfigs } from '@yolomods/asff';
import { configsDir as datConfigs } from '@yolomods/dat';
import { configsDir as dysampleConfigs } from '@yolomods/dysample';
import { configsDir as dynamicConfigs } from '@yolomods/dynamicconv';
import { config, fixture } from './helpers';

/**
 * Every bundled config with its scale-t fixture weights and the step's image size. AKConv's cpu backward
 * (gathers) is slow, so it steps at 32 px in eval-mode BN: batch statistics over 1x1 P5 maps are
 * ill-conditioned, and the batch-statistics path is covered by the other configs.
 */
const CONFIGS: [string, string, number][] = [
  ['yolov8', config('yolov8.yaml'), 64],
  ['yolov8-DySample', path.join(dysampleConfigs, 'yolov8-DySample.yaml'), 64],
  ['yolov8-AKConv', path.join(akconvConfigs, 'yolov8-AKConv.yaml'), 32],
  ['yolov8-DynamicConv', path.join(dynamicConfigs, 'yolov8-DynamicConv.yaml'), 64],
  ['yolov8-C2f-DynamicConv', path.join(dynamicConfigs, 'yolov8-C2f-DynamicConv.yaml'), 64],
  ['yolov8-ASFF', path.join(asffConfigs, 'yolov8-ASFF.yaml'), 64],
  ['yolov8-DAttention', path.join(datConfigs, 'yolov8-DAttention.yaml'), 64],
];

/**
 * Gradients that are exactly 0 in exact arithmetic, so both backends return float32 noise (~1e-6): DAttention's
 * proj_v / proj_out / rpe_table biases add per-channel constants that the next train-mode BatchNorm subtracts, and
 * proj_k's bias shifts each query's logits equally, which softmax cancels. They must stay at noise level.
 */
const ZERO_GRADS: Record<string, RegExp> = { 'yolov8-DAttention': /^model\.10\.(proj_k|proj_v|proj_out|rpe_table)\.bias$/ };

/** Deterministic pseudo-random values (same on both backends). */
function rnd(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return tf.tensor(a, shape);
}

/** One train-mode step: gradients of a fixed functional of the raw maps, and the kernels it ran. */
async function step(backend: 'cpu' | 'wasm', yaml: string, weights: ReturnType<typeof readCase>['weights'], size: number) {
  const training = size >= 64;
  await initBackend({ backend, log: false });
  const model = parseModel(yaml, { scale: 't', nc: 5 }).loadStateDict(weights).train(training);
  const vars = model.trainableVariables();
  const names = [...model.namedEntries()].filter(([, e]) => e.trainable).map(([k]) => k);
  let grads: Float32Array[] = [];
  const before = tf.memory().numTensors;
  const prof = await tf.profile(() => {
    const { value, grads: g } = tf.variableGrads(
      () =>
        tf.tidy(() => {
          const { feats } = model.forward(rnd([2, size, size, 3], 7) as tf.Tensor4D);
          return tf.addN(feats.map((f, i) => tf.add(tf.sum(tf.mul(f, rnd(f.shape, 10 + i))), tf.mul(tf.sum(tf.square(f)), 1e-3)))) as tf.Scalar;
        }),
      vars,
    );
    grads = vars.map((v) => g[v.name]!.dataSync().slice() as Float32Array);
    tf.dispose([value, ...Object.values(g)]);
  });
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
  return { grads, names, kernels: new Set(prof.kernels.map((k) => k.name)) };
}

describe('every bundled config trains one step on wasm with gradients matching cpu', () => {
  for (const [name, yaml, size] of CONFIGS) {
    it(name, async () => {
      const weights = readCase(fixture(`models/model_${name}_t.safetensors`)).weights;
      const cpu = await step('cpu', yaml, weights, size);
      const wasm = await step('wasm', yaml, weights, size);
      const missing = unregisteredKernels(wasm.kernels, 'wasm');
      expect(wasm.kernels).toContain('Conv2DBackpropFilter');
      expect(missing, 'kernels that ran without a wasm registration').toEqual([]);
      expect(wasm.grads.length).toBe(cpu.grads.length);
      cpu.grads.forEach((c, i) => {
        const w = wasm.grads[i]!;
        let scale = 0;
        let diff = 0;
        for (let j = 0; j < c.length; j++) {
          scale = Math.max(scale, Math.abs(c[j]!));
          diff = Math.max(diff, Math.abs(w[j]! - c[j]!));
        }
        if (ZERO_GRADS[name]?.test(cpu.names[i]!)) {
          expect(Math.max(scale, ...w.map(Math.abs)), `${cpu.names[i]} should be 0 up to rounding`).toBeLessThan(1e-5);
          return;
        }
        expect(scale, `${cpu.names[i]} has a zero gradient`).toBeGreaterThan(0);
        // Batch-statistics BN on 2x2 P5 maps amplifies float32 rounding: compare against each gradient's scale.
        expect(diff, `${cpu.names[i]}: max |wasm − cpu| ${diff} vs max |g| ${scale}`).toBeLessThanOrEqual(2e-3 * scale + 1e-6);
      });
    });
  }
});
