import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { registerWasmKernels } from './wasm/kernels';
import { requestedThreads } from './wasm/threads';
import { startWasm, wasmStartNote } from './wasm/start';

/** Backends yolomods can run on, fastest first (`tensorflow` in Node only, `webgl` in browsers only). */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Force one backend (same as the `YOLOMODS_BACKEND` environment variable, which wins over this). */
  backend?: BackendName;
  /** Log the chosen backend (once per process). Default true. */
  log?: boolean;
  /**
   * wasm threads in Node (`YOLOMODS_THREADS` wins over this) or in a cross-origin isolated page;
   * default: the available cores. Only the first wasm start in a process (page) applies it. Falls
   * back to 1 thread, logging why.
   */
  threads?: number;
  /**
   * Browser only (Node loads the binaries from the installed package and ignores this): where the
   * tfjs wasm binaries are served — a directory URL ending in `/`, or one URL per binary — passed to
   * tfjs' `setWasmPaths` before the wasm backend first starts. Default: the page's directory.
   */
  wasmPaths?: string | Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>;
}

// wasm gradient kernels (and fixes) are registered once, before any backend starts.
registerWasmKernels();

const ORDER: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
let logged = false;
const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);

function tryRequire(name: string): boolean {
  try {
    req(name);
    return true;
  } catch {
    return false;
  }
}

let wasmNote = '';

/** Starts wasm with the requested threads (one if a threaded start fails) and notes how it went. */
async function activateWasm(threads: number): Promise<boolean> {
  const started = await startWasm(threads);
  wasmNote = wasmStartNote(started, threads);
  return started.ok;
}

async function activate(name: BackendName, options: InitBackendOptions = {}): Promise<boolean> {
  if (name === 'wasm') return activateWasm(requestedThreads(options.threads));
  if (name === 'tensorflow') {
    // The native packages are optional peers: their install downloads libtensorflow, which may fail.
    if (!tryRequire('@tensorflow/tfjs-node-gpu') && !tryRequire('@tensorflow/tfjs-node')) return false;
  }
  if (name === 'webgpu') {
    if (!(await setupWebGpu())) return false;
  }
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function setupWebGpu(): Promise<boolean> {
  try {
    const g = globalThis as { navigator?: { gpu?: unknown } };
    const installed = !g.navigator?.gpu;
    if (installed) {
      const webgpu = req('webgpu') as { create: (flags: string[]) => unknown; globals: object };
      Object.assign(globalThis, webgpu.globals);
      const gpu = webgpu.create([]);
      if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    }
    const adapter = await (g.navigator!.gpu as { requestAdapter(): Promise<unknown> }).requestAdapter();
    if (!adapter) {
      // A referenced dawn instance keeps Node alive (webgpu README, "Lifetime"): drop the one we made.
      if (installed) delete (g.navigator as { gpu?: unknown }).gpu;
      return false;
    }
    req('@tensorflow/tfjs-backend-webgpu');
    return true;
  } catch {
    return false;
  }
}

/**
 * Chooses and activates the best available backend: `tensorflow` (tfjs-node[-gpu]), `webgpu` (npm
 * `webgpu` + a GPU adapter), `wasm`, `cpu`. `YOLOMODS_BACKEND` forces one. Returns the name chosen.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendName> {
  tf.enableProdMode();
  const forced = (process.env.YOLOMODS_BACKEND as BackendName | undefined) || options.backend;
  if (forced && !ORDER.includes(forced)) {
    throw new Error(`YOLOMODS_BACKEND='${forced}' is not a backend; choose one of ${ORDER.join(', ')}`);
  }
  const candidates = forced ? [forced] : ORDER;
  for (const name of candidates) {
    if (await activate(name, options)) {
      await tf.ready();
      if (!logged && options.log !== false) {
        logged = true;
        process.stderr.write(`yolomods: backend ${name}${forced ? ' (forced)' : ''}${name === 'wasm' ? wasmNote : ''}\n`);
      }
      return name;
    }
  }
  throw new Error(
    forced
      ? `backend '${forced}' could not be started (is its package installed${forced === 'webgpu' ? ' and a GPU adapter present' : ''}?)`
      : 'no TensorFlow.js backend could be started',
  );
}

export { tf };
