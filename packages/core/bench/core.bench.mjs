// yolomods core runtime benchmark: YOLOv8n forward and training-step times on wasm (1 and N
// threads) and cpu, plus PyTorch's figures and the ratios when `python3 -c 'import torch'` works.
// Each figure comes from a fresh process, because wasm's thread count is fixed at its first start.
// Build first: `npx tsup` in packages/core. Run: `pnpm bench` (or `node bench/core.bench.mjs`).
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const yaml = fileURLToPath(new URL('../../yolov8/configs/yolov8.yaml', import.meta.url));
const torchRef = fileURLToPath(new URL('./torch_ref.py', import.meta.url));
const cores = os.availableParallelism?.() ?? os.cpus().length;

async function child(job) {
  const { initBackend, parseModel, measure, tf, wasmThreads } = await import('../dist/index.js');
  await initBackend({ backend: job.backend, threads: job.threads, log: false });
  const threads = job.backend === 'wasm' ? wasmThreads() : 1;
  const model = parseModel(yaml, { scale: 'n', nc: 80 });
  const x = tf.randomUniform([job.batch, job.imgsz, job.imgsz, 3], 0, 1, 'float32', 1);
  let fn;
  if (job.kind === 'forward') {
    // Inference as ultralytics and predict run it: BatchNorm folded into the convolutions.
    model.fuse();
    fn = () => model.forward(x);
  } else {
    model.train();
    const vars = model.trainableVariables();
    const lr = 1e-4;
    fn = () => {
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.addN(model.forward(x).feats.map((f) => tf.mean(tf.square(f))))), vars);
      tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], lr)))));
      tf.dispose(grads);
      return value;
    };
  }
  const m = await measure(fn, { warmup: job.warmup ?? 2, runs: job.runs ?? 5 });
  process.stdout.write(`${JSON.stringify({ ...m, threads })}\n`);
}

function run(job) {
  const r = spawnSync(process.execPath, [self, '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: 30 * 60_000 });
  const line = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(line);
}

function pythonWithTorch() {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

async function main() {
  const jobs = [
    ['forward 640, wasm 1 thread', { kind: 'forward', backend: 'wasm', threads: 1, imgsz: 640, batch: 1 }, 'fwd640'],
    [`forward 640, wasm ${cores} threads`, { kind: 'forward', backend: 'wasm', threads: cores, imgsz: 640, batch: 1 }, 'fwd640'],
    ['forward 320, wasm 1 thread', { kind: 'forward', backend: 'wasm', threads: 1, imgsz: 320, batch: 1 }, 'fwd320'],
    [`forward 320, wasm ${cores} threads`, { kind: 'forward', backend: 'wasm', threads: cores, imgsz: 320, batch: 1 }, 'fwd320'],
    // cpu takes ~13 s per 640 forward on a 2-core machine, so only 320 is timed.
    ['forward 320, cpu', { kind: 'forward', backend: 'cpu', imgsz: 320, batch: 1, warmup: 1, runs: 3 }, 'fwd320'],
    [`train step 160 batch 4, wasm ${cores} threads`, { kind: 'train', backend: 'wasm', threads: cores, imgsz: 160, batch: 4, warmup: 1, runs: 3 }, 'train160'],
    [`train step 320 batch 8, wasm ${cores} threads`, { kind: 'train', backend: 'wasm', threads: cores, imgsz: 320, batch: 8, warmup: 1, runs: 3 }, 'train320'],
  ];
  const py = pythonWithTorch();
  // This kind of machine (a shared VM) can change speed by 2x within minutes, so each compared figure
  // alternates with PyTorch's over several rounds and the ratio is the median of the rounds' ratios.
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
  console.log(`yolomods core bench: YOLOv8n, fp32, ${os.cpus()[0]?.model ?? 'cpu'} (${cores} cores), Node ${process.versions.node}`);
  const pairs = {};
  let torchInfo = null;
  for (const [label, job, key] of jobs) {
    const compared = py && job.backend === 'wasm' && job.threads === cores;
    const ours = [];
    for (let i = 0; i < (compared ? rounds : 1); i++) {
      const r = run(job);
      if (r.error) {
        console.log(`${label.padEnd(36)} failed: ${r.error}`);
        break;
      }
      ours.push(r);
      if (!compared) continue;
      const t = torchFigure(py, key);
      if (t.error) {
        console.log(`PyTorch reference (${key}) failed: ${t.error}`);
        continue;
      }
      torchInfo ??= t;
      (pairs[key] ??= []).push({ ours: r.ms, torch: t[key], eager: t[`${key}_eager`], frozen: t[`${key}_frozen`] });
    }
    if (!ours.length) continue;
    const r = ours.sort((a, b) => a.ms - b.ms)[Math.floor((ours.length - 1) / 2)];
    const of = ours.length > 1 ? `median of ${ours.length}, ` : '';
    console.log(`${label.padEnd(36)} ${r.ms.toFixed(1).padStart(9)} ms (${of}min ${r.minMs.toFixed(1)}, ran ${r.threads} thread${r.threads === 1 ? '' : 's'}, peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB, tensor growth ${r.tensorGrowth})`);
  }
  if (!py) {
    console.log('PyTorch reference skipped: `python3 -c "import torch"` fails (Debian: apt-get install python3-torch)');
    return;
  }
  if (!torchInfo) return;
  console.log(`PyTorch ${torchInfo.version} (${torchInfo.threads} threads; forward = faster of eager and frozen+optimize_for_inference), each figure run alternately with ours, ${rounds} round${rounds === 1 ? '' : 's'}:`);
  for (const [key, label] of [['fwd640', 'forward 640'], ['fwd320', 'forward 320'], ['train160', 'train step 160 batch 4'], ['train320', 'train step 320 batch 8']]) {
    const p = pairs[key];
    if (!p?.length) continue;
    const ratios = p.map((x) => x.ours / x.torch);
    const range = p.length > 1 ? ` (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})` : '';
    const modes = p[0].eager ? ` [eager ${median(p.map((x) => x.eager)).toFixed(0)}, frozen ${median(p.map((x) => x.frozen)).toFixed(0)}]` : '';
    console.log(`${`  ${label}`.padEnd(36)} ${median(p.map((x) => x.torch)).toFixed(1).padStart(9)} ms  → wasm ${cores}T / torch = ${median(ratios).toFixed(2)}x${range}${modes}`);
  }
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** One PyTorch figure from bench/torch_ref.py, in a fresh process. */
function torchFigure(py, key) {
  const t = spawnSync(py, [torchRef, '--json', '--threads', String(cores), '--only', key], { encoding: 'utf8', timeout: 30 * 60_000 });
  const last = t.stdout?.trim().split('\n').pop();
  if (t.status !== 0 || !last?.startsWith('{')) return { error: (t.stderr || t.error?.message || `exit ${t.status}`).trim().split('\n').slice(-2).join(' | ') };
  return JSON.parse(last);
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]));
else await main();
