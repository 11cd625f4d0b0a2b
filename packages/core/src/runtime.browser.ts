import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import type { BackendName, InitBackendOptions } from './runtime';
import { registerWasmKernels } from './wasm/kernels';
import { requestedThreads } from './wasm/threads';
import { startWasm, wasmStartNote } from './wasm/start';

// The browser build of runtime.ts (tsup swaps it in): no node:* import, no process; at module load it
// does what the Node module does (register the wasm kernels, import the wasm backend).

registerWasmKernels();

const ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
let logged = false;
let wasmNote = '';

/** True once tfjs has created the wasm backend (its paths and threads can no longer change). */
function wasmStarted(): boolean {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm !== undefined;
}

/** Starts wasm (SIMD when the browser has it; threads when cross-origin isolated), one thread if a threaded start fails. */
async function activateWasm(options: InitBackendOptions): Promise<boolean> {
  if (!wasmStarted() && options.wasmPaths !== undefined) tfwasm.setWasmPaths(options.wasmPaths);
  const threads = requestedThreads(options.threads);
  const started = await startWasm(threads);
  const simd = started.ok && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  wasmNote = wasmStartNote(started, threads, `${simd ? 'SIMD' : 'no SIMD'}, `);
  return started.ok;
}

/** webgpu only when the page imported `@tensorflow/tfjs-backend-webgpu` (an optional peer) and an adapter exists. */
async function webGpuUsable(): Promise<boolean> {
  if (!tf.findBackendFactory('webgpu')) return false;
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu) return false;
  return !!(await gpu.requestAdapter().catch(() => null));
}

async function activate(name: BackendName, options: InitBackendOptions): Promise<boolean> {
  if (name === 'wasm') return activateWasm(options);
  if (name === 'webgpu' && !(await webGpuUsable())) return false;
  if (!tf.findBackendFactory(name)) return false;
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Chooses and activates the best backend the browser offers: `webgpu` (when the page imports
 * `@tensorflow/tfjs-backend-webgpu` and a GPU adapter exists), `webgl`, `wasm` (SIMD; threads when
 * the page is cross-origin isolated; binaries from `options.wasmPaths`), `cpu`. `options.backend`
 * forces one. Returns the name chosen.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendName> {
  tf.enableProdMode();
  const forced = options.backend;
  if (forced && !ORDER.includes(forced)) {
    throw new Error(`backend '${forced}' is not available in a browser; choose one of ${ORDER.join(', ')}`);
  }
  for (const name of forced ? [forced] : ORDER) {
    if (await activate(name, options)) {
      await tf.ready();
      if (!logged && options.log !== false) {
        logged = true;
        console.info(`yolomods: backend ${name}${forced ? ' (forced)' : ''}${name === 'wasm' ? wasmNote : ''}`);
      }
      return name;
    }
  }
  throw new Error(
    forced
      ? `backend '${forced}' could not be started in this browser${forced === 'webgpu' ? ' (import @tensorflow/tfjs-backend-webgpu and check navigator.gpu)' : forced === 'wasm' ? ' (are the tfjs wasm binaries served at options.wasmPaths?)' : ''}`
      : 'no TensorFlow.js backend could be started',
  );
}

export { tf };
