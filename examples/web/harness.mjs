// Builds the page, serves it cross-origin isolated (vite preview) and opens it in Debian's Chromium.
// Shared by test/page.test.ts and bench/page.bench.mjs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { chromium } from 'playwright-core';

/** Debian's chromium (apt); playwright-core drives it and downloads nothing. */
export const CHROMIUM = '/usr/bin/chromium';
export const root = fileURLToPath(new URL('.', import.meta.url));

/** `vite build` of the page into dist/. */
export async function buildPage() {
  await build({ root, logLevel: 'warn' });
}

/**
 * Serves dist/ and opens the page with `query` (e.g. `?backend=wasm`); waits until the model is loaded.
 * Returns the page, what the console said, and `close()`.
 */
export async function openPage(query = '', { args = [], timeout = 180_000 } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  const server = await preview({ root, preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', ...args] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const close = async () => {
    await browser.close();
    await server.close();
  };
  try {
    await page.goto(`${server.resolvedUrls.local[0]}${query}`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout });
  } catch (e) {
    await close();
    throw new Error(`page did not load: ${e.message}\n${logs.join('\n')}`);
  }
  return { page, logs, close };
}

/** Drops a picture on the page's drop zone (a real DataTransfer drop event) and waits for the detections. */
export async function dropPicture(page, bytes, name, type = 'image/jpeg', timeout = 180_000) {
  await page.evaluate(
    ({ b64, name, type }) => {
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bin], name, { type }));
      document.body.dataset.state = 'busy';
      document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { b64: Buffer.from(bytes).toString('base64'), name, type },
  );
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout });
  return page.evaluate(() => {
    const s = window.yolomods;
    return { error: s.error, backend: s.backend, detections: s.results?.toJSON() ?? [], speed: s.results?.speed, inputShape: s.results?.inputShape, summary: s.results?.summary() };
  });
}
