// Training throughput: yolov8n, imgsz 320, batch 8, the full trainer (dataloader with augmentation,
// v8DetectionLoss, backward, optimizer, EMA) on a generated dataset; images/s from the batches after
// warm-up. Next to it, PyTorch's YOLOv8n training step from core's optional reference script
// (forward + backward + SGD on a simpler loss, so a lower bound for PyTorch) when `import torch` works.
// Each engine runs in a fresh process (wasm's thread count is fixed at its first start).
// Build first (`pnpm build`); run `pnpm bench` or this file. BENCH_CPU=1 adds TF.js cpu (very slow).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const torchRef = fileURLToPath(new URL('../../core/bench/torch_ref.py', import.meta.url));
const cores = os.availableParallelism?.() ?? os.cpus().length;
const IMGSZ = 320;
const BATCH = 8;

async function child(job) {
  const { initBackend, manualSeed } = await import('@yolomods/core');
  const { YOLO, generateSynthetic } = await import('../dist/index.js');
  await initBackend({ backend: job.device, threads: job.threads, log: false });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'yolomods-train-bench-'));
  try {
    const data = await generateSynthetic({ dir, train: BATCH * job.batches, val: 1, imgsz: IMGSZ, classes: 4, seed: 0 });
    manualSeed(0);
    const yolo = await YOLO.create({ model: 'yolov8n.yaml', nc: 4 });
    const stamps = [];
    await yolo.train({ data, epochs: 1, imgsz: IMGSZ, batch: BATCH, nbs: BATCH, val: false, plots: false, verbose: false, project: dir, log: () => {}, onTrainBatchEnd: () => stamps.push(performance.now()) });
    yolo.dispose();
    const steps = stamps.slice(job.warmup).map((t, i, a) => (i ? t - a[i - 1] : null)).filter((d) => d !== null).sort((a, b) => a - b);
    const ms = steps[Math.floor(steps.length / 2)];
    process.stdout.write(`${JSON.stringify({ ms, imagesPerSecond: (BATCH * 1000) / ms })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(job) {
  const r = spawnSync(process.execPath, [self, '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: 60 * 60_000 });
  const line = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(line);
}

function torchStep() {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) continue;
    const t = spawnSync(py, [torchRef, '--json', '--threads', String(cores), '--only', 'train320'], { encoding: 'utf8', timeout: 30 * 60_000 });
    const last = t.stdout?.trim().split('\n').pop();
    return t.status === 0 && last?.startsWith('{') ? JSON.parse(last) : null;
  }
  return null;
}

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else {
  const jobs = [
    { label: 'TF.js wasm, 1 thread', device: 'wasm', threads: 1, batches: 5, warmup: 2 },
    { label: `TF.js wasm, ${cores} threads`, device: 'wasm', threads: cores, batches: 5, warmup: 2 },
    ...(process.env.BENCH_CPU ? [{ label: 'TF.js cpu', device: 'cpu', batches: 3, warmup: 1 }] : []),
  ];
  console.log(`yolov8n training, imgsz ${IMGSZ}, batch ${BATCH}, full trainer; ${os.cpus()[0]?.model ?? 'cpu'}, ${cores} cores, Node ${process.versions.node}`);
  console.log('| engine | ms / step | images / s |');
  console.log('|---|---:|---:|');
  for (const { label, ...job } of jobs) {
    const r = run(job);
    console.log(r.error ? `| ${label} | failed: ${r.error} | |` : `| ${label} | ${r.ms.toFixed(0)} | ${r.imagesPerSecond.toFixed(2)} |`);
  }
  const ref = torchStep();
  if (!ref) console.log('PyTorch reference skipped: `python3 -c "import torch"` fails (Debian: apt-get install python3-torch)');
  else console.log(`| PyTorch ${ref.version} CPU, ${ref.threads} threads (reference step, simpler loss) | ${ref.train320.toFixed(0)} | ${((BATCH * 1000) / ref.train320).toFixed(2)} |`);
}
