import * as tf from '@tensorflow/tfjs';
import { prepareWasmThreads, wasmThreads } from './threads';

/** How a wasm start went: whether it runs, with how many threads, and why not the requested count. */
export interface WasmStart {
  /** The wasm backend is active. */
  ok: boolean;
  /** Threads tfjs started. */
  threads: number;
  /** Why `threads` differs from the request (undefined when it does not). */
  why?: string;
}

/**
 * Starts the wasm backend with `threads`; if a threaded start fails, starts it again with one.
 * Node and the browser share this; each platform's `./threads` decides what a thread plan is.
 */
export async function startWasm(threads: number): Promise<WasmStart> {
  const start = async (n: number) => {
    const plan = prepareWasmThreads(n);
    try {
      return { plan, ok: (await tf.setBackend('wasm')) && tf.getBackend() === 'wasm' };
    } catch {
      return { plan, ok: false };
    } finally {
      plan.settle();
    }
  };
  let { plan, ok } = await start(threads);
  let why = plan.fallback;
  if (!ok && threads > 1 && !why) {
    why = 'the threaded-SIMD module failed to start';
    ({ ok } = await start(1));
  }
  const got = ok ? wasmThreads() : 1;
  return { ok, threads: got, ...(got === threads ? {} : { why: why ?? `tfjs started ${got}` }) };
}

/** ` (2 threads)` / ` (1 thread; 2 requested, why)` for the backend line; `prefix` goes first inside. */
export function wasmStartNote(s: WasmStart, requested: number, prefix = ''): string {
  return ` (${prefix}${s.threads} thread${s.threads === 1 ? '' : 's'}${s.why ? `; ${requested} requested, ${s.why}` : ''})`;
}
