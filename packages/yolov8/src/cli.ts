import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { initBackend, type BackendName } from '@yolomods/core';
import { configsDir, createModel, type YoloCreateOptions } from './build';
import { loadDataset } from './data/index';
import { YOLO } from './yolo';
import { compare, compareMarkdown } from './compare';
import { incrementPath } from './train/trainer';
import { trainCommand, val } from './train/commands';
import { DEFAULT_ARGS, parseArgs, type TrainArgs } from './train/hyp';
import { ablation } from './ablation';

type Kind = 'string' | 'number' | 'int' | 'bool' | 'list';
interface Key {
  kind: Kind;
  help: string;
  choices?: readonly string[];
}
type Spec = Record<string, Key>;
type Parsed = Record<string, string | number | boolean | string[] | undefined>;

const DEVICES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

const MODEL_KEYS: Spec = {
  model: { kind: 'string', help: 'YAML path, or a bundled name such as yolov8n.yaml / yolov8s-DySample.yaml' },
  weights: { kind: 'string', help: '.safetensors or ultralytics .pt' },
  scale: { kind: 'string', help: 'scale letter n/s/m/l/x (default: from the model name)' },
  nc: { kind: 'int', help: 'number of classes' },
  device: { kind: 'string', help: 'TF.js backend', choices: DEVICES },
};

const MODES: Record<string, { help: string; keys: Spec }> = {
  predict: {
    help: 'detect objects in images',
    keys: {
      ...MODEL_KEYS,
      source: { kind: 'string', help: 'image file, directory or glob (dir/*.jpg)' },
      imgsz: { kind: 'int', help: 'inference size (640)' },
      conf: { kind: 'number', help: 'confidence threshold (0.25)' },
      iou: { kind: 'number', help: 'NMS IoU threshold (0.7)' },
      classes: { kind: 'list', help: 'keep only these class ids, e.g. 0,2' },
      agnostic_nms: { kind: 'bool', help: 'class-agnostic NMS (false)' },
      max_det: { kind: 'int', help: 'maximum detections per image (300)' },
      backend: { kind: 'string', help: 'inference engine (tfjs)', choices: ['tfjs', 'onnxruntime'] },
      data: { kind: 'string', help: 'dataset YAML whose class names an .onnx file without names metadata uses' },
      save: { kind: 'bool', help: 'save annotated images (true)' },
      save_txt: { kind: 'bool', help: 'save labels/<image>.txt (false)' },
      save_conf: { kind: 'bool', help: 'add confidences to the .txt labels (false)' },
      save_json: { kind: 'bool', help: 'save predictions.json (false)' },
      fusion_maps: { kind: 'bool', help: 'save <image>_fusion.png with the ASFF level weights, Detect_ASFF models (false)' },
      sampling_points: { kind: 'bool', help: 'save <image>_points.png with the DAttention key positions, DAttention models (false)' },
      project: { kind: 'string', help: 'parent folder of runs (runs/detect)' },
      name: { kind: 'string', help: 'run folder name (predict)' },
      exist_ok: { kind: 'bool', help: 'reuse the run folder (false)' },
    },
  },
  info: {
    help: 'layers, parameters, gradients, GFLOPs and the per-layer table',
    keys: { ...MODEL_KEYS, imgsz: { kind: 'int', help: 'GFLOPs input size (640)' }, format: { kind: 'string', help: 'output format (text)', choices: ['text', 'json'] } },
  },
  export: {
    help: 'write the model as safetensors (weights + YAML + names) or ONNX',
    keys: {
      ...MODEL_KEYS,
      format: { kind: 'string', help: 'file format (safetensors)', choices: ['safetensors', 'onnx'] },
      imgsz: { kind: 'int', help: 'ONNX input size (640)' },
      dynamic: { kind: 'bool', help: 'ONNX dynamic batch (false)' },
      opset: { kind: 'int', help: 'ONNX opset (17; at least 16 for GridSample)' },
      file: { kind: 'string', help: 'output file (default: next to the weights, or the model name)' },
    },
  },
  train: { help: 'train on an ultralytics dataset YAML (every ultralytics train key: model, data, epochs, imgsz, batch, …)', keys: {} },
  val: {
    help: 'validate on a dataset',
    keys: {
      ...MODEL_KEYS,
      data: { kind: 'string', help: 'dataset YAML' },
      imgsz: { kind: 'int', help: 'image size (640)' },
      batch: { kind: 'int', help: 'batch size (16)' },
      conf: { kind: 'number', help: 'confidence threshold (0.001)' },
      iou: { kind: 'number', help: 'NMS IoU threshold (0.7)' },
      split: { kind: 'string', help: 'dataset split (val)', choices: ['val', 'train'] },
    },
  },
  compare: {
    help: 'baseline vs variants under one budget: trains each on data= (same seed, order, hyperparameters), then params, GFLOPs, ms, P, R, mAP side by side; every train key applies to all models',
    keys: {
      models: { kind: 'list', help: 'comma-separated models, the first is the baseline' },
      data: { kind: 'string', help: 'dataset YAML: train and validate every model on it (without it: cost columns only)' },
      weights: { kind: 'list', help: 'comma-separated trained weights, one per model: validate these instead of training' },
      scale: { kind: 'string', help: 'scale letter n/s/m/l/x for YAMLs without one in the name (a number is the scale augmentation)' },
      nc: { kind: 'int', help: 'number of classes without data= (default: the YAML’s)' },
      imgsz: { kind: 'int', help: 'training size with data=, else the GFLOPs and timing size (640)' },
      runs: { kind: 'int', help: 'timed runs per model (5)' },
      device: MODEL_KEYS.device!,
      project: { kind: 'string', help: 'parent folder of runs (runs/compare)' },
      name: { kind: 'string', help: 'run folder name (compare)' },
      exist_ok: { kind: 'bool', help: 'reuse the run folder (false)' },
      resume: { kind: 'string', help: 'true (the newest comparison under project) or a comparison folder: reuse finished models, resume the interrupted one' },
      epochs: { kind: 'int', help: '… and every other train key (yolomods help train), applied to every model' },
    },
  },
};

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  /** Normal output (stdout). */
  out: (line: string) => void;
  /** Diagnostics and progress (stderr). */
  err: (line: string) => void;
}

const defaultIo: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Turns `key=value` words into typed values, naming the valid keys or values when one is wrong. */
function parseKeys(mode: string, words: string[], spec: Spec): Parsed {
  const out: Parsed = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`'${w}' is not key=value (valid keys: ${Object.keys(spec).join(', ')})`);
    const k = w.slice(0, eq).replace(/^-+/, '').replace(/-/g, '_');
    const v = w.slice(eq + 1);
    const key = spec[k];
    if (!key) throw new Error(`unknown key '${k}' (valid keys: ${Object.keys(spec).join(', ')})`);
    if (key.choices && !key.choices.includes(v)) throw new Error(`${k}=${v} is not valid; choose one of ${key.choices.join(', ')}`);
    if (key.kind === 'number' || key.kind === 'int') {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n) || (key.kind === 'int' && !Number.isInteger(n))) throw new Error(`${k}=${v} must be ${key.kind === 'int' ? 'an integer' : 'a number'}`);
      out[k] = n;
    } else if (key.kind === 'bool') {
      if (!/^(true|false|True|False|1|0)$/.test(v)) throw new Error(`${k}=${v} must be true or false`);
      out[k] = /^(true|True|1)$/.test(v);
    } else if (key.kind === 'list') out[k] = v.split(',').map((s) => s.trim()).filter(Boolean);
    else out[k] = v;
  }
  return out;
}

function usage(): string {
  const lines = ['Usage: yolomods <mode> key=value …', '', 'Modes:'];
  for (const [m, { help }] of Object.entries(MODES)) lines.push(`  ${m.padEnd(8)} ${help}`);
  lines.push('  help     this text, or `yolomods help <mode>` for its keys', '', 'Examples:');
  lines.push('  yolomods info model=yolov8n-DySample.yaml');
  lines.push('  yolomods predict model=yolov8n.yaml weights=best.safetensors source=images/ conf=0.25');
  lines.push('  yolomods train model=yolov8n-DySample.yaml data=coco8.yaml epochs=10 imgsz=320');
  lines.push('  yolomods export weights=best.safetensors format=onnx');
  lines.push('  yolomods compare models=yolov8n.yaml,yolov8n-DySample.yaml,yolov8n-AKConv.yaml');
  return lines.join('\n');
}

function modeHelp(mode: string): string {
  const { help, keys } = MODES[mode]!;
  const rows = Object.entries(keys).map(([k, v]) => `  ${k.padEnd(13)} ${v.help}${v.choices ? ` [${v.choices.join('|')}]` : ''}`);
  return [`yolomods ${mode}: ${help}`, ...(rows.length ? ['', 'Keys:', ...rows] : [])].join('\n');
}

function modelOptions(a: Parsed): YoloCreateOptions {
  if (a.model === undefined && a.weights === undefined) throw new Error('model=… or weights=… is required');
  return {
    ...(a.model !== undefined ? { model: a.model as string } : {}),
    ...(a.weights !== undefined ? { weights: a.weights as string } : {}),
    ...(a.scale !== undefined ? { scale: a.scale as string } : {}),
    ...(a.nc !== undefined ? { nc: a.nc as number } : {}),
  };
}

async function runPredict(a: Parsed, io: CliIo): Promise<void> {
  if (a.source === undefined) throw new Error('source=… is required (image file, directory or glob)');
  const names = a.data !== undefined ? loadDataset(a.data as string).names : undefined;
  const yolo = await YOLO.create({ ...modelOptions(a), ...(names ? { names } : {}) });
  try {
    const save = (a.save as boolean | undefined) ?? true;
    const anySave = save || a.save_txt === true || a.save_json === true || a.fusion_maps === true || a.sampling_points === true;
    const dir = anySave ? incrementPath(path.join((a.project as string) ?? 'runs/detect', (a.name as string) ?? 'predict'), a.exist_ok === true) : '';
    const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'predict {bar} {value}/{total} [{duration_formatted}<{eta_formatted}]', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
    let started = false;
    const results = await yolo.predict(a.source as string, {
      imgsz: a.imgsz as number | undefined,
      conf: a.conf as number | undefined,
      iou: a.iou as number | undefined,
      classes: (a.classes as string[] | undefined)?.map((c) => {
        const n = Number(c);
        if (!Number.isInteger(n) || n < 0) throw new Error(`classes=${(a.classes as string[]).join(',')}: '${c}' is not a class id`);
        return n;
      }),
      agnostic: a.agnostic_nms as boolean | undefined,
      maxDet: a.max_det as number | undefined,
      backend: a.backend as 'tfjs' | 'onnxruntime' | undefined,
      keepImage: save || a.sampling_points === true,
      fusionMaps: a.fusion_maps === true,
      samplingPoints: a.sampling_points === true,
      onProgress: (done, total) => {
        if (!bar || total < 2) return;
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
    });
    bar?.stop();
    const json: unknown[] = [];
    results.forEach((r, i) => {
      const [h, w] = r.inputShape ?? r.origShape;
      io.err(`image ${i + 1}/${results.length} ${r.path}: ${h}x${w} ${r.summary()}, ${r.speed.inference.toFixed(1)}ms`);
      if (!anySave) return;
      const stem = path.basename(r.path).replace(/\.[^.]+$/, '');
      if (a.save_txt === true) r.saveTxt(path.join(dir, 'labels', `${stem}.txt`), { saveConf: a.save_conf === true });
      if (a.save_json === true) json.push({ image: r.path, detections: r.toJSON() });
    });
    const stemOf = (r: (typeof results)[number]) => path.basename(r.path).replace(/\.[^.]+$/, '');
    if (a.fusion_maps === true) for (const r of results) await r.saveFusionMaps(path.join(dir, `${stemOf(r)}_fusion.png`));
    if (a.sampling_points === true) for (const r of results) await r.saveSamplingPoints(path.join(dir, `${stemOf(r)}_points.png`));
    if (save) for (const r of results) await r.save(path.join(dir, /\.(jpe?g|png|webp)$/i.test(r.path) ? path.basename(r.path) : `${path.basename(r.path)}.jpg`));
    if (a.save_json === true) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'predictions.json'), JSON.stringify(json, null, 2));
    }
    const n = Math.max(results.length, 1);
    const avg = (k: 'preprocess' | 'inference' | 'postprocess') => (results.reduce((s, r) => s + r.speed[k], 0) / n).toFixed(1);
    const [ih, iw] = results.at(-1)?.inputShape ?? [0, 0];
    io.err(`Speed: ${avg('preprocess')}ms preprocess, ${avg('inference')}ms inference, ${avg('postprocess')}ms postprocess per image at shape (1, 3, ${ih}, ${iw})`);
    if (anySave) io.err(`Results saved to ${dir}`);
  } finally {
    yolo.dispose();
  }
}

async function runInfo(a: Parsed, io: CliIo): Promise<void> {
  const yolo = await YOLO.create(modelOptions(a));
  try {
    const i = yolo.info({ imgsz: (a.imgsz as number | undefined) ?? 640 });
    if (a.format === 'json') {
      const { table: _t, summary, ...nums } = i;
      const table = yolo.model.layers.map((l) => ({ index: l.index, from: l.from, n: l.n, params: l.params, module: l.type, arguments: l.args }));
      io.out(JSON.stringify({ model: yolo.model.yaml.yaml_file ?? null, ...nums, summary, table }, null, 2));
    } else io.out(`${i.table}\n${i.summary}`);
  } finally {
    yolo.dispose();
  }
}

async function runExport(a: Parsed, io: CliIo): Promise<void> {
  const yolo = await YOLO.create(modelOptions(a));
  try {
    const format = (a.format as 'safetensors' | 'onnx' | undefined) ?? 'safetensors';
    const ext = format === 'onnx' ? '.onnx' : '.safetensors';
    const base = (a.weights as string | undefined) ?? path.basename(String(a.model ?? 'model'));
    let file = (a.file as string | undefined) ?? base.replace(/\.(pt|safetensors|ya?ml)$/i, '') + ext;
    if (!a.file && path.resolve(file) === path.resolve(base)) file = base.replace(/\.safetensors$/i, '') + '-export.safetensors';
    const bytes = yolo.export({ format, imgsz: a.imgsz as number | undefined, dynamic: a.dynamic as boolean | undefined, opset: a.opset as number | undefined, file });
    io.err(`export: ${format} written to ${file} (${(bytes.byteLength / 2 ** 20).toFixed(1)} MB)`);
    io.out(file);
  } finally {
    yolo.dispose();
  }
}

function newestComparison(project: string): string {
  const dirs = existsSync(project) ? readdirSync(project).map((d) => path.join(project, d)).filter((d) => existsSync(path.join(d, 'compare.json'))) : [];
  if (!dirs.length) throw new Error(`resume=true: no comparison (a folder with compare.json) under ${project}`);
  return dirs.sort((a, b) => statSync(path.join(b, 'compare.json')).mtimeMs - statSync(path.join(a, 'compare.json')).mtimeMs)[0]!;
}

/** `compare`'s own keys; every other key must be a train key and goes to each model's training. */
async function runCompare(words: string[], io: CliIo): Promise<number> {
  const own: string[] = [];
  const trainRaw: Record<string, string> = {};
  const { epochs: _help, ...ownKeys } = MODES.compare!.keys;
  for (const w of words) {
    const eq = w.indexOf('=');
    const k = eq > 0 ? w.slice(0, eq).replace(/^-+/, '').replace(/-/g, '_') : '';
    const v = w.slice(eq + 1);
    const toTrain = k === 'scale' ? !/^[a-z]$/.test(v) : !ownKeys[k] && k in DEFAULT_ARGS && !['model', 'data', 'project', 'name', 'exist_ok', 'resume'].includes(k);
    if (toTrain) trainRaw[k] = v;
    else own.push(w);
  }
  const a = parseKeys('compare', own, ownKeys);
  await initBackend(a.device ? { backend: a.device as BackendName } : {});
  const models = a.models as string[] | undefined;
  if (!models?.length) throw new Error('models=a.yaml,b.yaml,… is required');
  const weights = a.weights as string[] | undefined;
  if (weights && weights.length !== models.length) throw new Error(`weights has ${weights.length} entries but models has ${models.length}; give one per model`);
  const backend = (a.device as string | undefined) ?? '';
  const project = (a.project as string) ?? 'runs/compare';
  if (!a.data) {
    const trainKeys = Object.keys(trainRaw);
    if (weights) throw new Error('weights=… needs data=… (the dataset to validate on)');
    if (a.resume) throw new Error('resume=… needs data=… (the dataset the comparison trains on)');
    if (trainKeys.length) throw new Error(`training keys (${trainKeys.join(', ')}) need data=… (the dataset to train every model on)`);
    const dir = incrementPath(path.join(project, (a.name as string) ?? 'compare'), a.exist_ok === true);
    const imgsz = (a.imgsz as number | undefined) ?? 640;
    const rows = await compare({
      models,
      build: (spec) => createModel({ model: spec, ...(a.scale ? { scale: a.scale as string } : {}), ...(a.nc !== undefined ? { nc: a.nc as number } : {}) }),
      imgsz,
      runs: a.runs as number | undefined,
      saveDir: dir,
      backend,
    });
    io.out(compareMarkdown(rows, imgsz, backend));
    io.err(`Results saved to ${dir} (compare.md, compare.csv, compare.png)`);
    return 0;
  }
  if (a.nc !== undefined) throw new Error(`nc=${String(a.nc)}: with data= every model takes the dataset's classes`);
  const resume = a.resume === undefined || a.resume === 'false' ? undefined : a.resume === 'true' ? newestComparison(project) : String(a.resume);
  const dir = resume ?? incrementPath(path.join(project, (a.name as string) ?? 'compare'), a.exist_ok === true);
  if (resume) io.err(`compare: resuming ${resume}`);
  if (a.imgsz !== undefined) trainRaw.imgsz = String(a.imgsz);
  const parsed = parseArgs(trainRaw);
  const given = Object.fromEntries(Object.keys(trainRaw).map((k) => [k, parsed[k as keyof TrainArgs]]));
  const r = await ablation({
    models,
    data: a.data as string,
    train: given,
    ...(weights ? { weights } : {}),
    ...(a.scale ? { scale: a.scale as string } : {}),
    saveDir: dir,
    runs: a.runs as number | undefined,
    backend,
    log: io.err,
  });
  io.out(compareMarkdown(r.rows, 640, backend));
  io.err(`Results saved to ${dir} (${r.files.map((f) => path.basename(f)).join(', ')})`);
  const failed = r.rows.filter((row) => row.error);
  if (failed.length) {
    io.err(`yolomods compare: ${failed.length} of ${r.rows.length} models failed: ${failed.map((row) => row.model).join(', ')}`);
    return 1;
  }
  return 0;
}

async function runVal(a: Parsed, io: CliIo): Promise<void> {
  if (a.data === undefined) throw new Error('data=… is required (a dataset YAML)');
  const data = a.data as string;
  const { nc, names } = loadDataset(data);
  const yolo = await YOLO.create({ ...modelOptions(a), ...(a.nc === undefined ? { nc, names } : { nc: a.nc as number }) });
  try {
    const r = await yolo.val({
      data,
      imgsz: a.imgsz as number | undefined,
      batch: a.batch as number | undefined,
      conf: a.conf as number | undefined,
      iou: a.iou as number | undefined,
      split: a.split as 'val' | 'train' | undefined,
    });
    const [precision, recall, map50, map5095] = r.metrics.meanResults;
    io.out(JSON.stringify({ precision, recall, map50, map5095, images: r.images }));
  } finally {
    yolo.dispose();
  }
}

/**
 * The `yolomods` command line: `yolomods <mode> key=value …` with ultralytics' modes and keys
 * (predict, info, export, train, val, compare, help). Resolves to the exit code.
 */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [mode, ...rest] = argv;
  if (!mode || mode === 'help' || mode === '--help' || mode === '-h') {
    const sub = rest[0];
    io.out(sub && MODES[sub] ? modeHelp(sub) : usage());
    return 0;
  }
  if (mode === 'version' || mode === '--version') {
    const pj = JSON.parse(readFileSync(path.join(configsDir, '../package.json'), 'utf8')) as { version: string };
    io.out(pj.version);
    return 0;
  }
  const spec = MODES[mode];
  if (!spec) {
    io.err(`yolomods: unknown mode '${mode}'; valid modes: ${Object.keys(MODES).join(', ')}, help\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('help') || rest.includes('--help')) {
    io.out(modeHelp(mode));
    return 0;
  }
  try {
    if (mode === 'train') {
      const raw: Record<string, string> = {};
      let device: string | undefined;
      for (const w of rest) {
        const eq = w.indexOf('=');
        if (eq <= 0) throw new Error(`'${w}' is not key=value`);
        const k = w.slice(0, eq);
        if (k === 'device') device = w.slice(eq + 1);
        else raw[k] = w.slice(eq + 1);
      }
      if (device !== undefined && !DEVICES.includes(device as BackendName)) throw new Error(`device=${device} is not valid; choose one of ${DEVICES.join(', ')}`);
      await initBackend(device ? { backend: device as BackendName } : {});
      const r = await trainCommand(raw);
      r.model.dispose();
      io.err(`Results saved to ${r.saveDir}`);
      return 0;
    }
    if (mode === 'compare') return await runCompare(rest, io);
    const a = parseKeys(mode, rest, spec.keys);
    await initBackend(a.device ? { backend: a.device as BackendName } : {});
    if (mode === 'predict') await runPredict(a, io);
    else if (mode === 'info') await runInfo(a, io);
    else if (mode === 'export') await runExport(a, io);
    else if (mode === 'val') await runVal(a, io);
    return 0;
  } catch (e) {
    io.err(`yolomods ${mode}: ${(e as Error).message}`);
    return 1;
  }
}
