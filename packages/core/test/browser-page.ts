import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

// What the browser tests share: the page bundle (the browser build of @yolomods/core, resolved as a
// user's project resolves it), a cross-origin isolated server for it, and Debian's Chromium.

/** Debian's Chromium (`apt-get install chromium`); playwright-core drives it and downloads nothing. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether {@link CHROMIUM} exists (the browser tests skip, with a warning, where it does not). */
export const haveChromium = existsSync(CHROMIUM);

const here = path.dirname(fileURLToPath(import.meta.url));
/** packages/core. */
export const pkgDir = path.resolve(here, '..');
const wasmDir = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');

/** A bundled page served on 127.0.0.1 with COOP/COEP (so `crossOriginIsolated` and wasm threads). */
export interface PageSite {
  /** `http://127.0.0.1:<port>`; the page is at `${base}/`. */
  base: string;
  /** Every path requested so far, in order. */
  served: string[];
  /** Files of packages/core (relative to it, outside node_modules) that went into the bundle. */
  ownFiles: string[];
  /** Stops the server and removes the bundle's temporary folder. */
  close(): Promise<void>;
}

/**
 * Bundles the ES module `source` for the browser with esbuild (the `browser` condition; `@yolomods/core`
 * resolves through packages/core/package.json's exports, other bare imports from packages/core's
 * node_modules) and serves it at `/page.js` behind `/`, with the tfjs wasm binaries under `/wasm/`.
 */
export async function servePage(source: string): Promise<PageSite> {
  if (!existsSync(path.join(pkgDir, 'dist/browser.js'))) throw new Error('packages/core/dist/browser.js is missing: run `pnpm build` first');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'yolomods-browser-'));
  try {
    const entry = path.join(tmp, 'page.js');
    writeFileSync(entry, source);
    mkdirSync(path.join(tmp, 'node_modules/@yolomods'), { recursive: true });
    symlinkSync(pkgDir, path.join(tmp, 'node_modules/@yolomods/core'), 'dir');
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      conditions: ['browser'],
      target: 'es2022',
      logLevel: 'silent',
      metafile: true,
      nodePaths: [path.join(pkgDir, 'node_modules')],
    });
    const bundle = result.outputFiles[0]!.text;
    const ownFiles = Object.keys(result.metafile!.inputs)
      .map((f) => path.resolve(f))
      .filter((f) => f.startsWith(pkgDir + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`) && !f.includes('(disabled)'))
      .map((f) => path.relative(pkgDir, f));
    const served: string[] = [];
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0]!;
      served.push(url);
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      if (url === '/') {
        res.setHeader('Content-Type', 'text/html');
        res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
      } else if (url === '/page.js') {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(bundle);
      } else if (/^\/wasm\/tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm$/.test(url)) {
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(path.join(wasmDir, url.slice('/wasm/'.length))));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      base,
      served,
      ownFiles,
      close: async () => {
        await new Promise((resolve) => server.close(resolve));
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Headless Chromium (`--no-sandbox --headless=new` plus `args`). */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new', ...args] });
}

/** Largest |a[i] − b[i]|; throws when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
