import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';

/** ultralytics' public release assets (the `v8.3.0` tag holds yolov8n.pt … yolov8x.pt). */
export const DEFAULT_ASSETS_URL = 'https://github.com/ultralytics/assets/releases/download/v8.3.0';

/** Options of {@link resolveWeights}. */
export interface ResolveWeightsOptions {
  /** Base URL of the release assets (default env `YOLOMODS_ASSETS_URL`, else {@link DEFAULT_ASSETS_URL}). */
  assetsUrl?: string;
  /** Cache folder (default env `YOLOMODS_CACHE`, else `~/.cache/yolomods`). */
  cacheDir?: string;
  /** Status lines (default stderr). */
  log?: (line: string) => void;
  /** Show a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
}

/** The folder downloaded weights are kept in. */
export function weightsCacheDir(): string {
  return process.env.YOLOMODS_CACHE || path.join(homedir(), '.cache', 'yolomods');
}

/** A bare file name such as `yolov8n.pt`: no folder part, a weights extension. */
const isBareName = (spec: string) => !/[\\/]/.test(spec) && /\.(pt|safetensors)$/i.test(spec);

/**
 * A weights spec as a local path: an existing file as is; a bare name such as `yolov8n.pt` that is
 * not a local file from the cache, downloading it from the release assets first (size-checked,
 * written to `<name>.part` and renamed, so a broken download never looks like a weights file).
 */
export async function resolveWeights(spec: string, opts: ResolveWeightsOptions = {}): Promise<string> {
  if (existsSync(spec)) return spec;
  if (!isBareName(spec)) throw new Error(`weights file not found: ${spec}`);
  const dir = opts.cacheDir ?? weightsCacheDir();
  const file = path.join(dir, spec);
  if (existsSync(file)) return file;
  const base = (opts.assetsUrl ?? (process.env.YOLOMODS_ASSETS_URL || DEFAULT_ASSETS_URL)).replace(/\/+$/, '');
  await download(`${base}/${spec}`, file, opts);
  return file;
}

async function download(url: string, file: string, opts: ResolveWeightsOptions): Promise<void> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const local = `or pass a local path (e.g. weights=path/to/${path.basename(file)})`;
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new Error(`could not download ${url} (${cause}): no network? Download it elsewhere ${local}`);
  }
  if (!res.ok || !res.body) throw new Error(`could not download ${url}: HTTP ${res.status} ${res.statusText}; check the name, ${local}`);
  const expected = Number(res.headers.get('content-length') ?? NaN);
  mkdirSync(path.dirname(file), { recursive: true });
  const part = `${file}.part`;
  log(`Downloading ${url} to '${file}'...`);
  const show = opts.progress ?? process.stderr.isTTY;
  const bar = show ? new cliProgress.SingleBar({ format: `${path.basename(file)} {bar} {percentage}% {value}/{total} bytes [{duration_formatted}<{eta_formatted}]`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(Number.isFinite(expected) ? expected : 0, 0);
  const out = createWriteStream(part);
  let received = 0;
  try {
    const reader = res.body.getReader();
    let failure: Error | null = null;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        failure = e as Error;
        break;
      }
      if (chunk.done) break;
      received += chunk.value.byteLength;
      if (!out.write(chunk.value)) await new Promise<void>((r) => out.once('drain', () => r()));
      bar?.update(received);
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (failure || (Number.isFinite(expected) && received !== expected)) {
      const why = failure ? `: ${(failure as Error & { cause?: Error }).cause?.message ?? failure.message}` : '';
      throw new Error(`download of ${url} is incomplete: got ${received} of ${Number.isFinite(expected) ? expected : '?'} bytes${why}; try again, ${local}`);
    }
    renameSync(part, file);
  } catch (e) {
    out.destroy();
    rmSync(part, { force: true });
    throw e;
  } finally {
    bar?.stop();
  }
}
