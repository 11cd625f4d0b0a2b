import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AugmentHyp } from './augment';
import type { Batch, YoloDataset } from './loader';

/** A batch request: everything {@link trainBatch} needs besides the dataset the worker holds. */
interface Job {
  id: number;
  epoch: number;
  k: number;
  batch: number;
  hyp: AugmentHyp;
  seed: number;
}

type Reply = { id: number; batch: Batch; error?: undefined } | { id: number; error: string };

// Runs in each worker: the package's own CommonJS build, so the batches are those trainBatch builds on the main thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { YoloDataset, trainBatch, epochOrder } = require(workerData.entry);
const ds = YoloDataset.fromShared(workerData.dataset);
let order = { epoch: -1, seed: 0, idx: [] };
parentPort.on('message', (job) => {
  try {
    if (order.epoch !== job.epoch || order.seed !== job.seed) order = { epoch: job.epoch, seed: job.seed, idx: epochOrder(ds.length, job.seed, job.epoch) };
    const b = trainBatch(ds, order.idx, job.k, job.batch, job.hyp, job.seed, job.epoch);
    parentPort.postMessage({ id: job.id, batch: b }, [b.images.buffer, b.batchIdx.buffer, b.cls.buffer, b.bboxes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: e instanceof Error ? e.stack || e.message : String(e) });
  }
});
`;

/** This package's CommonJS entry, which the workers load. */
function packageEntry(): string {
  const from = typeof __filename !== 'undefined' ? __filename : import.meta.url;
  return createRequire(from).resolve('@yolomods/yolov8');
}

/** ultralytics' dataloader worker count: `min(cpu count, workers)`; 0 builds batches on the main thread. */
export function loaderWorkers(requested: number): number {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return Math.max(0, Math.min(Math.floor(requested), cores));
}

/**
 * Builds training batches in worker threads ahead of the trainer (ultralytics' dataloader `workers`):
 * augmentation is single-threaded JavaScript, ~15 ms per 320 px image here, which the main thread
 * would otherwise spend between steps. Batch `k` of an epoch is exactly `trainBatch(…, k, …)`.
 */
export class BatchPrefetcher {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>();
  readonly #ahead = new Map<string, Promise<Batch>>();
  #next = 0;
  #failed: Error | null = null;

  /**
   * Starts `workers` threads, each holding `ds` (its decoded images are shared, not copied). `entry` is
   * the CommonJS module the workers load for `trainBatch` (default: this package's build).
   */
  constructor(ds: YoloDataset, workers: number, opts: { entry?: string } = {}) {
    if (workers < 1) throw new Error(`BatchPrefetcher: workers must be >= 1, got ${workers}`);
    const workerData = { entry: opts.entry ?? packageEntry(), dataset: ds.toShared() };
    this.#workers = Array.from({ length: workers }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData });
      w.on('message', (r: Reply) => this.#settle(r));
      w.on('error', (e) => this.#fail(new Error(`dataloader worker failed: ${e.message}`)));
      // Idle workers do not keep the process alive (see #hold); close() ends them.
      w.unref();
      return w;
    });
  }

  /**
   * Batch `k` of `epoch` (of `count` batches), and the next `ahead` batches of that epoch requested
   * in the background. `hyp`, `batch` and `seed` must be those of the epoch.
   */
  take(epoch: number, k: number, count: number, opts: { batch: number; hyp: AugmentHyp; seed: number; ahead?: number }): Promise<Batch> {
    const ahead = opts.ahead ?? this.#workers.length;
    const wanted = this.#request(epoch, k, opts);
    this.#ahead.delete(`${epoch}:${k}`);
    for (let j = k + 1; j <= Math.min(k + ahead, count - 1); j++) this.#request(epoch, j, opts);
    return wanted;
  }

  /** Ends the workers; requests still open are rejected. */
  async close(): Promise<void> {
    this.#fail(new Error('dataloader closed'));
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #request(epoch: number, k: number, opts: { batch: number; hyp: AugmentHyp; seed: number }): Promise<Batch> {
    const key = `${epoch}:${k}`;
    let p = this.#ahead.get(key);
    if (!p) {
      const id = this.#next++;
      const job: Job = { id, epoch, k, batch: opts.batch, hyp: opts.hyp, seed: opts.seed };
      p = new Promise<Batch>((resolve, reject) => {
        if (this.#failed) return reject(this.#failed);
        this.#pending.set(id, { resolve, reject });
        this.#hold();
        this.#workers[id % this.#workers.length]!.postMessage(job);
      });
      // A prefetched batch nobody takes must not surface as an unhandled rejection.
      p.catch(() => {});
      this.#ahead.set(key, p);
    }
    return p;
  }

  #settle(r: Reply): void {
    const waiter = this.#pending.get(r.id);
    if (!waiter) return;
    this.#pending.delete(r.id);
    this.#hold();
    if (r.error !== undefined) waiter.reject(new Error(`dataloader worker: ${r.error}`));
    else waiter.resolve(r.batch);
  }

  #fail(e: Error): void {
    this.#failed ??= e;
    for (const w of this.#pending.values()) w.reject(e);
    this.#pending.clear();
    this.#hold();
  }

  /** Workers keep the process alive exactly while a batch is outstanding (an awaited one must arrive). */
  #hold(): void {
    for (const w of this.#workers) {
      if (this.#pending.size) w.ref();
      else w.unref();
    }
  }
}
