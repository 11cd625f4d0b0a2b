// DAttention at the two yolov8n shapes for a 640 input: P5 (after SPPF, where yolov8-DAttention.yaml puts it)
// and P4 (the neck's 40x40 map, where users also insert it). Eval forward and one forward+backward.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, measure, parseModel, tf } from '@yolomods/core';
import { DAttention, configsDir } from '../dist/index.js';

// One wasm thread, as the README's table states (YOLOMODS_THREADS still overrides).
const backend = await initBackend({ threads: 1 });
const shapes = [
  ['P5 (layer 10)', [1, 20, 20, 256]],
  ['P4', [1, 40, 40, 128]],
];
const MB = 2 ** 20;
console.log(`DAttention, backend ${backend}, median of the timed runs`);
console.log('| shape | params | attention matrix MiB | pass | ms | peak tensor MiB |');
console.log('|---|---:|---:|---|---:|---:|');
for (const [label, shape] of shapes) {
  const x = tf.randomNormal(shape);
  const block = new DAttention(shape[3]);
  const params = block.countParameters().parameters;
  const attn = (block.attentionBytes(shape) / MB).toFixed(1);
  const vars = block.trainableVariables();
  const passes = [
    ['forward (eval)', () => block.eval().forward(x), { warmup: 2, runs: 10 }],
    ['forward+backward', () => {
      block.train();
      const { value, grads } = tf.variableGrads(() => tf.sum(block.forward(x)), vars);
      return [value, ...Object.values(grads)];
    }, { warmup: 1, runs: 5 }],
  ];
  for (const [pass, fn, opts] of passes) {
    const m = await measure(fn, opts);
    console.log(`| ${label} ${shape.join('x')} | ${params} | ${attn} | ${pass} | ${m.ms.toFixed(1)} | ${(m.peakBytes / MB).toFixed(1)} |`);
    if (m.tensorGrowth) console.log(`  leak: ${m.tensorGrowth} tensors`);
  }
  block.dispose();
  x.dispose();
}

// The whole model at n, 640: the baseline yolov8.yaml (from the yolov8 package in this repository) and the variant.
const baseline = fileURLToPath(new URL('../../yolov8/configs/yolov8.yaml', import.meta.url));
console.log('\n| model (n, 640, batch 1) | params | forward ms | peak tensor MiB |');
console.log('|---|---:|---:|---:|');
const img = tf.randomUniform([1, 640, 640, 3]);
for (const [name, yaml] of [['yolov8n', baseline], ['yolov8n-DAttention', path.join(configsDir, 'yolov8-DAttention.yaml')]]) {
  const model = parseModel(yaml, { scale: 'n', nc: 80 }).eval();
  const m = await measure(() => {
    const { y, feats } = model.forward(img);
    return [y, ...feats];
  }, { warmup: 2, runs: 5 });
  console.log(`| ${name} | ${model.countParameters().parameters} | ${m.ms.toFixed(0)} | ${(m.peakBytes / MB).toFixed(1)} |`);
  model.dispose();
}
img.dispose();
