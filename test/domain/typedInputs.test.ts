import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
/** A file the compiler host makes up; it never exists on disk. */
const SNIPPET = join(root, 'test', '__typedInputsSnippet.ts');

/** Type-checks `code` as a module next to the tests and returns its diagnostics as text. */
function diagnostics(program: ts.Program): string[] {
  const source = program.getSourceFile(SNIPPET)!;
  return ts
    .getPreEmitDiagnostics(program, source)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

let compile: (code: string) => string[];

beforeAll(() => {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  compile = (code) => {
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (name) => name === SNIPPET || fileExists(name);
    host.readFile = (name) => (name === SNIPPET ? code : readFile(name));
    host.getSourceFile = (name, version, onError, shouldCreate) =>
      name === SNIPPET
        ? ts.createSourceFile(name, code, version)
        : getSourceFile(name, version, onError, shouldCreate);
    const program = ts.createProgram(
      [SNIPPET],
      { ...options, noEmit: true, incremental: false },
      host,
    );
    return diagnostics(program);
  };
});

const HEADER = `import type { TaskInput, TaskInputFor, Occurrence } from '../src/domain/types.js';\n`;

describe('typed inputs', () => {
  it('a misspelt task key fails to compile, naming the key', () => {
    const found = compile(
      `${HEADER}export const t: TaskInput = { id: 'ping', title: 'Ping', retry: { maxRetries: 3 }, hanlder: 'ping' };\n`,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/'hanlder' does not exist in type/);
  });

  it('a well-formed task compiles', () => {
    expect(
      compile(
        `${HEADER}export const t: TaskInput = { id: 'ping', title: 'Ping', handler: 'ping' };\n`,
      ),
    ).toEqual([]);
  });

  it('a handler name outside the handler map fails to compile', () => {
    const found = compile(
      `${HEADER}type H = { ping: (o: Occurrence) => void };\nexport const t: TaskInputFor<H> = { id: 'a', title: 'A', handler: 'pnig' };\n`,
    );
    expect(found.join('\n')).toMatch(/"pnig"/);
  });
});
