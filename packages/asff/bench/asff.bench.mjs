// Detect_ASFF vs Detect at yolov8n 640 (P3 1x80x80x64, P4 1x40x40x128, P5 1x20x20x256), then the whole
// yolov8-ASFF model vs yolov8 at n and s. Needs the built packages: `npx tsup` in core and here.
// The README's table is one thread; YOLOMODS_THREADS overrides (the env var wins, as in core).
process.env.YOLOMODS_THREADS ||= '1';
const { Detect, countMacs, initBackend, loadConfig, measure, parseModel, tf } = await import('@yolomods/core');
const { Detect_ASFF, configsDir } = await import('../dist/index.js');
const path = await import('node:path');

const backend = await initBackend();
const nc = 80;
const ch = [64, 128, 256];
const rows = [];
const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function row(name, mod, run, params, runs) {
  const { macs } = countMacs(() => tf.tidy(() => void run()));
  const m = await measure(run, { warmup: 2, runs });
  if (m.tensorGrowth !== 0) throw new Error(`${name}: ${m.tensorGrowth} tensors leaked per run`);
  rows.push({ name, params, gflops: (2 * macs) / 1e9, ms: m.ms, minMs: m.minMs, peakMB: m.peakBytes / 2 ** 20 });
  mod?.dispose();
}

// Heads on yolov8n's 640 maps.
const maps = ch.map((c, i) => tf.randomNormal([1, 80 >> i, 80 >> i, c], 0, 1, 'float32', i + 1));
for (const [name, head] of [['Detect', new Detect(nc, ch)], ['Detect_ASFF', new Detect_ASFF(nc, ch)]]) {
  head.stride = [8, 16, 32];
  head.eval();
  const out = (o) => [o.y, ...o.feats];
  await row(`${name}(80, [64, 128, 256]) on n 640 maps`, head, () => out(head.forward(maps)), head.countParameters().parameters, 15);
}
tf.dispose(maps);

// Whole models: the same YAML with the plain Detect head is exactly yolov8.yaml.
const asffYaml = path.join(configsDir, 'yolov8-ASFF.yaml');
const plainYaml = loadConfig(asffYaml);
const head = plainYaml.head;
head[head.length - 1] = [[15, 18, 21], 1, 'Detect', ['nc']];
plainYaml.yaml_file = 'yolov8.yaml';
for (const scale of ['n', 's']) {
  for (const [name, cfg] of [['yolov8', plainYaml], ['yolov8-ASFF', asffYaml]]) {
    const model = parseModel(cfg, { scale, nc }).eval();
    const x = tf.randomNormal([1, 640, 640, 3], 0, 1, 'float32', 9);
    const out = (o) => [o.y, ...o.feats];
    await row(`${name}${scale} 640`, model, () => out(model.forward(x)), model.countParameters().parameters, 5);
    x.dispose();
  }
}

console.log(`backend ${backend}, threads ${process.env.YOLOMODS_THREADS}, Node ${process.version}`);
console.log('| what | parameters | GFLOPs | median ms | min ms | peak MiB |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.params.toLocaleString('en-US')} | ${fmt(r.gflops, 3)} | ${fmt(r.ms)} | ${fmt(r.minMs)} | ${fmt(r.peakMB)} |`);
}
