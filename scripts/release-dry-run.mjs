// Release dry run: what `changeset version` + `pnpm publish -r` would do, without touching this tree.
//
// 1. Copies the working tree (git's tracked and untracked-but-not-ignored files, plus each publishable
//    package's built dist/) into a temp folder outside the workspace.
// 2. Runs `changeset version` there and checks the outcome: every changeset consumed, every package a
//    changeset names bumped with a CHANGELOG.md entry, versions valid semver, internal ranges satisfied.
// 3. Runs `pnpm publish -r --dry-run --no-git-checks` there, so the versioned packages are packed with
//    their workspace: ranges rewritten as the registry would get them (nothing is uploaded), and checks
//    that every public package was in it at its new version.
// 4. Checks that this tree's manifests, changelogs and changesets did not change.
//
// Needs the packages built (dist/) — `pnpm test` runs it after turbo's build. KEEP=1 keeps the copy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, copyFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const root = fileURLToPath(new URL('../', import.meta.url));
const t0 = Date.now();
const step = (msg) => console.log(`[release:dry ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
const pnpm = process.env.npm_execpath && /pnpm/.test(path.basename(process.env.npm_execpath))
  ? [process.execPath, process.env.npm_execpath]
  : ['npx', '-y', 'pnpm@10.34.9'];
const changesetBin = path.join(path.dirname(createRequire(path.join(root, 'package.json')).resolve('@changesets/cli/package.json')), 'bin.js');
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));

/** Workspace packages (from pnpm-workspace.yaml's `packages/*` and `examples/*`) with their package.json. */
function workspacePackages(base) {
  const out = [];
  for (const group of ['packages', 'examples']) {
    const d = path.join(base, group);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d).sort()) {
      const pj = path.join(d, name, 'package.json');
      if (existsSync(pj)) out.push({ dir: `${group}/${name}`, pkg: readJson(pj) });
    }
  }
  return out;
}

/** `{ name: bump }` from the changeset files' front matter. */
function changesetBumps(base) {
  const bumps = {};
  const dir = path.join(base, '.changeset');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const fm = /^---\n([\s\S]*?)\n---/.exec(readFileSync(path.join(dir, f), 'utf8'))?.[1];
    assert(fm !== undefined, `.changeset/${f}: no front matter`);
    for (const line of fm.split('\n').filter((l) => l.trim())) {
      const m = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line);
      assert(m, `.changeset/${f}: cannot read '${line}'`);
      const order = ['patch', 'minor', 'major'];
      if (order.indexOf(m[2]) >= order.indexOf(bumps[m[1]] ?? 'patch')) bumps[m[1]] = m[2];
    }
  }
  return bumps;
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;
const compare = (a, b) => {
  const [x, y] = [SEMVER.exec(a).slice(1, 4).map(Number), SEMVER.exec(b).slice(1, 4).map(Number)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};
function bumped(v, bump) {
  const [a, b, c] = SEMVER.exec(v).slice(1, 4).map(Number);
  return bump === 'major' ? `${a + 1}.0.0` : bump === 'minor' ? `${a}.${b + 1}.0` : `${a}.${b}.${c + 1}`;
}

const keep = Boolean(process.env.KEEP);
const copy = mkdtempSync(path.join(tmpdir(), 'yolomods-release-dry-'));
// What `changeset version` would rewrite here: manifests, changelogs, changesets.
const watched = () => {
  const files = ['package.json', ...readdirSync(path.join(root, '.changeset')).map((f) => `.changeset/${f}`)];
  for (const p of workspacePackages(root)) files.push(`${p.dir}/package.json`, `${p.dir}/CHANGELOG.md`);
  return Object.fromEntries(files.map((f) => [f, existsSync(path.join(root, f)) ? readFileSync(path.join(root, f), 'utf8') : null]));
};
const watchedBefore = watched();
try {
  // --- 1. a throwaway copy of the working tree ---
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root }).split('\0').filter(Boolean);
  let n = 0;
  for (const f of files) {
    const src = path.join(root, f);
    if (!existsSync(src) || !statSync(src).isFile()) continue; // deleted in the working tree
    mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    copyFileSync(src, path.join(copy, f));
    n++;
  }
  const before = workspacePackages(copy);
  const publishable = before.filter((p) => !p.pkg.private);
  for (const p of publishable) {
    const dist = path.join(root, p.dir, 'dist');
    assert(existsSync(dist), `${p.dir}/dist is missing: build first (turbo run build)`);
    cpSync(dist, path.join(copy, p.dir, 'dist'), { recursive: true });
  }
  step(`copied ${n} files and ${publishable.length} dist folders to ${copy}`);

  // --- 2. changeset version ---
  const bumps = changesetBumps(copy);
  step(`changesets: ${Object.entries(bumps).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  for (const name of Object.keys(bumps)) assert(before.some((p) => p.pkg.name === name), `a changeset names ${name}, which is not a workspace package`);
  const out = run(process.execPath, [changesetBin, 'version'], { cwd: copy, env: { ...process.env, CI: '1' } });
  if (process.env.VERBOSE) process.stdout.write(out);
  const after = new Map(workspacePackages(copy).map((p) => [p.pkg.name, p]));
  const left = readdirSync(path.join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  assert.deepEqual(left, [], `changeset version left ${left.join(', ')}`);
  const plan = [];
  const beyond = [];
  for (const p of before) {
    const a = after.get(p.pkg.name);
    assert(a, `${p.pkg.name} disappeared`);
    const was = p.pkg.version;
    const now = a.pkg.version;
    if (now !== undefined) assert.match(now, SEMVER, `${p.pkg.name}: version ${now}`);
    if (bumps[p.pkg.name]) {
      const own = bumped(was, bumps[p.pkg.name]);
      assert(compare(now, own) >= 0, `${p.pkg.name}: ${was} + ${bumps[p.pkg.name]} should give at least ${own}, got ${now}`);
      // More than its own changesets ask for: changesets bumps a package further when a dependency's release
      // requires it (a peer dependency's minor or major release makes every peer dependent major).
      if (now !== own) beyond.push(`${p.pkg.name} ${was} → ${now} (its changesets: ${bumps[p.pkg.name]} → ${own})`);
      const log = readFileSync(path.join(copy, p.dir, 'CHANGELOG.md'), 'utf8');
      assert(log.includes(`## ${now}`), `${p.dir}/CHANGELOG.md has no '## ${now}' section`);
    } else if (was !== now && !p.pkg.private) beyond.push(`${p.pkg.name} ${was} → ${now} (no changeset of its own)`);
    if (was !== now) plan.push(`${p.pkg.name} ${was ?? '(none)'} → ${now}`);
  }
  // Internal ranges still hold after the bumps (workspace: ranges are rewritten on publish).
  for (const a of after.values()) {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(a.pkg[field] ?? {})) {
        const d = after.get(dep);
        if (!d || range.startsWith('workspace:')) continue;
        assert(semver.validRange(range), `${a.pkg.name} ${field}.${dep}: '${range}' is not a semver range`);
        const ok = semver.satisfies(d.pkg.version, range);
        assert(ok, `${a.pkg.name} ${field}.${dep}: ${range} does not take ${dep}@${d.pkg.version}`);
      }
    }
  }
  step(`changeset version: ${plan.join(', ') || 'nothing to release'}`);
  if (beyond.length) console.warn(`[release:dry] note: bumped beyond their own changesets by dependency propagation:\n  ${beyond.join('\n  ')}`);

  // --- 3. pnpm publish -r --dry-run ---
  // pnpm resolves workspace: ranges from the linked packages in node_modules: link them as an install
  // would (only those links; the copy has no third-party node_modules and publishing needs none).
  const dirOf = new Map([...after.values()].map((p) => [p.pkg.name, p.dir]));
  for (const a of after.values()) {
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(a.pkg[field] ?? {})) {
        if (!range.startsWith('workspace:') || !dirOf.has(dep)) continue;
        const link = path.join(copy, a.dir, 'node_modules', dep);
        if (existsSync(link)) continue;
        mkdirSync(path.dirname(link), { recursive: true });
        symlinkSync(path.relative(path.dirname(link), path.join(copy, dirOf.get(dep))), link, 'dir');
      }
    }
  }
  const pub = run(pnpm[0], [...pnpm.slice(1), 'publish', '-r', '--dry-run', '--no-git-checks', '--report-summary'], { cwd: copy, env: { ...process.env, npm_config_loglevel: 'warn' } });
  if (process.env.VERBOSE) process.stdout.write(pub);
  const summaryFile = path.join(copy, 'pnpm-publish-summary.json');
  const published = existsSync(summaryFile) ? readJson(summaryFile).publishedPackages : [];
  for (const p of publishable) {
    const now = after.get(p.pkg.name).pkg.version;
    assert(published.some((x) => x.name === p.pkg.name && x.version === now), `pnpm publish -r --dry-run did not include ${p.pkg.name}@${now}`);
  }
  for (const x of published) assert(!after.get(x.name)?.pkg.private, `private package ${x.name} would be published`);
  step(`pnpm publish -r --dry-run: ${published.map((x) => `${x.name}@${x.version}`).join(', ')}`);

  // --- 4. this tree untouched ---
  const watchedAfter = watched();
  for (const [f, v] of Object.entries(watchedBefore)) assert.equal(watchedAfter[f], v, `${f} changed during the dry run`);
  step('PASS (working tree untouched)');
} catch (e) {
  if (e.stdout || e.stderr) console.error(`${e.stdout ?? ''}${e.stderr ?? ''}`);
  console.error(`[release:dry] FAIL: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`[release:dry] kept ${copy}`);
  else rmSync(copy, { recursive: true, force: true });
}
