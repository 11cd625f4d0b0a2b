// DynamicConv vs Conv(3x3, s2) and C2f_DynamicConv vs C2f at yolov8n shapes (640), batch 1 and 8.
import { C2f, Conv, initBackend, measure, tf } from '@yolomods/core';
import { C2f_DynamicConv, DynamicConv } from '../dist/index.js';

const backend = await initBackend();
const cases = [
  ['80x80x64 → 128, s2', [80, 80, 64], () => new Conv(64, 128, 3, 2), () => new DynamicConv(64, 128, 3, 2)],
  ['40x40x128 C2f(128, 128, n=2)', [40, 40, 128], () => new C2f(128, 128, 2, true), () => new C2f_DynamicConv(128, 128, 2)],
];
console.log(`backend ${backend}, median of 5 runs`);
console.log('| shape | batch | block | params | ms |');
console.log('|---|---:|---|---:|---:|');
for (const [label, hwc, base, dyn] of cases) {
  for (const b of [1, 8]) {
    const x = tf.randomNormal([b, ...hwc]);
    for (const [name, make] of [['baseline', base], ['dynamic', dyn]]) {
      const block = make().eval();
      const m = await measure(() => block.forward(x), { warmup: 1, runs: 5 });
      console.log(`| ${label} | ${b} | ${block.constructor.name} (${name}) | ${block.countParameters().parameters} | ${m.ms.toFixed(1)} |`);
      block.dispose();
    }
    x.dispose();
  }
}
