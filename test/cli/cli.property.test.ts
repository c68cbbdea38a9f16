import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { fileState, planflow, rawControls, useProjectDirs } from '../helpers/cliHarness.js';

/** The exit codes docs/cli.md lists. */
const DOCUMENTED_EXIT_CODES = [0, 1, 2, 3];

const T0 = Date.parse('2026-03-02T08:00:00.000Z');

/** Text meant to break things: terminal escapes, bidi overrides, NUL, lone surrogates. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u001b[2J\u001b[H',
    'ok\r\u001b[2Kfake',
    '\u202etxt.exe',
    '\u009b31m',
    'a\u0000b',
    '\ud800',
    '\u2028next',
    '=HYPERLINK("x")',
    '-rf',
    'x'.repeat(100_000),
  ),
);

const badDate = fc.constantFrom('notadate', '2026-02-30', '2026-13-01', '', '31/12/2026', '+1d');
const badDuration = fc.constantFrom('soon', '-5m', '1y', '0.0001ms', '99999999d', '', 'NaN');
const instant = fc.constantFrom('now', '+15m', '2026-03-29T09:30', '2026-03-29T09:30:00+02:00');

/**
 * A value for any flag: valid-looking ones (so some invocations succeed and change the log)
 * and hostile ones. Paths are inside the project or nowhere at all.
 */
const value = fc.oneof(
  hostileText,
  badDate,
  badDuration,
  instant,
  fc.constantFrom(
    '2026-12-25',
    '1h',
    'UTC',
    'Mars/Olympus',
    'mon-fri=09:00-17:00',
    'morning=09:30',
    'none',
    '3',
    'csv',
    'jsonl',
    'xml',
    '/nonexistent/dir/x.csv',
    'file.txt/under-a-file',
    'out.csv',
    'missing.db',
    '/dev/full',
  ),
);

/** A well-formed value for each flag, so that many invocations get past parsing. */
const VALID: Readonly<Record<string, readonly string[]>> = {
  '--tz': ['UTC', 'Europe/Berlin'],
  '--at': ['now', '+15m'],
  '--every': ['1h', '90s'],
  '--cron': ['0 9 * * 1'],
  '--pin': ['+2h'],
  '--retries': ['2'],
  '--retry-delay': ['30s'],
  '--backoff': ['exponential'],
  '--slot': ['morning', 'morning=09:30'],
  '--priority': ['high'],
  '--description': ['about \u001b[31mthis'],
  '--id': ['fresh', 'handed'],
  '--hours': ['mon-fri=09:00-17:00', 'all=00:00-24:00'],
  '--max-per-day': ['5', 'none'],
  '--holiday': ['2026-12-25'],
  '--remove-holiday': ['2026-12-25', '2026-12-26'],
  '--occurrence': ['o_'],
  '--format': ['csv', 'jsonl'],
  '--out': ['out.csv', '/dev/full'],
  '--for': ['1s'],
  '--backup': ['backup.db'],
};

/** A value for `flag`: mostly well-formed, sometimes anything from {@link value}. */
const valueFor = (flag: string) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...(VALID[flag] ?? ['x'])), weight: 2 },
    { arbitrary: value, weight: 1 },
  );

/** Commands only ever harmless ones, should a generated `run` get as far as starting one. */
const command = fc.constantFrom('true', 'echo fuzz', 'exit 3');

/** Each verb with the flags it takes a value for and the switches it knows. */
const VERBS: ReadonlyArray<
  readonly [argv: string[], valued: string[], switches: string[], takesArgument?: true]
> = [
  [['init'], ['--tz'], []],
  [
    ['task', 'add'],
    [
      '--at',
      '--every',
      '--cron',
      '--tz',
      '--pin',
      '--retries',
      '--retry-delay',
      '--backoff',
      '--slot',
      '--priority',
      '--description',
      '--id',
    ],
    [],
    true,
  ],
  [['task', 'list'], [], ['--json']],
  [['task', 'rm'], [], [], true],
  [
    ['calendar'],
    ['--tz', '--hours', '--slot', '--max-per-day', '--holiday', '--remove-holiday'],
    ['--json'],
  ],
  [['run'], ['--for'], ['--until-idle', '--json']],
  [['approve'], [], ['--all'], true],
  [['history'], ['--occurrence'], ['--json'], true],
  [['verify'], [], ['--json']],
  [['export'], ['--format', '--out'], ['--no-verify']],
  [['repair'], ['--backup'], []],
  [['unknown-command'], [], []],
  [['task', 'frobnicate'], [], []],
];

/** Tokens no verb expects: unknown flags, a bare `--`, help and version, global flags. */
const oddToken = fc.oneof(
  fc.constantFrom('--', '-x', '--bogus', '--help', '--version', '--db', '--approvals'),
  fc.tuple(fc.constantFrom('--db', '--approvals', '--out', '--for'), value).map((p) => p.join('=')),
);

/**
 * A generated invocation: a verb, some of its own flags with generated values, sometimes a
 * positional value, a `--run` or an odd token, in an order commander has to cope with.
 */
const argv = fc
  .constantFrom(...VERBS)
  .chain(([verb, valued, switches, takesArgument]) =>
    fc.tuple(
      fc.constant(verb),
      valued.length === 0
        ? fc.constant([])
        : fc.array(
            fc.constantFrom(...valued).chain((f) => fc.tuple(fc.constant(f), valueFor(f))),
            { maxLength: 3 },
          ),
      switches.length === 0 ? fc.constant([]) : fc.subarray(switches),
      takesArgument === true
        ? fc.option(value, { nil: undefined, freq: 5 })
        : fc.constant(undefined),
      verb[1] === 'add' ? fc.option(command, { nil: undefined, freq: 2 }) : fc.constant(undefined),
      fc.option(oddToken, { nil: undefined, freq: 6 }),
    ),
  )
  .map(([verb, pairs, on, positional, run, odd]) => [
    ...verb,
    ...(positional === undefined ? [] : [positional]),
    ...pairs.flat(),
    ...on,
    ...(run === undefined ? [] : ['--run', run]),
    ...(odd === undefined ? [] : [odd]),
  ]);

/** A log handed in by someone else: one command nobody on this machine approved. */
async function handedLog(path: string): Promise<void> {
  const store = await sqliteStore({ path });
  try {
    const scheduler = createScheduler({
      store,
      clock: new TestClock(T0),
      calendar: { timeZone: 'UTC' },
    });
    await scheduler.ready;
    await scheduler.defineTask({
      id: 'handed',
      title: 'Handed\r\u001b[2Kin',
      handler: 'shell',
      payload: { run: 'echo handed' },
      startAt: new Date(T0).toISOString(),
    });
  } finally {
    await store.close();
  }
}

describe('planflow CLI › fuzzed invocations', () => {
  const newDir = useProjectDirs();

  it('survives 150 hostile command lines: documented exit codes, escaped output, a refused command changes nothing', async () => {
    const dir = newDir();
    const db = join(dir, 'planflow.db');
    await handedLog(db);
    writeFileSync(join(dir, 'file.txt'), 'a regular file');
    const clock = new TestClock(T0);
    expect(
      (await planflow(dir, ['task', 'add', 'Mine', '--at', 'now', '--run', 'true'], { clock }))
        .code,
    ).toBe(0);

    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const before = fileState(db);
        let out = '';
        let err = '';
        // The TestClock never fires on its own, so no generated `run` triggers a command; the
        // interrupt stops one that starts at once.
        const code = await runCli(args, {
          cwd: dir,
          clock,
          approvals: join(dir, 'approvals.json'),
          stdout: (text) => {
            out += text;
          },
          stderr: (text) => {
            err += text;
          },
          onInterrupt: (listener) => {
            listener('SIGINT');
            return () => {};
          },
        });
        expect(DOCUMENTED_EXIT_CODES).toContain(code);
        // CSV lines end in CRLF, the one raw control an export may hold.
        const allowed = args.includes('export') ? '\r\n' : '\n';
        expect(rawControls(out, allowed), `stdout of ${JSON.stringify(args)}`).toEqual([]);
        expect(rawControls(err), `stderr of ${JSON.stringify(args)}`).toEqual([]);
        if (code !== 0) expect(fileState(db), `log after ${JSON.stringify(args)}`).toBe(before);
        const store = await sqliteStore({ path: db, verifyOnOpen: false });
        try {
          expect((await store.verify()).ok).toBe(true);
        } finally {
          await store.close();
        }
      }),
      { seed: 20_260_302, numRuns: 150 },
    );
  }, 60_000);
});
