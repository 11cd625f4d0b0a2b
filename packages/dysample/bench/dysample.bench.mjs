// DySample vs nearest upsampling at the two yolov8n neck shapes for a 640 input (P5→P4, P4→P3).
import { Upsample, initBackend, measure, tf } from '@yolomods/core';
import { DySample } from '../dist/index.js';

// One wasm thread, as the README's table states (YOLOMODS_THREADS still overrides).
const backend = await initBackend({ threads: 1 });
const shapes = [
  ['P5→P4 (layer 10)', [1, 20, 20, 256]],
  ['P4→P3 (layer 13)', [1, 40, 40, 128]],
];
console.log(`DySample vs nearest Upsample, backend ${backend}, median of 10 runs`);
console.log('| shape | block | params | ms | peak tensor MB |');
console.log('|---|---|---:|---:|---:|');
for (const [label, shape] of shapes) {
  const x = tf.randomNormal(shape);
  for (const [name, block] of [['nearest', new Upsample(null, 2, 'nearest')], ['DySample lp', new DySample(shape[3], 2, 'lp', 4, false)]]) {
    block.eval();
    const m = await measure(() => block.forward(x), { warmup: 3, runs: 10 });
    console.log(`| ${label} ${shape.join('x')} | ${name} | ${block.countParameters().parameters} | ${m.ms.toFixed(2)} | ${(m.peakBytes / 2 ** 20).toFixed(2)} |`);
    if (m.tensorGrowth) console.log(`  leak: ${m.tensorGrowth} tensors`);
    block.dispose();
  }
  x.dispose();
}
