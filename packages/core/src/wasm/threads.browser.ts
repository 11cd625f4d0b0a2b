import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import type { WasmThreadsPlan } from './threads';

// The browser build of threads.ts (tsup swaps it in): tfjs starts its own pthread workers from Blobs,
// so there is nothing to shim; threads need a cross-origin isolated page (SharedArrayBuffer).

/** Thread count from the option or the browser's `navigator.hardwareConcurrency`. */
export function requestedThreads(option?: number): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  const raw = option ?? (cores && cores > 0 ? cores : 1);
  if (!Number.isInteger(raw) || raw < 1) throw new Error(`wasm threads must be a positive integer, got ${raw}`);
  return raw;
}

/** True once the wasm backend has been created in this page (threads can no longer change). */
function wasmStarted(): boolean {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm !== undefined;
}

/**
 * Arranges for the next wasm start to run `threads` XNNPACK threads: only when the page is
 * cross-origin isolated (COOP/COEP headers) — otherwise one thread, with the reason.
 */
export function prepareWasmThreads(threads: number): WasmThreadsPlan {
  if (wasmStarted()) return { threads, fallback: threads > 1 ? 'the wasm backend had already started' : undefined, settle() {} };
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (threads <= 1 || !isolated || typeof SharedArrayBuffer === 'undefined') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfwasm.setThreadsCount(1);
    return { threads, fallback: threads > 1 ? 'the page is not cross-origin isolated (serve it with COOP/COEP headers)' : undefined, settle() {} };
  }
  tfwasm.setThreadsCount(threads);
  return { threads, settle() {} };
}

/** XNNPACK threads the running wasm backend uses (1 before it starts). */
export function wasmThreads(): number {
  try {
    return tfwasm.getThreadsCount();
  } catch {
    return 1;
  }
}

/** Nothing to terminate in a browser: tfjs' workers belong to the page and end with it. */
export async function shutdownWasmThreads(): Promise<void> {}
