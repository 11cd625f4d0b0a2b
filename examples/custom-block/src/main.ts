// `pnpm start [dir]`: register SE, train yolov8n-SE for an epoch on generated shapes, predict.
import { runExample } from './example';

const out = await runExample({ dir: process.argv[2] });
const se = out.info.table.split('\n').find((l) => /\bSE\b/.test(l));
console.log(`\nSE layer: ${se?.trim()}`);
console.log(`losses per epoch [box, cls, dfl]: ${out.losses.map((l) => l.map((v) => v.toFixed(3)).join(', ')).join(' | ')}`);
console.log(`checkpoint: ${out.train.best}`);
console.log(`predictions: ${out.results.map((r) => r.boxes.conf.length).join(', ')} boxes on ${out.results.length} images`);
out.reloaded.dispose();
