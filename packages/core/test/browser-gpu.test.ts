import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import * as core from '../src/index';
import { CHROMIUM, haveChromium, launchChromium, maxAbsDiff, servePage, type PageSite } from './browser-page';
import { convSmoke, type ConvSmokeResult } from './conv-smoke';

// The GPU backends of the browser build: a conv smoke test (test/conv-smoke.ts, the same code in the
// page and in Node) on webgl and on webgpu in headless Chromium, against Node's wasm run, and the
// automatic backend choice of a page that imports @tensorflow/tfjs-backend-webgpu.
//
// Chromium 156 (Debian) headless: WebGL 2 is ANGLE on SwiftShader's Vulkan without any flag;
// `--enable-unsafe-webgpu` alone gives a WebGPU adapter (google / swiftshader) — the Vulkan /
// --use-webgpu-adapter=swiftshader flags change nothing here. Without it `requestAdapter()` is null.

const SEED = 11;
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];
const smokeFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'conv-smoke.ts');

const PAGE = `
import * as core from '@yolomods/core';
import '@tensorflow/tfjs-backend-webgpu';
import { convSmoke } from ${JSON.stringify(smokeFile)};
const { initBackend, tf } = core;
window.probe = async () => {
  const c = document.createElement('canvas').getContext('webgl2');
  const info = c && c.getExtension('WEBGL_debug_renderer_info');
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  return {
    webgl: c ? String(c.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : c.RENDERER)) : null,
    navigatorGpu: !!navigator.gpu,
    adapter: adapter ? [adapter.info?.vendor, adapter.info?.architecture].join(' / ') : null,
    webgpuFactory: !!tf.findBackendFactory('webgpu'),
  };
};
window.auto = () => initBackend({ log: false, wasmPaths: '/wasm/' });
window.smoke = async (backend, seed) => {
  const chosen = await initBackend({ backend, log: false, wasmPaths: '/wasm/' });
  const flags = backend === 'webgl'
    ? { version: tf.env().getNumber('WEBGL_VERSION'), float32: tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE'), float32Enabled: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') }
    : {};
  return { chosen, active: tf.getBackend(), flags, ...(await convSmoke(core, seed)) };
};
`;

interface Probe { webgl: string | null; navigatorGpu: boolean; adapter: string | null; webgpuFactory: boolean }
interface Smoke extends ConvSmokeResult { chosen: string; active: string; flags: { version?: number; float32?: boolean; float32Enabled?: boolean } }
type PageApi = { probe(): Promise<Probe>; auto(): Promise<string>; smoke(backend: string, seed: number): Promise<Smoke> };

/** A fresh page of `site` in `browser`, its page errors collected into `errors`. */
async function openPage(browser: Browser, site: PageSite, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.base}/`);
  await page.waitForFunction(() => typeof (window as unknown as { smoke?: unknown }).smoke === 'function');
  return page;
}

const call = <K extends keyof PageApi>(page: Page, name: K, ...args: Parameters<PageApi[K]>): ReturnType<PageApi[K]> =>
  page.evaluate(([n, a]) => (window as unknown as Record<string, (...x: unknown[]) => unknown>)[n as string]!(...(a as unknown[])), [name, args] as const) as ReturnType<PageApi[K]>;

/** max |got − want| / max |want| over the eval and the train outputs (throws when the shapes differ). */
function relErr(got: ConvSmokeResult, want: ConvSmokeResult): { evalRel: number; trainRel: number } {
  expect(got.shape).toEqual(want.shape);
  const scale = (a: number[]): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return { evalRel: maxAbsDiff(got.evalOut, want.evalOut) / scale(want.evalOut), trainRel: maxAbsDiff(got.trainOut, want.trainOut) / scale(want.trainOut) };
}

if (!haveChromium) console.warn(`browser-gpu.test.ts skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

describe.skipIf(!haveChromium)('browser build on webgl and webgpu in headless Chromium', () => {
  let site: PageSite;
  let browser: Browser;
  let want: ConvSmokeResult;
  let probe: Probe;

  beforeAll(async () => {
    site = await servePage(PAGE);
    // The page runs the browser build plus the shared smoke code, nothing else of core.
    expect(site.ownFiles.sort()).toEqual(['dist/browser.js', 'test/conv-smoke.ts']);
    browser = await launchChromium(WEBGPU_FLAGS);
    await core.initBackend({ backend: 'wasm', log: false });
    want = await convSmoke(core, SEED);
    expect(want.leaked).toBe(0);
    expect(want.shape).toEqual([2, 16, 16, 8]);
    // Not constant outputs, and eval and train BatchNorm really differ: the comparisons below could fail.
    expect(Math.max(...want.evalOut.map(Math.abs))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(want.evalOut, want.trainOut)).toBeGreaterThan(0.1);
    const errors: string[] = [];
    const page = await openPage(browser, site, errors);
    probe = await call(page, 'probe');
    await page.close();
    expect(errors).toEqual([]);
    console.info(`browser-gpu: webgl renderer ${probe.webgl}; webgpu adapter ${probe.adapter ?? 'none'} (flags ${WEBGPU_FLAGS.join(' ')})`);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('initBackend() picks webgpu when its package is imported and an adapter exists, else webgl', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, site, errors);
    const chosen = await call(page, 'auto');
    expect(errors).toEqual([]);
    expect(probe.webgpuFactory).toBe(true);
    expect(chosen).toBe(probe.adapter ? 'webgpu' : probe.webgl ? 'webgl' : 'wasm');
    console.info(`browser-gpu: automatic choice with [${WEBGPU_FLAGS.join(" ")}]: ${chosen}`);
    await page.close();
  });

  it('initBackend() falls back to webgl when navigator.gpu gives no adapter (no --enable-unsafe-webgpu)', async () => {
    const plain = await launchChromium();
    try {
      const errors: string[] = [];
      const page = await openPage(plain, site, errors);
      const p = await call(page, 'probe');
      const chosen = await call(page, 'auto');
      expect(errors).toEqual([]);
      expect(p.webgpuFactory).toBe(p.navigatorGpu);
      expect(chosen).toBe(p.adapter ? 'webgpu' : p.webgl ? 'webgl' : 'wasm');
      console.info(`browser-gpu: automatic choice without the flag: ${chosen} (adapter ${p.adapter ?? 'none'})`);
    } finally {
      await plain.close();
    }
  });

  /** Runs the smoke block on `backend` in a fresh page; checks what every GPU backend must (no errors, the backend really ran, on the GPU, no leak). */
  async function smokeOn(backend: 'webgl' | 'webgpu') {
    const errors: string[] = [];
    const page = await openPage(browser, site, errors);
    const got = await call(page, 'smoke', backend, SEED);
    await page.close();
    expect(errors).toEqual([]);
    expect(got.chosen).toBe(backend);
    expect(got.active).toBe(backend);
    // The block's tensors lived on the GPU (not forwarded to the CPU backend).
    expect(got.gpuBytes).toBeGreaterThan(0);
    expect(got.leaked).toBe(0);
    return { got, ...relErr(got, want) };
  }

  it('webgl: a Conv/DWConv/grouped-Conv block (BatchNorm eval and train, SiLU) equals Node wasm', async (ctx) => {
    ctx.skip(probe.webgl === null, 'this headless Chromium has no WebGL 2 context');
    const { got, evalRel, trainRel } = await smokeOn('webgl');
    // With float32 render targets (WEBGL_RENDER_FLOAT32_CAPABLE, as SwiftShader has) the shaders
    // compute in IEEE float32: only summation order and exp/rsqrt rounding differ from wasm (2e-7 and
    // 4e-7 relative here). Float16 textures (a GPU without float32 render targets) keep 11 significant
    // bits per stored intermediate: with WEBGL_FORCE_F16_TEXTURES this block measured 9e-4 (eval) and
    // 2.5e-3 (train) relative, so 2e-2 there.
    const tol = got.flags.float32Enabled ? 1e-4 : 2e-2;
    console.info(`browser-gpu: webgl ${JSON.stringify(got.flags)}: max rel |page − node| eval ${evalRel.toExponential(2)}, train ${trainRel.toExponential(2)} (tolerance ${tol}; ${got.gpuBytes} bytes on the GPU)`);
    expect(evalRel).toBeLessThan(tol);
    expect(trainRel).toBeLessThan(tol);
  });

  it('webgpu: the same block equals Node wasm', async (ctx) => {
    ctx.skip(probe.adapter === null, `no WebGPU adapter in this headless Chromium (navigator.gpu ${probe.navigatorGpu ? 'gave null' : 'is absent'} with flags [${WEBGPU_FLAGS.join(' ')}])`);
    const { got, evalRel, trainRel } = await smokeOn('webgpu');
    // WebGPU storage buffers are float32: as webgl with float32 targets.
    const tol = 1e-4;
    console.info(`browser-gpu: webgpu (${probe.adapter}): max rel |page − node| eval ${evalRel.toExponential(2)}, train ${trainRel.toExponential(2)} (tolerance ${tol}; ${got.gpuBytes} bytes on the GPU)`);
    expect(evalRel).toBeLessThan(tol);
    expect(trainRel).toBeLessThan(tol);
  });
});
