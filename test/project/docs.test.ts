import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { occurrenceMachine } from '../../machines/occurrence.js';
import { supervisorMachine } from '../../machines/supervisor.js';

// The docs cannot rot: every TypeScript block in README.md and docs/*.md is type-checked
// against the source, the lifecycle page is checked against the machines and the event
// catalogue, and the API page against what the entry points export.

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const docFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const entryPoints = {
  planflow: 'src/index.ts',
  'planflow/sqlite': 'src/sqlite/index.ts',
  'planflow/postgres': 'src/postgres/index.ts',
  'planflow/testing': 'src/testing/index.ts',
} as const;

type Snippet = Readonly<{ doc: string; line: number; code: string }>;

/** Every ```ts block (``` ts nocompile blocks excepted) with the doc line it starts on. */
function snippets(doc: string): Snippet[] {
  const found: Snippet[] = [];
  const text = read(doc);
  for (const match of text.matchAll(/^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm)) {
    if (/\bnocompile\b/.test(match[2] ?? '')) continue;
    const line = text.slice(0, match.index).split('\n').length + 1;
    found.push({ doc, line, code: match[3] ?? '' });
  }
  return found;
}

/** Rewrites `planflow`, `planflow/sqlite` and `planflow/testing` imports to the sources. */
function toSource(code: string, dir: string): string {
  return code.replace(/(['"])(planflow(?:\/[a-z]+)?)\1/g, (whole, _quote, name: string) => {
    const entry = entryPoints[name as keyof typeof entryPoints];
    if (entry === undefined) return whole;
    return `'${relative(dir, join(root, entry)).replaceAll('\\', '/').replace(/\.ts$/, '.js')}'`;
  });
}

let program: ts.Program;
let files: Map<string, Snippet>;
let tmp: string;

beforeAll(() => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  tmp = mkdtempSync(join(root, '.tmp', 'snippets-'));
  files = new Map();
  for (const doc of docFiles) {
    snippets(doc).forEach((snippet, i) => {
      const file = join(tmp, `${doc.replace(/\W+/g, '_')}_${i + 1}.ts`);
      // `export {}` makes every snippet a module: top-level await works, names never clash.
      writeFileSync(file, `${toSource(snippet.code, tmp)}\nexport {};\n`);
      files.set(file, snippet);
    });
  }
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const roots = [...files.keys(), ...Object.values(entryPoints).map((e) => join(root, e))];
  program = ts.createProgram(roots, { ...options, noEmit: true, incremental: false });
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('TypeScript blocks in README.md and docs/*.md', () => {
  it('type-check against the sources', () => {
    const problems: string[] = [];
    for (const source of program.getSourceFiles()) {
      const snippet = files.get(source.fileName);
      if (snippet === undefined) continue;
      for (const d of ts.getPreEmitDiagnostics(program, source)) {
        const at = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        problems.push(`${snippet.doc}:${snippet.line + at}: ${message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('are found in every page that has code', () => {
    const perDoc = new Set([...files.values()].map((s) => s.doc));
    for (const doc of ['README.md', 'docs/api.md', 'docs/recipes.md', 'docs/inspector.md']) {
      expect(perDoc, doc).toContain(doc);
    }
  });
});

describe('docs/lifecycle.md', () => {
  const page = read('docs/lifecycle.md');
  const diagrams = [...page.matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '');

  /** Every state node below the root, depth first. */
  const nodes = (node: AnyStateNode): AnyStateNode[] =>
    Object.values(node.states).flatMap((child) => [child, ...nodes(child)]);

  /** `a --> b` edges of a diagram. */
  const edges = (diagram: string) =>
    new Set([...diagram.matchAll(/(\w+)\s*-->\s*(\w+)/g)].map((m) => `${m[1]}>${m[2]}`));

  /** The node and its ancestors' keys (a diagram may draw an edge from a composite state). */
  const selfAndAncestors = (node: AnyStateNode): string[] =>
    node.parent === undefined ? [] : [node.key, ...selfAndAncestors(node.parent)];

  describe.each([
    ['occurrence', occurrenceMachine],
    ['supervisor', supervisorMachine],
  ] as const)('the %s diagram', (id, machine) => {
    const diagram = () => diagrams.find((d) => d.includes(`%% ${id}`)) ?? '';

    it('is a stateDiagram-v2 naming every state of the machine', () => {
      expect(diagram()).toMatch(/^stateDiagram-v2/);
      for (const node of nodes(machine.root)) {
        expect(diagram(), `state ${node.id}`).toMatch(new RegExp(`\\b${node.key}\\b`));
      }
    });

    it('draws every transition of the machine', () => {
      const drawn = edges(diagram());
      for (const node of nodes(machine.root)) {
        const targets = [...node.transitions.values()]
          .flat()
          .concat(node.always ?? [])
          .flatMap((t) => t.target ?? []);
        for (const target of targets) {
          const ok = selfAndAncestors(node).some((from) =>
            selfAndAncestors(target).some((to) => drawn.has(`${from}>${to}`)),
          );
          expect(ok, `${node.key} --> ${target.key}`).toBe(true);
        }
      }
    });
  });

  it('catalogues every event type with each of its payload fields', () => {
    const catalogue = page.slice(page.indexOf('## Event catalogue'));
    const events = eventCatalogue();
    expect(Object.keys(events).length).toBeGreaterThan(15);
    for (const [type, fields] of Object.entries(events)) {
      const row = catalogue.split('\n').find((l) => l.startsWith(`| \`${type}\``));
      expect(row, `a row for ${type}`).toBeDefined();
      for (const field of fields) expect(row, `${type}.${field}`).toContain(`\`${field}`);
    }
  });
});

/** Event types and their payload fields, read from `PlanflowEventMap` in src/log/events.ts. */
function eventCatalogue(): Record<string, string[]> {
  const file = 'src/log/events.ts';
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);
  const catalogue: Record<string, string[]> = {};
  source.forEachChild((node) => {
    if (!ts.isTypeAliasDeclaration(node) || node.name.text !== 'PlanflowEventMap') return;
    if (!ts.isTypeLiteralNode(node.type)) return;
    for (const member of node.type.members) {
      if (!ts.isPropertySignature(member) || member.type === undefined) continue;
      const type = member.name.getText(source).replace(/^'|'$/g, '');
      catalogue[type] = ts.isTypeLiteralNode(member.type)
        ? member.type.members.flatMap((m) => (m.name === undefined ? [] : [m.name.getText(source)]))
        : [];
    }
  });
  return catalogue;
}

describe('docs/api.md', () => {
  const page = read('docs/api.md');
  const exported = () => {
    const checker = program.getTypeChecker();
    return Object.fromEntries(
      Object.entries(entryPoints).map(([name, entry]) => {
        const source = program.getSourceFile(join(root, entry));
        const symbol = source && checker.getSymbolAtLocation(source);
        const names = symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : [];
        return [name, names];
      }),
    );
  };

  it('mentions every name each entry point exports, values and types', async () => {
    const byEntry = exported();
    // The checker's list must agree with what the modules export at run time.
    const runtime = {
      planflow: await import('../../src/index.js'),
      'planflow/sqlite': await import('../../src/sqlite/index.js'),
      'planflow/postgres': await import('../../src/postgres/index.js'),
      'planflow/testing': await import('../../src/testing/index.js'),
    };
    for (const [entry, module] of Object.entries(runtime)) {
      expect(byEntry[entry]).toEqual(expect.arrayContaining(Object.keys(module)));
    }
    for (const [entry, names] of Object.entries(byEntry)) {
      expect(names.length, entry).toBeGreaterThan(3);
      const missing = names.filter((n) => !new RegExp(`\`${n}\\b`).test(page));
      expect(missing, `exports of ${entry} missing from docs/api.md`).toEqual([]);
    }
  });

  it('documents no name as an export that is not one', () => {
    const all = new Set(Object.values(exported()).flat());
    const listed: string[] = [];
    let exportTable = false;
    for (const line of page.split('\n')) {
      const heading = /^#{2,4} `(\w+)`/.exec(line);
      if (heading?.[1] !== undefined) listed.push(heading[1]);
      if (line.startsWith('| export ')) exportTable = true;
      else if (!line.startsWith('|')) exportTable = false;
      const cell = /^\| `(\w+)/.exec(line);
      if (exportTable && cell?.[1] !== undefined) listed.push(cell[1]);
    }
    expect(listed.length).toBeGreaterThan(50);
    expect(listed.filter((name) => !all.has(name))).toEqual([]);
  });
});
