import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../src/domain/types.js';
import { retryDelayMs } from '../../src/planning/retryDelay.js';
import { zonedInstant } from '../../src/planning/zonedTime.js';

const doc = readFileSync(new URL('../../docs/planning.md', import.meta.url), 'utf8');

/** The body rows of the table that follows `<!-- checked: name ... -->` in the page. */
function checkedTable(name: string): string[][] {
  const start = doc.indexOf(`<!-- checked: ${name} `);
  expect(start, `docs/planning.md has a "${name}" table`).toBeGreaterThan(-1);
  const lines = doc.slice(start).split('\n').slice(1);
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  expect(rows.length).toBeGreaterThan(3);
  return rows;
}

describe('docs/planning.md', () => {
  it('states the DST resolution the code implements', () => {
    for (const [zone = '', date = '', time = '', instant = ''] of checkedTable('dst')) {
      expect(
        new Date(zonedInstant(date, time, zone)).toISOString(),
        `${zone} ${date} ${time}`,
      ).toBe(instant);
    }
  });

  it('states the retry delays the code implements', () => {
    for (const [delayMs, backoff, maxDelayMs, retry, waits] of checkedTable('retry')) {
      const policy: RetryPolicy = {
        maxRetries: 10,
        delayMs: Number(delayMs),
        backoff: backoff as RetryPolicy['backoff'],
        ...(maxDelayMs === '–' ? {} : { maxDelayMs: Number(maxDelayMs) }),
      };
      expect(retryDelayMs(policy, Number(retry))).toBe(Number(waits));
    }
  });
});
