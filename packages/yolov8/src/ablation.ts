import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { manualSeed, parseSafetensors } from '@yolomods/core';
import { createModel } from './build';
import { loadDataset } from './data/index';
import { measureCost, writeComparison, type CompareRow } from './compare';
import { parseArgs, type TrainArgs } from './train/hyp';
import { buildModel, val } from './train/commands';
import { readResults } from './train/results';
import { train, type TrainOptions } from './train/trainer';
import type { CheckpointMeta } from './train/checkpoint';

/** Options of {@link ablation}. */
export interface AblationOptions {
  /** Models to compare (YAMLs, bundled names or checkpoints); the first is the baseline. */
  models: string[];
  /** Dataset YAML every model trains and validates on. */
  data: string;
  /** Training arguments shared by every model (ultralytics keys: epochs, imgsz, batch, seed, pretrained, …). */
  train?: Partial<Omit<TrainArgs, 'model' | 'data' | 'project' | 'name' | 'exist_ok' | 'resume'>>;
  /** Per model: trained weights to validate instead of training (an entry may be empty). */
  weights?: (string | undefined)[];
  /** Scale letter for YAMLs without one in the name. */
  scale?: string;
  /** Folder of the comparison: one subfolder per model plus the tables and charts. */
  saveDir: string;
  /** Size the GFLOPs and latency columns are measured at (640, as papers report). */
  costImgsz?: number;
  /** Timed forwards per model (5). */
  runs?: number;
  /** Backend name shown in the tables. */
  backend?: string;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** Training callbacks, passed to every model's run. */
  hooks?: Pick<TrainOptions, 'onTrainBatchEnd' | 'onFitEpochEnd'>;
}

/** What {@link ablation} returns. */
export interface AblationResult {
  /** One row per model, failed ones with `error`. */
  rows: CompareRow[];
  /** The comparison folder. */
  saveDir: string;
  /** The files written: compare.md, compare.csv, compare.png and compare-epochs.png. */
  files: string[];
}

const stem = (spec: string) => path.basename(spec).replace(/\.(ya?ml|safetensors|pt)$/i, '');

/** The settings a comparison folder was made with; a rerun into it must use the same ones to resume. */
function settingsOf(o: AblationOptions, args: TrainArgs): Record<string, unknown> {
  const trainKeys = Object.fromEntries(Object.entries(args).filter(([k]) => !['model', 'data', 'project', 'name', 'exist_ok', 'resume', 'verbose', 'plots', 'cache', 'workers'].includes(k)));
  return { models: o.models, data: path.resolve(o.data), weights: o.weights ?? [], scale: o.scale ?? null, costImgsz: o.costImgsz ?? 640, train: trainKeys };
}

function checkSettings(file: string, want: Record<string, unknown>): void {
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify(want, null, 2));
    return;
  }
  const had = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // the training keys are compared one by one, so the message names the key that changed
  const flat = (o: Record<string, unknown>) => {
    const { train, ...rest } = o;
    return train && typeof train === 'object' ? { ...rest, ...(train as Record<string, unknown>) } : o;
  };
  const [a, b] = [flat(had), flat(want)];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!isDeepStrictEqual(a[k], b[k])) throw new Error(`${file}: this comparison was run with ${k}=${JSON.stringify(a[k])}, now ${k}=${JSON.stringify(b[k])}; use another folder (name=…) or the same settings to resume`);
  }
}

function checkpointEpoch(file: string): number {
  const { metadata } = parseSafetensors(readFileSync(file), file);
  return metadata.yolomods ? (JSON.parse(metadata.yolomods) as CheckpointMeta).epoch : -1;
}

/**
 * The ablation papers report: trains every model with the same seed, data order, hyperparameters and
 * budget (or takes its `weights`), validates each model's best weights, measures parameters, GFLOPs and
 * latency, and writes the tables and charts after every model. Each model has its own folder
 * (`<n>-<stem>`): a rerun into the same `saveDir` reuses finished models and resumes interrupted ones
 * from their last checkpoint; a model that fails gets its error in its row and the others still run.
 */
export async function ablation(opts: AblationOptions): Promise<AblationResult> {
  if (!opts.models.length) throw new Error('compare: models=… needs at least one model');
  if (opts.weights && opts.weights.length !== opts.models.length) throw new Error(`compare: weights has ${opts.weights.length} entries but models has ${opts.models.length}; give one per model`);
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const data = loadDataset(opts.data);
  const args = parseArgs({ ...(opts.train as Record<string, string | number | boolean>), data: opts.data, model: 'compare' });
  const costImgsz = opts.costImgsz ?? 640;
  mkdirSync(opts.saveDir, { recursive: true });
  checkSettings(path.join(opts.saveDir, 'compare.json'), settingsOf(opts, args));
  const rows: CompareRow[] = [];
  let files: string[] = [];
  for (const [i, spec] of opts.models.entries()) {
    const name = `${i + 1}-${stem(spec)}`;
    const dir = path.join(opts.saveDir, name);
    const done = path.join(dir, 'row.json');
    if (existsSync(done)) {
      log(`compare: ${spec} finished earlier, reusing ${done}`);
      rows.push(JSON.parse(readFileSync(done, 'utf8')) as CompareRow);
    } else {
      log(`compare: model ${i + 1}/${opts.models.length} ${spec}`);
      try {
        const row = await runOne(spec, opts.weights?.[i] || undefined, dir, name, data.nc, args, opts, log);
        mkdirSync(dir, { recursive: true }); // given weights: nothing trained into the folder
        writeFileSync(done, JSON.stringify(row, null, 2));
        rows.push(row);
      } catch (e) {
        const error = (e as Error).message;
        log(`compare: ${spec} failed: ${error}`);
        rows.push({ model: spec, parameters: 0, gflops: 0, ms: 0, error });
      }
    }
    files = await writeComparison(opts.saveDir, rows, { imgsz: costImgsz, backend: opts.backend });
  }
  return { rows, saveDir: opts.saveDir, files };
}

async function runOne(spec: string, weights: string | undefined, dir: string, name: string, nc: number, args: TrainArgs, opts: AblationOptions, log: (line: string) => void): Promise<CompareRow> {
  let best = weights;
  let trained: CompareRow['train'];
  let cols: Record<string, number[]> = {};
  if (!best) {
    const last = path.join(dir, 'weights', 'last.safetensors');
    const t0 = performance.now();
    const common = { log, verbose: args.verbose, ...opts.hooks };
    if (existsSync(last) && checkpointEpoch(last) + 1 < args.epochs) {
      log(`compare: resuming ${spec} from ${last}`);
      (await train(null, { resume: last, ...common })).model.dispose();
    } else if (!existsSync(last)) {
      // The same initial weights for a model on every run: the generator is reseeded before each build.
      manualSeed(args.seed);
      const model = opts.scale && !/\.(safetensors|pt)$/i.test(spec) ? await createModel({ model: spec, nc, scale: opts.scale }) : await buildModel(spec, nc, log);
      (await train(model, { ...(args as Partial<TrainArgs>), model: spec, resume: false, project: path.dirname(dir), name, exist_ok: true, ...common })).model.dispose();
    }
    best = path.join(dir, 'weights', 'best.safetensors');
    cols = readResults(path.join(dir, 'results.csv'));
    trained = { imgsz: args.imgsz, gflops: 0, epochs: cols.epoch?.length ?? 0, seconds: (performance.now() - t0) / 1000 };
  }
  const model = await createModel({ weights: best, ...(weights && opts.scale ? { scale: opts.scale } : {}) });
  try {
    if (model.nc !== nc) throw new Error(`${best}: the model has nc=${model.nc} but ${opts.data} has ${nc} classes`);
    const r = await val(model, { data: opts.data, imgsz: args.imgsz, batch: args.batch * 2, verbose: false });
    const [precision, recall, map50, map5095] = r.metrics.meanResults as [number, number, number, number];
    const cost = await measureCost(model, opts.costImgsz ?? 640, opts.runs);
    const row: CompareRow = { model: spec, ...cost, metrics: { precision, recall, map50, map5095 } };
    if (trained) {
      row.train = { ...trained, gflops: model.info({ imgsz: args.imgsz }).gflops };
      row.curve = { map50: cols['metrics/mAP50(B)'] ?? [], map5095: cols['metrics/mAP50-95(B)'] ?? [] };
    }
    return row;
  } finally {
    model.dispose();
  }
}
