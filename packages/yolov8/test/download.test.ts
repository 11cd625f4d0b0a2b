import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWeights } from '../src/index';

// A local server stands in for the release assets: never the network.
describe('resolveWeights (download into the cache)', () => {
  const body = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
  let server: Server;
  let base: string;
  let dir: string;
  let hits = 0;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'yolomods-dl-'));
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/ok.pt') {
        res.writeHead(200, { 'Content-Length': body.length });
        res.end(body);
      } else if (req.url === '/short.pt') {
        res.writeHead(200, { 'Content-Length': body.length });
        res.write(body.subarray(0, 1000), () => res.destroy());
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const opts = () => ({ assetsUrl: base, cacheDir: path.join(dir, 'cache'), log: () => {}, progress: false });

  it('downloads a bare name once, whole, and reuses the cached file', async () => {
    const f = await resolveWeights('ok.pt', opts());
    expect(f).toBe(path.join(dir, 'cache', 'ok.pt'));
    expect(readFileSync(f).equals(body)).toBe(true);
    const n = hits;
    expect(await resolveWeights('ok.pt', opts())).toBe(f);
    expect(hits).toBe(n);
    expect(readdirSync(path.join(dir, 'cache'))).toEqual(['ok.pt']);
  });

  it('a truncated body is an error naming the sizes; nothing is left in the cache', async () => {
    await expect(resolveWeights('short.pt', opts())).rejects.toThrow(new RegExp(`download of ${base}/short.pt is incomplete: got \\d+ of 50000 bytes`));
    expect(existsSync(path.join(dir, 'cache', 'short.pt'))).toBe(false);
    expect(existsSync(path.join(dir, 'cache', 'short.pt.part'))).toBe(false);
  });

  it('404 names the URL and suggests a local path', async () => {
    await expect(resolveWeights('nope.pt', opts())).rejects.toThrow(`could not download ${base}/nope.pt: HTTP 404`);
    await expect(resolveWeights('nope.pt', opts())).rejects.toThrow(/pass a local path/);
  });

  it('offline (nothing listening) names the URL and suggests a local path', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(resolveWeights('ok2.pt', { ...opts(), assetsUrl: `http://127.0.0.1:${port}` })).rejects.toThrow(new RegExp(`could not download http://127.0.0.1:${port}/ok2.pt .*no network\\?.*pass a local path`));
  });

  it('a local file is used as is; a missing path (not a bare name) is not fetched', async () => {
    const local = path.join(dir, 'mine.safetensors');
    writeFileSync(local, 'x');
    expect(await resolveWeights(local, opts())).toBe(local);
    await expect(resolveWeights(path.join(dir, 'missing.pt'), opts())).rejects.toThrow(`weights file not found: ${path.join(dir, 'missing.pt')}`);
  });
});
