import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import cliProgress from 'cli-progress';
import { parseModel, tf, type DetectionModel, type HostTensor } from '@yolomods/core';
import { DetectionLoss } from '../loss/index';
import { BatchPrefetcher, YoloDataset, batchCount, epochOrder, loadDataset, loaderWorkers, trainBatch, type AugmentHyp, type Batch } from '../data/index';
import { DEFAULT_ARGS, parseArgs, type TrainArgs } from './hyp';
import { Optimizer, freezeLayers, resolveOptimizer } from './optimizer';
import { loadPretrained } from '../build';
import { ModelEMA } from './ema';
import { loadCheckpoint, saveCheckpoint, splitCheckpoint, type CheckpointMeta } from './checkpoint';
import { appendResults, plotResults } from './results';
import { validate, type ValidateResult } from './validator';

/** State handed to training callbacks. */
export interface TrainContext {
  /** Current epoch (0-based). */
  epoch: number;
  /** Batch index in the epoch (batch callbacks). */
  batch: number;
  /** Running mean `[box, cls, dfl]` of this epoch. */
  tloss: number[];
  /** Run folder. */
  saveDir: string;
}

/** Options of {@link train}: ultralytics arguments plus programmatic hooks. */
export interface TrainOptions extends Partial<Omit<TrainArgs, 'resume'>> {
  /** false, true (newest `last.safetensors` under `project`) or a checkpoint path. */
  resume?: boolean | string;
  /** Called after every training batch (throwing aborts the run, e.g. to simulate a kill). */
  onTrainBatchEnd?: (ctx: TrainContext) => void;
  /** Called after every epoch's validation and save. */
  onFitEpochEnd?: (ctx: TrainContext & { metrics: ValidateResult | null }) => void;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** Run folder (`runs/detect/trainN`). */
  saveDir: string;
  /** Final EMA model (eval mode). */
  model: DetectionModel;
  /** Validation of the final EMA weights (null when `val=false`). */
  metrics: ValidateResult | null;
  /** Best fitness reached. */
  bestFitness: number;
  /** Paths of last and best checkpoints. */
  last: string;
  best: string;
}

/** ultralytics `increment_path`: `train`, `train2`, `train3`, … */
export function incrementPath(dir: string, existOk = false): string {
  if (existOk || !existsSync(dir)) return dir;
  for (let n = 2; ; n++) if (!existsSync(`${dir}${n}`)) return `${dir}${n}`;
}

function newestLast(project: string): string {
  const found: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'last.safetensors') found.push(p);
    }
  };
  walk(project);
  if (!found.length) throw new Error(`resume=true: no last.safetensors found under ${project}`);
  return found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

const lambdaLr = (a: TrainArgs) => (x: number) =>
  a.cos_lr ? ((1 - Math.cos((x * Math.PI) / a.epochs)) / 2) * (a.lrf - 1) + 1 : Math.max(1 - x / a.epochs, 0) * (1 - a.lrf) + a.lrf;

const interp = (x: number, x0: number, x1: number, y0: number, y1: number) => (x <= x0 ? y0 : x >= x1 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0));

function stateWithPrefix(sd: Record<string, HostTensor>, prefix: string): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [prefix + k, v]));
}

/**
 * Trains a detector with the ultralytics recipe (v8DetectionLoss, SGD/AdamW with three groups,
 * warmup, linear/cosine lr, EMA, mosaic closed for the last epochs), validating each epoch and saving
 * `weights/last.safetensors` and `best.safetensors`, `args.yaml`, `results.csv` and `results.png`
 * under `project/name`. `model` may be null when resuming (the checkpoint rebuilds it).
 */
export async function train(model: DetectionModel | null, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { onTrainBatchEnd, onFitEpochEnd, log: _l, ...rawArgs } = opts;
  let args = parseArgs({ ...(rawArgs as Record<string, string | number | boolean>), model: rawArgs.model ?? 'model' });
  let resume: { meta: CheckpointMeta; tensors: Record<string, HostTensor>; file: string } | null = null;
  if (args.resume) {
    const file = args.resume === true ? newestLast(args.project) : String(args.resume);
    const ck = loadCheckpoint(file);
    if (ck.meta.epoch < 0) throw new Error(`${file}: holds final weights only, nothing to resume (training finished)`);
    resume = { ...ck, file };
    args = { ...(ck.meta.train_args as unknown as TrainArgs), resume: file };
    model = parseModel(ck.meta.model.yaml, { nc: (ck.meta.model.yaml.nc as number) ?? undefined });
    model.names = ck.meta.model.names;
  }
  if (!model) throw new Error('train: pass a model (or resume from a checkpoint)');
  const data = loadDataset(args.data);
  if (model.nc !== data.nc) throw new Error(`train: the model has nc=${model.nc} but ${args.data} has ${data.nc} classes; build the model with nc=${data.nc}`);
  model.names = data.names;
  // ultralytics `setup_model` + `model.load`: weights that fit go into the YAML's network (a resumed run has its own).
  if (!resume && typeof args.pretrained === 'string') await loadPretrained(model, args.pretrained, log);
  freezeLayers(model, args.freeze, log);
  const saveDir = resume ? path.dirname(path.dirname(resume.file)) : incrementPath(path.join(args.project, args.name), args.exist_ok);
  const wdir = path.join(saveDir, 'weights');
  mkdirSync(wdir, { recursive: true });
  writeFileSync(path.join(saveDir, 'args.yaml'), yaml.dump({ task: 'detect', mode: 'train', ...args }));
  const quiet = () => {};
  const trainFiles = data.train.slice(0, Math.max(1, Math.round(data.train.length * args.fraction)));
  const trainDs = await YoloDataset.load(trainFiles, data.nc, args.imgsz, { cache: args.cache, log: resume ? quiet : log });
  const valDs = args.val ? await YoloDataset.load(data.val, data.nc, args.imgsz, { cache: args.cache, log: resume ? quiet : log }) : null;

  const loss = new DetectionLoss({ nc: model.nc, stride: model.stride, gains: { box: args.box, cls: args.cls, dfl: args.dfl } });
  const nb = batchCount(trainDs.length, args.batch);
  const accumulate0 = Math.max(Math.round(args.nbs / args.batch), 1);
  const decay = (args.weight_decay * args.batch * accumulate0) / args.nbs;
  const iterations = Math.ceil(trainDs.length / Math.max(args.batch, args.nbs)) * args.epochs;
  const opt = resolveOptimizer(args.optimizer, args.lr0, args.momentum, model.nc, iterations);
  const warmupBiasLr = opt.auto ? 0 : args.warmup_bias_lr;
  const optimizer = new Optimizer(opt.name, model, opt.lr, opt.momentum, decay);
  if (opt.auto) log(`optimizer: 'optimizer=auto' found, determining best 'optimizer', 'lr0' and 'momentum' automatically...`);
  log(optimizer.summary());
  const ema = new ModelEMA(parseModel(model.yaml, { nc: model.nc }));
  ema.ema.names = model.names;
  const lf = lambdaLr(args);
  let lastOptStep = -1;
  // Gradients not yet applied carry over epochs (as PyTorch's .grad does) and into checkpoints.
  let accum: Record<string, tf.Tensor> | null = null;
  const keyOf = new Map([...model.namedEntries()].map(([k, e]) => [e.variable.name, k]));
  const varOf = new Map([...model.namedEntries()].map(([k, e]) => [k, e.variable.name]));
  let startEpoch = 0;
  let bestFitness: number | null = null;
  if (resume) {
    const { ema: emaW, train: trainW, optim } = splitCheckpoint(resume.tensors);
    model.loadStateDict(trainW);
    ema.ema.loadStateDict(emaW);
    ema.updates = resume.meta.updates;
    optimizer.loadStateDict(optim, resume.meta.optimizer!);
    startEpoch = resume.meta.epoch + 1;
    lastOptStep = resume.meta.last_opt_step ?? -1;
    const acc = Object.entries(resume.tensors).filter(([k]) => k.startsWith('accum.'));
    if (acc.length) accum = Object.fromEntries(acc.map(([k, v]) => [varOf.get(k.slice(6))!, tf.tensor(v.data, v.shape, 'float32')]));
    bestFitness = resume.meta.best_fitness;
    log(`Resuming training from ${resume.file} from epoch ${startEpoch + 1} to ${args.epochs} total epochs`);
  } else {
    ema.copyFrom(model);
  }
  const nw = args.warmup_epochs > 0 ? Math.max(Math.round(args.warmup_epochs * nb), 100) : -1;
  const vars = model.trainableVariables();
  const hypAug = (epoch: number): AugmentHyp => ({ ...args, mosaic: epoch >= args.epochs - args.close_mosaic ? 0 : args.mosaic });
  const last = path.join(wdir, 'last.safetensors');
  const best = path.join(wdir, 'best.safetensors');
  const csv = path.join(saveDir, 'results.csv');
  let bestEpoch = resume ? startEpoch - 1 : 0;
  let metrics: ValidateResult | null = null;
  const meta = (epoch: number): CheckpointMeta => ({
    epoch,
    best_fitness: bestFitness,
    last_opt_step: lastOptStep,
    updates: ema.updates,
    optimizer: optimizer.stateDict().meta,
    train_args: args as unknown as Record<string, unknown>,
    rng: { seed: args.seed },
    model: { yaml: model!.yaml, names: model!.names },
    date: new Date().toISOString(),
    version: '@yolomods/yolov8 0.1.0',
  });
  log(`Image sizes ${args.imgsz} train, ${args.imgsz} val\nLogging results to ${saveDir}\nStarting training for ${args.epochs} epochs...`);

  const workers = loaderWorkers(args.workers ?? DEFAULT_ARGS.workers);
  let prefetch: BatchPrefetcher | null = null;
  if (workers > 0) {
    try {
      prefetch = new BatchPrefetcher(trainDs, workers);
    } catch (e) {
      log(`dataloader: worker threads unavailable (${(e as Error).message}); building batches on the main thread`);
    }
  }
  try {
    for (let epoch = startEpoch; epoch < args.epochs; epoch++) {
      if (epoch === args.epochs - args.close_mosaic && args.close_mosaic > 0) log('Closing dataloader mosaic');
      for (const g of optimizer.groups) g.lr = g.initialLr * lf(epoch);
      model.train();
      const order = epochOrder(trainDs.length, args.seed, epoch);
      const hyp = hypAug(epoch);
      const tloss = [0, 0, 0];
      const bar = args.verbose && process.stderr.isTTY ? new cliProgress.SingleBar({ format: '{prefix} {bar} {value}/{total} [{duration_formatted}<{eta_formatted}, {speed}]', hideCursor: true, barsize: 20, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      if (args.verbose) log(`${'Epoch'.padStart(11)}${'box_loss'.padStart(11)}${'cls_loss'.padStart(11)}${'dfl_loss'.padStart(11)}${'Instances'.padStart(11)}${'Size'.padStart(11)}`);
      bar?.start(nb, 0, { prefix: '', speed: '' });
      const t0 = Date.now();
      for (let i = 0; i < nb; i++) {
        const ni = i + nb * epoch;
        let accumulate = accumulate0;
        if (ni <= nw) {
          accumulate = Math.max(1, Math.round(interp(ni, 0, nw, 1, args.nbs / args.batch)));
          optimizer.groups.forEach((g, j) => {
            g.lr = interp(ni, 0, nw, j === 0 ? warmupBiasLr : 0, g.initialLr * lf(epoch));
            if (optimizer.name === 'SGD') g.momentum = interp(ni, 0, nw, args.warmup_momentum, args.momentum);
          });
        }
        let b: Batch | null = null;
        if (prefetch) {
          try {
            b = await prefetch.take(epoch, i, nb, { batch: args.batch, hyp, seed: args.seed });
          } catch (e) {
            // A worker that cannot start or crashes costs speed, not the run: same batches, built here.
            log(`dataloader: ${(e as Error).message}; building batches on the main thread from now on`);
            await prefetch.close();
            prefetch = null;
          }
        }
        b ??= trainBatch(trainDs, order, i, args.batch, hyp, args.seed, epoch);
        let items: Float32Array = new Float32Array(3);
        const x = tf.tensor4d(b.images, [b.size, b.height, b.width, 3]);
        const { value, grads } = tf.variableGrads(() => {
          const r = loss.compute(model!.forward(x).feats, b);
          items = r.items.dataSync() as Float32Array;
          return r.total;
        }, vars);
        x.dispose();
        value.dispose();
        if (!accum) accum = grads;
        else {
          const next: Record<string, tf.Tensor> = {};
          for (const k of Object.keys(grads)) {
            next[k] = tf.add(accum[k]!, grads[k]!);
            accum[k]!.dispose();
            grads[k]!.dispose();
          }
          accum = next;
        }
        for (let j = 0; j < 3; j++) tloss[j] = (tloss[j]! * i + items[j]!) / (i + 1);
        if (ni - lastOptStep >= accumulate) {
          optimizer.apply(accum);
          Object.values(accum).forEach((g) => g.dispose());
          accum = null;
          ema.update(model);
          lastOptStep = ni;
        }
        const secs = (Date.now() - t0) / 1000;
        const prefix = `${`${epoch + 1}/${args.epochs}`.padStart(11)}${tloss.map((v) => v.toFixed(4).padStart(11)).join('')}${String(b.cls.length).padStart(11)}${String(args.imgsz).padStart(11)}`;
        bar?.update(i + 1, { prefix, speed: `${((i + 1) / Math.max(secs, 1e-3)).toFixed(2)}it/s` });
        if (!bar && args.verbose && i === nb - 1) log(prefix);
        onTrainBatchEnd?.({ epoch, batch: i, tloss, saveDir });
        // Back to the event loop between batches: progress output, signals and the caller's timers run mid-epoch.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      bar?.stop();
      const lrs = optimizer.groups.map((g) => g.lr);
      const finalEpoch = epoch + 1 === args.epochs;
      metrics = valDs ? validate(ema.ema, valDs, { batch: args.batch * 2, conf: args.conf, iou: args.iou, maxDet: args.max_det, loss, names: data.names, verbose: args.verbose, log }) : null;
      const fitness = metrics ? metrics.metrics.fitness : -tloss.reduce((s, v) => s + v, 0);
      if (bestFitness === null || fitness > bestFitness) {
        bestFitness = fitness;
        bestEpoch = epoch;
      }
      const r = metrics?.results;
      appendResults(csv, epoch + 1, [...tloss, r?.['metrics/precision(B)'] ?? 0, r?.['metrics/recall(B)'] ?? 0, r?.['metrics/mAP50(B)'] ?? 0, r?.['metrics/mAP50-95(B)'] ?? 0, ...(metrics?.loss ?? [0, 0, 0]), ...lrs]);
      const stop = epoch - bestEpoch >= args.patience;
      if (args.save || finalEpoch) {
        const optState = optimizer.stateDict();
        const acc: Record<string, HostTensor> = {};
        if (accum) for (const [n, g] of Object.entries(accum)) acc[`accum.${keyOf.get(n)}`] = { dtype: 'float32', shape: [...g.shape], data: Float32Array.from(g.dataSync()) };
        const tensors = { ...ema.stateDict(), ...stateWithPrefix(model.stateDict(), 'train.'), ...optState.tensors, ...acc };
        saveCheckpoint(last, tensors, meta(epoch));
        if (bestEpoch === epoch) saveCheckpoint(best, tensors, meta(epoch));
      }
      if (args.plots) await plotResults(csv, path.join(saveDir, 'results.png'));
      onFitEpochEnd?.({ epoch, batch: nb - 1, tloss, saveDir, metrics });
      if (stop) {
        log(`Stopping training early as no improvement observed in last ${args.patience} epochs. Best results observed at epoch ${bestEpoch + 1}.`);
        break;
      }
    }
  } finally {
    await prefetch?.close();
  }
  optimizer.dispose();
  if (accum) Object.values(accum).forEach((g) => g.dispose());
  log(`${args.epochs - startEpoch} epochs completed. Results saved to ${saveDir}`);
  return { saveDir, model: ema.ema, metrics, bestFitness: bestFitness ?? 0, last, best };
}

export { DEFAULT_ARGS };
