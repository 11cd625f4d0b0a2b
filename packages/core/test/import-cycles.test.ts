import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of each source file that exist at run time (type-only imports are erased by the build). */
function graph(files: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    const deps: string[] = [];
    for (const s of sf.statements) {
      const isImport = ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly;
      const isReExport = ts.isExportDeclaration(s) && !s.isTypeOnly;
      if (!(isImport || isReExport) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const spec = s.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      const base = path.resolve(path.dirname(file), spec);
      const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => files.includes(c));
      if (hit) deps.push(hit);
    }
    g.set(file, deps);
  }
  return g;
}

/** One cycle as a list of files, or null (depth-first search with an on-stack set). */
function findCycle(g: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (v: string): string[] | null => {
    state.set(v, 'open');
    stack.push(v);
    for (const w of g.get(v) ?? []) {
      if (state.get(w) === 'open') return [...stack.slice(stack.indexOf(w)), w];
      if (!state.has(w)) {
        const c = visit(w);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(v, 'done');
    return null;
  };
  for (const v of g.keys()) {
    if (state.has(v)) continue;
    const c = visit(v);
    if (c) return c;
  }
  return null;
}

describe('module structure', () => {
  it('core has no import cycle (bundlers and browsers load it in a defined order)', () => {
    const g = graph(sources(src));
    expect(g.size).toBeGreaterThan(20);
    const cycle = findCycle(g)?.map((f) => path.relative(src, f));
    expect(cycle ?? null).toBeNull();
  });

  it('no other package has one either (yolov8 and the plugins, Node and browser modules alike)', () => {
    const packages = path.resolve(src, '../..');
    const others = readdirSync(packages).filter((p) => p !== 'core' && statSync(path.join(packages, p, 'src'), { throwIfNoEntry: false })?.isDirectory());
    expect(others).toContain('yolov8');
    for (const p of others) {
      const dir = path.join(packages, p, 'src');
      const cycle = findCycle(graph(sources(dir)))?.map((f) => path.relative(dir, f));
      expect(cycle ?? null, p).toBeNull();
    }
  });

  it('finds a cycle when there is one', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeNull();
  });
});
