// Pack-and-install test: what a user gets from the registry, without the registry.
//
// 1. `pnpm pack` @yolomods/core, @yolomods/yolov8 and @yolomods/dysample (built dist/ must exist; turbo's
//    `test` → `^build` sees to it). pnpm pack rewrites `workspace:^` into real ranges, as `pnpm publish` does.
// 2. Checks every published package's tarball: dist + configs + README only — no tests, fixtures, weights
//    (the COCO weights in fixtures/real are AGPL-3.0), sources, benches or source maps.
// 3. Installs only those three tarballs into a fresh npm project under os.tmpdir(), third-party deps from
//    the npm registry (npm's cache first), and runs checks there in a separate `node` process:
//    yolov8n-DySample.yaml builds (plugin discovered in the project's node_modules) and predicts on an
//    image; yolov8n-AKConv.yaml fails naming @yolomods/akconv; the CommonJS entries load too.
//
// `npm install --ignore-scripts`: none of the packages needs an install script (the workspace denies them
// too, see pnpm-workspace.yaml). sharp 0.34 takes its binary from the prebuilt @img/sharp-<platform>
// packages (plain optional dependencies, no script); the optional onnxruntime-node's postinstall may
// download CUDA binaries from outside the npm registry, and protobufjs/core-js only print messages.
//
// KEEP=1 keeps the temp folder; PACK_INSTALL_DIR=<dir> uses (and keeps) that folder instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Installed and used in the fresh project; every published package is packed and its contents checked.
const PACKAGES = ['core', 'yolov8', 'dysample'];
const PUBLISHED = readdirSync(path.join(root, 'packages')).filter((p) => {
  const f = path.join(root, 'packages', p, 'package.json');
  return existsSync(f) && !JSON.parse(readFileSync(f, 'utf8')).private;
});
const t0 = Date.now();
const step = (msg) => console.log(`[pack-install ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

const keep = Boolean(process.env.KEEP || process.env.PACK_INSTALL_DIR);
const work = process.env.PACK_INSTALL_DIR ? path.resolve(process.env.PACK_INSTALL_DIR) : mkdtempSync(path.join(tmpdir(), 'yolomods-pack-install-'));
assert(!path.relative(root, work).match(/^[^.]/), `the project must be outside the workspace (${work})`);
const tarDir = path.join(work, 'tarballs');
const project = path.join(work, 'project');
rmSync(tarDir, { recursive: true, force: true });
rmSync(project, { recursive: true, force: true });
mkdirSync(tarDir, { recursive: true });
mkdirSync(project, { recursive: true });

// pnpm as invoked by `pnpm test` (turbo keeps npm_execpath), else the pinned one.
const pnpm = process.env.npm_execpath && /pnpm/.test(path.basename(process.env.npm_execpath))
  ? [process.execPath, process.env.npm_execpath]
  : ['npx', '-y', 'pnpm@10.34.9'];
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });

function main() {
  try {
    // --- 1. pack ---
    const tarballs = {};
    for (const p of PUBLISHED) {
      const dir = path.join(root, 'packages', p);
      assert(existsSync(path.join(dir, 'dist', 'index.js')), `packages/${p}/dist is missing: build first (turbo run build)`);
      const before = new Set(readdirSync(tarDir));
      run(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', tarDir], { cwd: dir });
      const made = readdirSync(tarDir).filter((f) => !before.has(f) && f.endsWith('.tgz'));
      assert.equal(made.length, 1, `pnpm pack in packages/${p} made ${made.join(', ') || 'nothing'}`);
      tarballs[p] = path.join(tarDir, made[0]);
    }
    step(`packed ${Object.values(tarballs).map((t) => path.basename(t)).join(', ')}`);

    // --- 2. what the tarballs hold ---
    const FORBIDDEN = [
      [/(^|\/)(tests?|__tests__|fixtures|src|bench|reference|coverage|\.turbo)\//, 'tests, fixtures, sources or benches'],
      [/\.map$/, 'a source map'],
      [/\.(test|spec|bench)\.[cm]?[jt]s$/, 'a test file'],
      [/(^|\/)(tsconfig[^/]*\.json|tsup\.config\.[cm]?[jt]s|vitest\.config\.[cm]?[jt]s|\.changeset)/, 'build configuration'],
      [/\.tgz$/, 'a tarball'],
      // The COCO weights in fixtures/real are AGPL-3.0 (fixtures/real/README.md): no weight file may ship.
      [/\.(safetensors|pt|pth|onnx|bin)$/, 'model weights'],
    ];
    for (const [p, tgz] of Object.entries(tarballs)) {
      const files = run('tar', ['-tzf', tgz]).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
      for (const f of files) for (const [re, what] of FORBIDDEN) assert(!re.test(f), `${path.basename(tgz)} contains ${what}: ${f}`);
      for (const f of ['package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
        assert(files.includes(f), `${path.basename(tgz)} lacks ${f}`);
      }
      // The npm page: a package's README must ship (a package without one yet only gets a warning).
      if (existsSync(path.join(root, 'packages', p, 'README.md'))) assert(files.includes('README.md'), `${path.basename(tgz)} lacks README.md`);
      else console.warn(`[pack-install] warning: packages/${p} has no README.md`);
      const top = new Set(files.map((f) => f.split('/')[0]));
      for (const t of top) assert(['dist', 'configs', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(t), `${path.basename(tgz)}: unexpected top-level entry ${t}`);
      const pj = run('tar', ['-xzOf', tgz, 'package/package.json']);
      assert(!pj.includes('workspace:'), `${path.basename(tgz)}: package.json still has a workspace: range`);
      if (p !== 'core') assert.match(pj, /"@yolomods\/core": "\^\d+\.\d+\.\d+"/, `${path.basename(tgz)}: no real range on @yolomods/core`);
      step(`${path.basename(tgz)}: ${files.length} files, none of tests/fixtures/src/maps`);
    }

    // --- 3. a fresh project with only those tarballs ---
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'yolomods-pack-install-check', version: '0.0.0', private: true, type: 'module' }, null, 2));
    const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
    // The workspace's pnpm sets npm_config_* for its child processes: keep those away from npm.
    for (const k of Object.keys(env)) if (/^npm_config_(user_agent|node_gyp|frozen_lockfile)$/i.test(k) || /^pnpm_/i.test(k)) delete env[k];
    const tInstall = Date.now();
    run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', ...PACKAGES.map((p) => tarballs[p])], { cwd: project, env });
    step(`npm install of the 3 tarballs done in ${((Date.now() - tInstall) / 1000).toFixed(1)}s`);
    for (const p of PACKAGES) assert(existsSync(path.join(project, 'node_modules', '@yolomods', p, 'dist', 'index.js')), `@yolomods/${p} not installed`);
    for (const p of ['akconv', 'dynamicconv', 'asff', 'dat']) assert(!existsSync(path.join(project, 'node_modules', '@yolomods', p)), `@yolomods/${p} got installed`);

    copyFileSync(path.join(root, 'fixtures', 'images', 'bus.jpg'), path.join(project, 'bus.jpg'));
    mkdirSync(path.join(project, 'configs'));
    copyFileSync(path.join(root, 'packages', 'akconv', 'configs', 'yolov8-AKConv.yaml'), path.join(project, 'configs', 'yolov8n-AKConv.yaml'));
    // The PyTorch reference counts for yolov8n-DySample (nc 80), to compare the installed build with.
    const summary = JSON.parse(readFileSync(path.join(root, 'fixtures', 'model-summary.json'), 'utf8'))['yolov8-DySample'].n;
    writeFileSync(path.join(project, 'expected.json'), JSON.stringify({ layers: summary.layers, parameters: summary.parameters, gradients: summary.gradients }));
    writeFileSync(path.join(project, 'check.mjs'), CHECK_ESM);
    writeFileSync(path.join(project, 'check.cjs'), CHECK_CJS);
    const childEnv = { ...env, YOLOMODS_THREADS: '1' };
    delete childEnv.YOLOMODS_BACKEND;
    delete childEnv.NODE_OPTIONS;
    const out = run(process.execPath, ['check.mjs'], { cwd: project, env: childEnv });
    process.stdout.write(out.trimEnd().replace(/^/gm, '  esm> ') + '\n');
    const cjs = run(process.execPath, ['check.cjs'], { cwd: project, env: childEnv });
    process.stdout.write(cjs.trimEnd().replace(/^/gm, '  cjs> ') + '\n');
    step('PASS');
  } catch (e) {
    if (e.stdout || e.stderr) console.error(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    console.error(`[pack-install] FAIL: ${e.message}${keep ? '' : ' (KEEP=1 keeps the project)'}`);
    process.exitCode = 1;
  } finally {
    if (keep) console.log(`[pack-install] kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

// Runs inside the installed project: plain ESM, resolving only from its node_modules.
const CHECK_ESM = String.raw`import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initBackend, registry } from '@yolomods/core';
import { YOLO, Results, discoverPlugins } from '@yolomods/yolov8';

await initBackend({ backend: 'wasm', log: false });

// Plugin discovery from this project's node_modules: only dysample is installed.
const yolo = await YOLO.create({ model: 'yolov8n-DySample.yaml' });
const plugins = (await discoverPlugins()).map((p) => p.name);
assert.deepEqual(plugins, ['@yolomods/dysample']);
assert.equal(registry.get('DySample')?.package, '@yolomods/dysample');
const types = yolo.model.layers.map((l) => l.type);
assert.equal(types.filter((t) => t === 'DySample').length, 2, types.join(','));
const info = yolo.info({ imgsz: 640 });
console.log(info.summary);
assert.match(info.summary, /^yolov8n-DySample summary: /);
const expected = JSON.parse(readFileSync('expected.json', 'utf8'));
assert.deepEqual({ layers: info.layers, parameters: info.parameters, gradients: info.gradients }, expected, 'counts equal the PyTorch reference');

const [r, ...rest] = await yolo.predict('bus.jpg', { imgsz: 320 });
assert.equal(rest.length, 0);
assert(r instanceof Results, 'predict returns Results');
assert.deepEqual(r.origShape, [1080, 810]);
assert.equal(r.boxes.xyxy.length, r.boxes.conf.length);
assert(Number.isFinite(r.speed.inference));
console.log('predict bus.jpg: ' + r.boxes.conf.length + ' boxes (random weights), ' + r.speed.inference.toFixed(0) + ' ms inference');
yolo.dispose();

// AKConv is not installed: its bundled name and its YAML both fail naming the package.
await assert.rejects(YOLO.create({ model: 'yolov8n-AKConv.yaml' }), (e) => {
  console.log('yolov8n-AKConv.yaml -> ' + e.message);
  return /@yolomods\/akconv/.test(e.message);
});
await assert.rejects(YOLO.create({ model: 'configs/yolov8n-AKConv.yaml' }), (e) => {
  console.log('configs/yolov8n-AKConv.yaml -> ' + e.message);
  return /unknown module 'AKConv'/.test(e.message) && /@yolomods\/akconv/.test(e.message);
});
console.log('ok');
`;

// The CommonJS entries (exports.require) load and share one registry.
const CHECK_CJS = String.raw`const assert = require('node:assert/strict');
const core = require('@yolomods/core');
const { YOLO } = require('@yolomods/yolov8');
const { dysample, configsDir } = require('@yolomods/dysample');
assert.equal(typeof YOLO.create, 'function');
assert.equal(typeof dysample, 'function');
assert.equal(core.registry.get('DySample')?.package, '@yolomods/dysample');
assert(require('node:fs').existsSync(require('node:path').join(configsDir, 'yolov8-DySample.yaml')));
console.log('ok');
`;

main();
