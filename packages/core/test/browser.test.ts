import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { initBackend, manualSeed, parseModel, tf } from '../src/index';
import { config } from './fixtures';
import { CHROMIUM, haveChromium, launchChromium, maxAbsDiff, servePage, type PageSite } from './browser-page';

// The browser build (dist/browser.js, picked by the `browser` export condition) bundled into a page,
// served cross-origin isolated, run in headless Chromium and compared with the same forward in Node.

const SEED = 7;
const IMGSZ = 64;

// The page: the same model, seed and input as forwardInNode, on the browser build of @yolomods/core.
const PAGE = `
import { initBackend, manualSeed, parseModel, tf, wasmThreads } from '@yolomods/core';
window.runForward = async (yamlText, seed, imgsz) => {
  const backend = await initBackend({ backend: 'wasm', wasmPaths: '/wasm/', log: false });
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const before = tf.memory().numTensors;
  manualSeed(seed);
  const model = parseModel(yamlText, { scale: 'n' }).eval();
  const x = tf.randomUniform([1, imgsz, imgsz, 3], 0, 1, 'float32', seed);
  const out = model.forward(x);
  const y = Array.from(await out.y.data());
  const feats = [];
  for (const f of out.feats) feats.push(...(await f.data()));
  tf.dispose([x, out.y, ...out.feats]);
  model.dispose();
  const leaked = tf.memory().numTensors - before;
  const wasmFiles = performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm')).map((n) => n.split('/').pop());
  return { backend, simd, threads: wasmThreads(), isolated: self.crossOriginIsolated, y, feats, leaked, wasmFiles };
};
window.autoBackend = async () => {
  const c = document.createElement('canvas');
  const webgl = !!(c.getContext('webgl2') || c.getContext('webgl'));
  return { chosen: await initBackend({ log: false }), webgl, hasWebgpuFactory: !!tf.findBackendFactory('webgpu') };
};
`;

async function forwardInNode(yamlText: string): Promise<{ y: number[]; feats: number[]; leaked: number }> {
  await initBackend({ backend: 'wasm', log: false });
  const before = tf.memory().numTensors;
  manualSeed(SEED);
  const model = parseModel(yamlText, { scale: 'n' }).eval();
  const x = tf.randomUniform([1, IMGSZ, IMGSZ, 3], 0, 1, 'float32', SEED) as tf.Tensor4D;
  const out = model.forward(x);
  const y = Array.from(await out.y!.data());
  const feats: number[] = [];
  for (const f of out.feats) feats.push(...(await f.data()));
  tf.dispose([x, out.y!, ...out.feats]);
  model.dispose();
  return { y, feats, leaked: tf.memory().numTensors - before };
}

if (!haveChromium) console.warn(`browser.test.ts skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

describe.skipIf(!haveChromium)('browser build in headless Chromium', () => {
  let site: PageSite;
  let browser: Browser;

  beforeAll(async () => {
    site = await servePage(PAGE);
    expect(site.ownFiles).toEqual(['dist/browser.js']);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('runs a yolov8n forward on threaded SIMD wasm equal to the Node forward', async () => {
    const yamlText = readFileSync(config('yolov8', 'yolov8.yaml'), 'utf8');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // tfjs caps XNNPACK at half of navigator.hardwareConcurrency: report 4 cores so a 2-core CI box still gets 2 threads.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setHardwareConcurrencyOverride', { hardwareConcurrency: 4 });
    await page.goto(`${site.base}/`);
    await page.waitForFunction(() => typeof (window as unknown as { runForward?: unknown }).runForward === 'function');
    const got = await page.evaluate(
      ([text, seed, imgsz]) => (window as unknown as { runForward: (t: string, s: number, i: number) => Promise<unknown> }).runForward(text, seed, imgsz),
      [yamlText, SEED, IMGSZ] as const,
    ) as { backend: string; simd: boolean; threads: number; isolated: boolean; y: number[]; feats: number[]; leaked: number; wasmFiles: string[] };
    expect(errors).toEqual([]);
    expect(got.backend).toBe('wasm');
    expect(got.simd).toBe(true);
    expect(got.isolated).toBe(true);
    // cross-origin isolated + SIMD: tfjs fetched the threaded-SIMD binary from the wasmPaths directory.
    expect(got.wasmFiles).toEqual(['tfjs-backend-wasm-threaded-simd.wasm']);
    expect(site.served).toContain('/wasm/tfjs-backend-wasm-threaded-simd.wasm');
    expect(got.threads).toBe(2);
    const want = await forwardInNode(yamlText);
    // The page frees what Node frees, and both free everything.
    expect(got.leaked).toBe(want.leaked);
    expect(want.leaked).toBe(0);
    expect(got.y).toHaveLength((IMGSZ / 8) ** 2 * (1 + 1 / 4 + 1 / 16) * 84);
    expect(got.y).toHaveLength(want.y.length);
    expect(got.feats).toHaveLength(want.feats.length);
    const dy = maxAbsDiff(got.y, want.y);
    const dfeats = maxAbsDiff(got.feats, want.feats);
    expect(dy).toBeLessThan(1e-4);
    expect(dfeats).toBeLessThan(1e-4);
    // Not a constant output: the check above would be vacuous on zeros.
    expect(Math.max(...want.feats.map(Math.abs))).toBeGreaterThan(0.1);

    const auto = await page.evaluate(() => (window as unknown as { autoBackend: () => Promise<{ chosen: string; webgl: boolean; hasWebgpuFactory: boolean }> }).autoBackend());
    // webgpu's package is not imported by the page, so automatic choice is webgl where the browser has it, else wasm.
    expect(auto.hasWebgpuFactory).toBe(false);
    expect(auto.chosen).toBe(auto.webgl ? 'webgl' : 'wasm');
    console.info(`browser: wasm ${got.threads} thread(s), files ${got.wasmFiles.join(', ')}; max |browser − node| y ${dy}, feats ${dfeats}; automatic choice ${auto.chosen}`);
    await page.close();
  });
});
