import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registry as sharedRegistry, type Plugin, type Registry } from '@yolomods/core';

/** A yolomods plugin package found and loaded by {@link discoverPlugins}. */
export interface InstalledPlugin {
  /** Package name, e.g. `@yolomods/dysample`. */
  name: string;
  /** Package folder. */
  dir: string;
  /** The package's bundled YAMLs folder (its exported `configsDir`), when it has one. */
  configsDir?: string;
}

/**
 * Where plugin search starts by default: the working directory and the folder of the script Node was
 * started with, so `node path/to/app.mjs` finds the plugins installed for that app from any directory.
 * A script inside node_modules (a CLI, a test runner) says nothing about the user's plugins: skipped.
 */
function defaultRoots(): string[] {
  const roots = [process.cwd()];
  const entry = process.argv[1];
  if (entry) {
    try {
      const dir = path.dirname(realpathSync(entry));
      if (!dir.split(path.sep).includes('node_modules')) roots.push(dir);
    } catch {
      // A REPL or `node -e`: no script folder.
    }
  }
  return roots;
}

/** Packages under each `node_modules` from each of `from` upward whose package.json says `"yolomods": { "plugin": true }`. */
export function findPluginPackages(from: string | readonly string[] = defaultRoots()): { name: string; dir: string }[] {
  const found = new Map<string, string>();
  for (const root of typeof from === 'string' ? [from] : from) {
    for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
      const nm = path.join(dir, 'node_modules');
      if (existsSync(nm)) {
        for (const e of safeList(nm)) {
          const dirs = e.startsWith('@') ? safeList(path.join(nm, e)).map((s) => path.join(nm, e, s)) : [path.join(nm, e)];
          for (const d of dirs) {
            const pj = readPackageJson(d);
            if (pj?.yolomods?.plugin === true && typeof pj.name === 'string' && !found.has(pj.name)) found.set(pj.name, d);
          }
        }
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return [...found].map(([name, dir]) => ({ name, dir }));
}

function safeList(d: string): string[] {
  try {
    return readdirSync(d).filter((s) => !s.startsWith('.'));
  } catch {
    return [];
  }
}

interface PackageJson {
  name?: string;
  main?: string;
  module?: string;
  exports?: unknown;
  yolomods?: { plugin?: boolean };
}

function readPackageJson(dir: string): PackageJson | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return null;
  }
}

/** The entry file the package exposes for our own module format, so that it shares our `@yolomods/core`. */
function entryOf(dir: string, pj: PackageJson): string {
  const cjs = typeof __dirname !== 'undefined';
  const root = (pj.exports as Record<string, unknown> | undefined)?.['.'] ?? pj.exports;
  const pick = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : v && typeof v === 'object' ? pick((v as Record<string, unknown>).default) : undefined;
  const cond = root && typeof root === 'object' ? pick((root as Record<string, unknown>)[cjs ? 'require' : 'import']) : pick(root);
  return path.join(dir, cond ?? (cjs ? pj.main : pj.module ?? pj.main) ?? 'index.js');
}

const loaded = new Map<string, Promise<InstalledPlugin>>();

/** Imports one plugin package (its module registers itself on core's shared registry). */
async function importPlugin(name: string, dir: string): Promise<InstalledPlugin> {
  let mod: { configsDir?: unknown };
  try {
    // Resolvable from here (hoisted installs, workspaces, test aliases): the same core instance for sure.
    mod = (await import(name)) as { configsDir?: unknown };
  } catch {
    const pj = readPackageJson(dir) ?? {};
    const file = entryOf(dir, pj);
    try {
      mod = typeof __dirname !== 'undefined' ? createRequire(file)(file) : ((await import(pathToFileURL(file).href)) as { configsDir?: unknown });
    } catch (e) {
      throw new Error(`yolomods plugin ${name} (${dir}) failed to load: ${(e as Error).message}`);
    }
  }
  return { name, dir, configsDir: typeof mod.configsDir === 'string' ? mod.configsDir : undefined };
}

/**
 * Finds and imports every installed yolomods plugin (from `from` upward; by default from the working
 * directory and from the started script's folder); each is imported once per process.
 */
export async function discoverPlugins(from?: string | readonly string[]): Promise<InstalledPlugin[]> {
  const pkgs = findPluginPackages(from);
  return Promise.all(
    pkgs.map((p) => {
      let pr = loaded.get(p.name);
      if (!pr) {
        pr = importPlugin(p.name, p.dir);
        loaded.set(p.name, pr);
      }
      return pr;
    }),
  );
}

/** Registers plugin objects passed by the user. */
export function usePlugins(plugins: readonly Plugin[], registry: Registry = sharedRegistry): void {
  for (const p of plugins) registry.use(p);
}
