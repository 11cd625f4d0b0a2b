import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);

/** What {@link prepareWasmThreads} decided. */
export interface WasmThreadsPlan {
  /** Threads asked for. */
  threads: number;
  /** Why the backend will run one thread despite a larger request (undefined when threads apply). */
  fallback?: string;
  /** Undoes the temporary init-time patches; call once `tf.setBackend('wasm')` has settled. */
  settle(): void;
}

/** Thread count from the option, `YOLOMODS_THREADS` (wins) or the machine's available cores. */
export function requestedThreads(option?: number): number {
  const env = process.env.YOLOMODS_THREADS;
  const raw = env !== undefined && env !== '' ? Number(env) : option ?? (os.availableParallelism?.() ?? os.cpus().length);
  if (!Number.isInteger(raw) || raw < 1) throw new Error(`wasm threads must be a positive integer, got ${env !== undefined && env !== '' ? `YOLOMODS_THREADS='${env}'` : raw}`);
  return raw;
}

const workers = new Set<{ terminate(): Promise<number> }>();
// emscripten's pool: it starts this many workers up front and only needs `Worker` later beyond it.
const EMSCRIPTEN_POOL = 8;

/**
 * Node's worker_threads cannot open the blob: URL emscripten's pthread pool asks for, nor import the
 * main script from a Blob. The shim runs tfjs' own worker source with `eval`, points its `load`
 * message at the threaded-SIMD glue on disk, and unrefs every worker so the process exits on its own.
 */
function workerShim(source: string, mainJs: string): unknown {
  const { Worker } = req('node:worker_threads') as typeof import('node:worker_threads');
  return class PthreadWorker extends Worker {
    constructor() {
      // `--input-type=module` (node -e) would make the eval'd CommonJS worker source an ES module.
      const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
      super(source.replace(/\n/g, '\\n'), { eval: true, execArgv });
      workers.add(this);
      this.once('exit', () => workers.delete(this));
      super.unref();
    }
    override postMessage(msg: unknown, transfer?: readonly never[]): void {
      const m = msg as { cmd?: string } | null;
      super.postMessage(m && m.cmd === 'load' ? { ...m, urlOrBlob: mainJs } : msg, transfer);
    }
    // emscripten refs a worker while it runs a pthread; XNNPACK's pool threads never finish, so
    // honouring it would keep Node alive after the program's last line.
    override ref(): void {}
  };
}

function locate(): { source: string; mainJs: string } | string {
  let dir: string;
  try {
    dir = path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    return '@tensorflow/tfjs-backend-wasm cannot be resolved from core';
  }
  const mainJs = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const workerJs = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
  if (!existsSync(mainJs) || !existsSync(workerJs)) return `the threaded-SIMD glue is missing under ${dir}/wasm-out`;
  const source = (req(workerJs) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
  if (typeof source !== 'string' || !source.includes('e.data.urlOrBlob') || !source.includes('importScripts')) {
    return 'the threaded-SIMD worker script is not the emscripten protocol this shim knows (tfjs-backend-wasm 4.x)';
  }
  return { source, mainJs };
}

/** True once the wasm backend has been created in this process (threads can no longer change). */
function wasmStarted(): boolean {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm !== undefined;
}

/**
 * Arranges for the next wasm backend start to run `threads` XNNPACK threads in Node: forces tfjs'
 * multithread flag (hard-coded off in Node, tfjs issue #3830), installs the Worker shim and lets the
 * thread count past tfjs' cap of half the logical cores. Falls back to one thread with a reason.
 */
export function prepareWasmThreads(threads: number): WasmThreadsPlan {
  const single = (fallback?: string): WasmThreadsPlan => {
    if (!wasmStarted()) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      tfwasm.setThreadsCount(1);
    }
    return { threads, fallback, settle() {} };
  };
  if (wasmStarted()) return { threads, fallback: threads > 1 ? 'the wasm backend had already started' : undefined, settle() {} };
  if (threads <= 1) return single();
  if (typeof SharedArrayBuffer === 'undefined') return single('SharedArrayBuffer is unavailable');
  const g = globalThis as { Worker?: unknown };
  if (g.Worker !== undefined) return single('a global Worker already exists, so the Node shim was not installed');
  const found = locate();
  if (typeof found === 'string') return single(found);
  const shim = workerShim(found.source, found.mainJs);
  // emscripten assigns `global.Worker = worker_threads.Worker` on start: keep the shim in place.
  Object.defineProperty(globalThis, 'Worker', { get: () => shim, set: () => {}, configurable: true });
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  tfwasm.setThreadsCount(threads);
  // tfjs' C++ init caps the pool at half of emscripten_num_logical_cores() (os.cpus() in Node).
  const cpus = os.cpus;
  const real = cpus.call(os);
  if (real.length < 2 * threads) os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
  return {
    threads,
    settle() {
      os.cpus = cpus;
      if (threads < EMSCRIPTEN_POOL) delete g.Worker;
    },
  };
}

/** XNNPACK threads the running wasm backend uses (1 before it starts). */
export function wasmThreads(): number {
  try {
    return tfwasm.getThreadsCount();
  } catch {
    return 1;
  }
}

/**
 * Terminates the wasm worker threads. Not needed for a clean exit (the workers are unref'd); use it
 * when a long-lived process is done with the wasm backend — it cannot run afterwards.
 */
export async function shutdownWasmThreads(): Promise<void> {
  await Promise.all([...workers].map((w) => w.terminate()));
  workers.clear();
}
