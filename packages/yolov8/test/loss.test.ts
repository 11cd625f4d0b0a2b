import { beforeAll, describe, expect, it } from 'vitest';
import { assertClose, initBackend, nchwToNhwc, nhwcToNchw, parseModel, readCase, tf, toTorchLayout, type FixtureCase, type HostTensor } from '@yolomods/core';
import { DetectionLoss } from '../src/loss/index';
import { config, fixture } from './helpers';

const host = (data: ArrayLike<number>, shape: number[]): HostTensor => ({ dtype: 'float32', shape, data: Float32Array.from(data) });

describe('v8DetectionLoss parity (cpu)', () => {
  let c: FixtureCase;
  let loss: DetectionLoss;
  let targets: { batchIdx: Float32Array; cls: Float32Array; bboxes: Float32Array };
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', log: false });
    c = readCase(fixture('models/loss_yolov8_t_train.safetensors'));
    loss = new DetectionLoss({ nc: 5, stride: c.meta.stride });
    const t = c.tensors;
    targets = { batchIdx: t.batch_idx!.data as Float32Array, cls: t.cls!.data as Float32Array, bboxes: t.bboxes!.data as Float32Array };
  });

  it('matches loss items, assigner outputs and d total / d raw maps from the stored maps', () => {
    const tol = c.meta.tolerance;
    const maps = [1, 2, 3].map((i) => tf.variable(nchwToNhwc(c.tensors[`output.${i}`]!) as tf.Tensor4D));
    const before = tf.memory().numTensors;
    let items: Float32Array = new Float32Array();
    let totalV = 0;
    let assign: ReturnType<DetectionLoss['compute']>['assign'] | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const r = loss.compute(maps, targets);
      items = r.items.dataSync() as Float32Array;
      assign = r.assign;
      return r.total;
    }, maps);
    totalV = value.dataSync()[0]!;
    assertClose(host(items, [3]), c.tensors['loss.items']!, tol.loss, 'loss.items');
    assertClose(host([totalV], [1]), c.tensors['loss.total']!, tol.loss, 'loss.total');
    const fg = c.tensors['assign.fg_mask']!;
    expect(Array.from(assign!.fgMask)).toEqual(Array.from(fg.data));
    assertClose(host(assign!.targetScores, [2, 252, 5]), c.tensors['assign.target_scores']!, { atol: 1e-3, rtol: 1e-3 }, 'assign.target_scores');
    assertClose(host(assign!.targetBboxes, [2, 252, 4]), c.tensors['assign.target_bboxes']!, { atol: 1e-3, rtol: 1e-5 }, 'assign.target_bboxes');
    maps.forEach((m, i) => {
      const g = nhwcToNchw(grads[m.name]!);
      assertClose(g, c.tensors[`grad.output.${i + 1}`]!, tol.grad, `grad.output.${i + 1}`);
      g.dispose();
    });
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    expect(tf.memory().numTensors).toBe(before);
    maps.forEach((m) => m.dispose());
  });

  it('matches d total / d weights through the whole train-mode network', () => {
    const tol = c.meta.tolerance;
    const model = parseModel(config('yolov8.yaml'), { scale: 't', nc: 5 }).loadStateDict(c.weights);
    model.train();
    const entries = new Map(model.namedEntries());
    const names = c.meta.grad_params as string[];
    const x = nchwToNhwc(c.inputs[0]!) as tf.Tensor4D;
    const vars = names.map((k) => entries.get(k)!.variable);
    let items: Float32Array = new Float32Array();
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(x);
      out.feats.forEach((f, i) => assertClose(nhwcToNchw(f), c.tensors[`output.${i + 1}`]!, tol.raw_maps, `output.${i + 1}`));
      const r = loss.compute(out.feats, targets);
      items = r.items.dataSync() as Float32Array;
      return r.total;
    }, vars);
    assertClose(host(items, [3]), c.tensors['loss.items']!, tol.loss, 'loss.items (network)');
    names.forEach((k) => {
      const e = entries.get(k)!;
      const g = toTorchLayout(grads[e.variable.name]!, e.layout);
      assertClose(g, c.tensors[`grad.weights.${k}`]!, tol.grad, `grad.weights.${k}`);
      g.dispose();
    });
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    x.dispose();
    model.dispose();
  });
});
