import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every TypeScript file under `dir`, relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** The project files a file imports, type-only imports and re-exports included. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(root, resolve(root, dirname(file), name)).replace(/\.js$/, '.ts'));
}

const files = [...sources('src'), ...sources('machines')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** The import circles of the graph (Tarjan's strongly connected components, size > 1 or self). */
function circles(): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) !== indices.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
  };
  for (const f of graph.keys()) if (!indices.has(f)) visit(f);
  return found;
}

/** The folder a file belongs to, as the layering table of docs/architecture.md names it. */
const layerOf = (file: string) => {
  const [top, second] = file.split('/');
  return top === 'machines' ? 'machines' : `${top}/${second}`;
};

/** Which layers each layer may import (besides itself), from docs/architecture.md. */
const allowed: Record<string, readonly string[]> = {
  'src/domain': [],
  'src/planning': ['src/domain'],
  'src/time': ['src/domain'],
  'src/log': ['src/domain'],
  machines: ['src/domain'],
  'src/scheduler': ['src/domain', 'src/planning', 'src/time', 'src/log', 'machines'],
  'src/sqlite': ['src/domain', 'src/log'],
  'src/postgres': ['src/domain', 'src/log'],
  'src/testing': ['src/domain', 'src/time'],
  'src/cli': [
    'src/domain',
    'src/log',
    'src/sqlite',
    'src/postgres',
    'src/scheduler',
    'src/time',
    'src/planning',
  ],
  'src/index.ts': [
    'src/domain',
    'src/planning',
    'src/time',
    'src/log',
    'src/scheduler',
    'machines',
  ],
};

describe('the source layout', () => {
  it('has no import circle, type-only imports included', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(circles()).toEqual([]);
  });

  it('imports only downward, as docs/architecture.md draws the layers', () => {
    const wrong: string[] = [];
    for (const [file, imports] of graph) {
      const from = layerOf(file);
      const may = allowed[from];
      if (may === undefined) {
        wrong.push(`${file}: its folder ${from} has no row in the layering table`);
        continue;
      }
      for (const target of imports) {
        const to = layerOf(target);
        if (to !== from && !may.includes(to)) wrong.push(`${file} imports ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('finds a circle when there is one (the check itself works)', () => {
    graph.set('src/domain/a.ts', ['src/domain/b.ts']);
    graph.set('src/domain/b.ts', ['src/domain/a.ts']);
    try {
      expect(circles()).toContainEqual(['src/domain/a.ts', 'src/domain/b.ts']);
    } finally {
      graph.delete('src/domain/a.ts');
      graph.delete('src/domain/b.ts');
    }
  });
});
