// AKConv vs Conv(3x3, s2) at yolov8n's four downsampling convs for a 640 input.
import { Conv, initBackend, measure, tf } from '@yolomods/core';
import { AKConv } from '../dist/index.js';

const backend = await initBackend();
const shapes = [
  [[1, 320, 320, 16], 32],
  [[1, 160, 160, 32], 64],
  [[1, 80, 80, 64], 128],
  [[1, 40, 40, 128], 256],
];
console.log(`AKConv(num_param 5, s2) vs Conv(3x3, s2), backend ${backend}, median of 5 runs`);
console.log('| input → out | block | params | ms | peak tensor MB |');
console.log('|---|---|---:|---:|---:|');
for (const [shape, out] of shapes) {
  const x = tf.randomNormal(shape);
  for (const [name, block] of [['Conv 3x3 s2', new Conv(shape[3], out, 3, 2)], ['AKConv n5 s2', new AKConv(shape[3], out, 5, 2)]]) {
    block.eval();
    const m = await measure(() => block.forward(x), { warmup: 2, runs: 5 });
    console.log(`| ${shape.join('x')} → ${out} | ${name} | ${block.countParameters().parameters} | ${m.ms.toFixed(1)} | ${(m.peakBytes / 2 ** 20).toFixed(1)} |`);
    block.dispose();
  }
  x.dispose();
}
