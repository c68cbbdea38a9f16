import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileState, planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';

/**
 * Every refused input exits 2 with the reason on stderr and leaves the log byte for byte as
 * it was: validation happens before anything is appended.
 */
describe('planflow CLI › bad input', () => {
  let dir = '';
  let db = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'planflow-cli-input-'));
    db = join(dir, 'planflow.db');
    expect((await planflow(dir, ['init', '--tz', 'UTC'])).code).toBe(0);
    const calendar = await planflow(dir, ['calendar', '--slot', 'morning=09:30']);
    expect(calendar.code).toBe(0);
    const add = await planflow(dir, ['task', 'add', 'Backup', '--every', '1d', '--run', 'true']);
    expect(add.code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
    ['an unknown option', ['task', 'list', '--colour'], /unknown option '--colour'/],
    ['a missing title', ['task', 'add'], /missing required argument 'title'/],
    [
      'a malformed duration',
      ['task', 'add', 'X', '--every', 'often'],
      /task add: --every must be a duration such as 90s/,
    ],
    [
      'an instant without offset',
      ['task', 'add', 'X', '--at', '2026-03-29T09:30'],
      /--at must be "now", a relative time .* got "2026-03-29T09:30"/,
    ],
    [
      'a negative retry count',
      ['task', 'add', 'X', '--at', 'now', '--retries', '-1'],
      /--retries must be a whole number ≥ 0, got "-1"/,
    ],
    [
      'too many retries',
      ['task', 'add', 'X', '--at', 'now', '--retries', '5000'],
      /task add --retries: Task "x": retry\.maxRetries must be an integer between 0 and 1000, got 5000/,
    ],
    [
      'an unknown slot',
      ['task', 'add', 'X', '--at', 'now', '--slot', 'evening'],
      /task add --slot: .*known: "morning".*got "evening"/,
    ],
    [
      'an invalid cron',
      ['task', 'add', 'X', '--cron', '61 * * * *'],
      /task add --cron: .*recurrence\.cron must be/,
    ],
    [
      '--tz with nothing it applies to',
      ['task', 'add', 'X', '--every', '1h', '--tz', 'UTC'],
      /--tz is the zone of --cron and of words such as "tomorrow 09:00" in --at and --pin/,
    ],
    [
      '--every with --cron',
      ['task', 'add', 'X', '--every', '1h', '--cron', '0 * * * *'],
      /give one of --every, --cron or --rrule, not --every and --cron/,
    ],
    [
      '--timeout without --run',
      ['task', 'add', 'X', '--at', 'now', '--timeout', '5s'],
      /--timeout limits a --run command/,
    ],
    [
      'no time at all',
      ['task', 'add', 'X'],
      /say when the task runs with --at, --every, --cron, --rrule or --pin/,
    ],
    [
      'an unknown priority',
      ['task', 'add', 'X', '--at', 'now', '--priority', 'urgent'],
      /task add --priority: .*priority must be/,
    ],
    [
      'a zero timeout',
      ['task', 'add', 'X', '--at', 'now', '--run', 'true', '--timeout', '0s'],
      /task add --timeout: .*timeoutMs must be/,
    ],
    [
      'an id that exists',
      ['task', 'add', 'X', '--at', 'now', '--id', 'backup'],
      /a task "backup" exists already/,
    ],
    [
      'an unknown zone',
      ['calendar', '--tz', 'Mars/Base'],
      /calendar --tz: Calendar: timeZone must be/,
    ],
    [
      'overnight hours',
      ['calendar', '--hours', 'mon-fri=17:00-09:00'],
      /calendar --hours: .*workingHours\.mon\.end must be later than start/,
    ],
    [
      'malformed hours',
      ['calendar', '--hours', 'weekdays=09:00-17:00'],
      /--hours days must be weekday names/,
    ],
    [
      'a zero cap',
      ['calendar', '--max-per-day', '0'],
      /calendar --max-per-day: .*maxPerDay must be/,
    ],
    [
      'an impossible holiday',
      ['calendar', '--holiday', '2026-02-30'],
      /calendar --holiday: .*holidays\[0\] must be/,
    ],
    [
      'a slot outside the hours',
      ['calendar', '--hours', 'mon=10:00-12:00@morning'],
      /calendar --hours: .*starts at 09:30/,
    ],
    ['an unknown task to remove', ['task', 'rm', 'nope'], /task rm: no task "nope"/],
    ['history of an unknown task', ['history', 'nope'], /history: no task "nope"/],
    [
      'an unknown occurrence',
      ['history', '--occurrence', 'o_zzz'],
      /history: no occurrence "o_zzz"/,
    ],
    [
      'an unknown export format',
      ['export', '--format', 'xml'],
      /export: --format must be jsonl or csv/,
    ],
    ['a malformed --for', ['run', '--for', 'soon'], /run: --for must be a duration/],
  ];

  it.each(cases)(
    'refuses %s with exit 2 and leaves the log unchanged',
    async (_name, args, message) => {
      const before = fileState(db);
      const headBefore = (await readLog(db)).length;
      const result = await planflow(dir, args);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(message);
      expect(result.out).toBe('');
      expect(fileState(db)).toBe(before);
      expect((await readLog(db)).length).toBe(headBefore);
    },
  );

  describe('a log that does not exist', () => {
    const newDir = useProjectDirs();
    it.each([
      ['task', 'list'],
      ['history'],
      ['verify'],
      ['export'],
      ['calendar'],
      ['run', '--for', '1s'],
      ['task', 'add', 'X', '--at', 'now'],
      ['repair'],
    ])('%s … exits 2, says to run init first and creates no file', async (...args) => {
      const empty = newDir();
      const result = await planflow(empty, [...args, '--db', 'missing.db']);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/no PlanFlow log at ".*missing\.db"/);
      expect(existsSync(join(empty, 'missing.db'))).toBe(false);
    });
  });
});
