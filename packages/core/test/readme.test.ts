import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCase, writeSafetensors } from '../src/index';
import { config, fixture } from './fixtures';

describe('README', () => {
  it('the documented example runs exactly as written', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = /<!-- readme-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'yolomods-readme-'));
    copyFileSync(config('yolov8', 'yolov8.yaml'), join(dir, 'yolov8.yaml'));
    writeFileSync(join(dir, 'w.safetensors'), writeSafetensors(readCase(fixture('models/model_yolov8_t.safetensors')).weights));
    const core = pathToFileURL(join(__dirname, '../src/index.ts')).href;
    const script = join(dir, 'example.ts');
    const logs: unknown[] = [];
    const log = console.log;
    writeFileSync(script, code!.replace("'@yolomods/core'", `'${core}'`));
    const cwd = process.cwd();
    process.chdir(dir);
    console.log = (...a: unknown[]) => logs.push(...a);
    try {
      await import(script);
    } finally {
      console.log = log;
      process.chdir(cwd);
    }
    expect(logs[0]).toEqual({ layers: 225, parameters: 913127, gradients: 913111, gflops: expect.any(Number) });
  });
});
