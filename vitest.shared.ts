import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

/** Tests run against sources: cross-package imports resolve to each package's src/index.ts. */
export const shared = defineConfig({
  resolve: {
    alias: Object.fromEntries(
      ['core', 'dysample', 'akconv', 'dynamicconv', 'asff', 'dat', 'yolov8'].map((n) => [`@yolomods/${n}`, pkg(n)]),
    ),
  },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
    // One wasm thread in tests: runs stay deterministic and do not fight other processes for 2 cores.
    env: { YOLOMODS_THREADS: '1' },
  },
});
