// The main job, as papers do it: an ablation of the YOLOv8n baseline against mechanisms (DySample upsampling,
// AKConv convolutions) trained the same way — same seed, data order, hyperparameters and budget — on a dataset
// this script generates; then params, GFLOPs, latency and mAP side by side, a per-epoch mAP chart, and one
// picture the models never saw, detected by the best of them. All TypeScript/TF.js, no Python.
//
// DEMO_MODELS (comma-separated), DEMO_EPOCHS, DEMO_IMGSZ, DEMO_TRAIN, DEMO_BATCH resize the run.
// DEMO_DATA=<dataset YAML> trains on a real dataset instead (e.g. coco128), and DEMO_PRETRAINED=<weights>
// (e.g. yolov8n.pt or fixtures/real/yolov8n-coco-fp16.safetensors) fine-tunes every model from them;
// DEMO_PICTURE=<image> is the picture detected at the end.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@yolomods/core';
import { YOLO, ablation, compareMarkdown, generateSynthetic, loadDataset } from '@yolomods/yolov8';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');
const env = process.env;
const models = (env.DEMO_MODELS ?? 'yolov8n.yaml,yolov8n-DySample.yaml,yolov8n-AKConv.yaml').split(',');
const real = env.DEMO_DATA !== undefined;
const epochs = Number(env.DEMO_EPOCHS ?? (real ? 3 : 15));
const imgsz = Number(env.DEMO_IMGSZ ?? (real ? 320 : 64));
// 256 pictures of 64 px in batches of 8: more distinct pictures generalise better than more passes over few,
// and at this size a step costs mostly per-op overhead, so larger batches cost less per picture.
const nTrain = Number(env.DEMO_TRAIN ?? 256);
const batch = Number(env.DEMO_BATCH ?? 8);

const backend = await initBackend();
rmSync(out, { recursive: true, force: true });
const t0 = performance.now();

// 1. The data: a seeded two-class shapes dataset in the ultralytics layout, or the one you name.
const data = real ? path.resolve(env.DEMO_DATA) : await generateSynthetic({ dir: path.join(out, 'shapes'), train: nTrain, val: 32, imgsz, classes: 2, objects: [1, 2], size: [0.3, 0.6], seed: 7 });
console.log(`dataset: ${data}\nmodels: ${models.join(', ')} — ${epochs} epochs at ${imgsz} px each, on ${backend}`);

// 2. The ablation: the plugins are found because they are installed; no parser edits.
const train = { epochs, imgsz, batch, nbs: batch, seed: 0, ...(real ? {} : { mosaic: 0, close_mosaic: 0, warmup_epochs: 1 }), ...(env.DEMO_PRETRAINED ? { pretrained: env.DEMO_PRETRAINED } : {}) };
const saveDir = path.join(out, 'compare');
const r = await ablation({ models, data, train, saveDir, backend, log: (l) => (/^compare: |Transferred|epochs completed/.test(l) ? console.log(l) : undefined) });
console.log(`\n${compareMarkdown(r.rows, 640, backend)}`);
console.log(`GFLOPs@640 are for this dataset's ${loadDataset(data).nc} classes (yolomods info model=<yaml> nc=${loadDataset(data).nc} gives the same).`);
for (const f of r.files) console.log(`  ${path.relative(process.cwd(), f)}`);

// 3. A picture none of them saw (a fresh seed, 384 px), detected by the model with the best mAP50-95.
const ok = r.rows.map((row, i) => ({ row, i })).filter(({ row }) => !row.error);
if (ok.length) {
  const { row, i } = ok.reduce((a, b) => (b.row.metrics.map5095 > a.row.metrics.map5095 ? b : a));
  const weights = path.join(saveDir, `${i + 1}-${path.basename(row.model).replace(/\.ya?ml$/, '')}`, 'weights', 'best.safetensors');
  const best = await YOLO.create({ weights });
  let picture = env.DEMO_PICTURE;
  if (!picture) {
    const unseen = await generateSynthetic({ dir: path.join(out, 'unseen'), train: 1, val: 0, imgsz: 384, classes: 2, objects: [1, 2], size: [0.3, 0.6], seed: 99 });
    picture = path.join(path.dirname(unseen), 'images/train/train_00000.png');
  }
  const [res] = await best.predict(picture, { imgsz, conf: 0.25 });
  const saved = await res.save(path.join(out, 'prediction.png'));
  console.log(`\nbest: ${row.model} (mAP50-95 ${row.metrics.map5095.toFixed(3)}) on an unseen ${res.origShape[1]}x${res.origShape[0]} picture: ${res.summary()}`);
  for (const d of res.toJSON()) console.log(`    ${d.name.padEnd(10)} ${d.confidence.toFixed(2)}  [${Object.values(d.box).map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`  annotated: ${path.relative(process.cwd(), saved)}`);
  best.dispose();
}
console.log(`\ndone in ${((performance.now() - t0) / 60000).toFixed(1)} min`);
process.exitCode = r.rows.some((row) => row.error) ? 1 : 0;
