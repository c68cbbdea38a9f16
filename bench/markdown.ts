import { readFileSync } from 'node:fs';
import type { MachineInfo } from './lib/machine.js';
import { type CaseRecord, summarize } from './lib/summarize.js';
import { checkTargets } from './lib/targets.js';
import { buildPlan } from './plan.js';

/**
 * Prints bench/results/latest.json as the Markdown tables docs/performance.md carries, so
 * the page is regenerated from a run rather than retyped:
 *
 *   node --import tsx bench/markdown.ts > /tmp/figures.md
 */
type Report = Readonly<{
  mode: string;
  rounds: number;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  load: Readonly<{ min: number; max: number }>;
  records: readonly CaseRecord[];
}>;

const COLUMNS: Readonly<Record<string, readonly (readonly [string, string, number, boolean])[]>> = {
  arm: [
    ['usPerOcc', 'µs / occurrence', 2, true],
    ['heapBytesPerPending', 'heap B / pending', 0, true],
    ['heapUsedMB', 'heap MB', 0, false],
  ],
  fire: [
    ['p50Ms', 'p50 ms', 2, false],
    ['p99Ms', 'p99 ms', 2, true],
    ['maxMs', 'max ms', 1, false],
    ['armMs', 'arming ms', 0, false],
  ],
  append: [
    ['eventsPerSec', 'events / s', 0, true],
    ['usPerEvent', 'µs / event', 2, false],
  ],
  rebuild: [
    ['eventsPerSec', 'events / s', 0, true],
    ['totalMs', 'total ms', 0, false],
    ['heapUsedMB', 'heap MB', 0, false],
  ],
  burst: [
    ['triggersPerSec', 'triggers / s', 0, false],
    ['allTriggeredMs', 'all triggered ms', 0, false],
    ['allDoneMs', 'all done ms', 0, false],
    ['firstLateMs', 'first handler late ms', 1, false],
  ],
  'durable-fire': [
    ['p50Ms', 'p50 ms', 2, false],
    ['p99Ms', 'p99 ms', 2, true],
    ['maxMs', 'max ms', 1, false],
    ['cpuMs', 'CPU ms', 0, false],
    ['serverCpuMs', 'server CPU ms', 0, false],
    ['armMs', 'arming ms', 0, false],
  ],
  'durable-burst': [
    ['allDoneMs', 'all done ms', 0, true],
    ['allRunMs', 'all run ms', 0, false],
    ['firstLateMs', 'first handler late ms', 1, false],
    ['jobsPerSec', 'jobs / s', 0, false],
    ['cpuMs', 'CPU ms', 0, false],
    ['serverCpuMs', 'server CPU ms', 0, false],
  ],
  'durable-arm': [
    ['usPerJob', 'µs / job', 2, false],
    ['heapBytesPerJob', 'heap B / job', 0, false],
    ['heapUsedMB', 'heap MB', 0, false],
    ['rssMB', 'RSS MB', 0, false],
  ],
  'durable-restart': [
    ['readyMs', 'spawn → ready ms', 0, true],
    ['bootMs', 'boot ms', 0, false],
    ['importMs', 'import ms', 0, false],
    ['openMs', 'open ms', 0, false],
    ['cpuMs', 'CPU ms', 0, false],
    ['rssMB', 'RSS MB', 0, false],
  ],
  soak: [
    ['heapDriftPct', 'heap drift from day 3 %', 1, false],
    ['heapFromMB', 'heap day 3 MB', 1, false],
    ['heapLastMB', 'heap last day MB', 1, false],
    ['fileMBPerDay', 'file MB / day', 2, false],
    ['reopenReadyMs', 'reopen ready ms', 0, false],
    ['reopenStartMs', 'reopen started ms', 0, false],
  ],
};

const fmt = (v: number | undefined, digits: number): string =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const url = new URL('./results/latest.json', import.meta.url);
const report = JSON.parse(readFileSync(url, 'utf8')) as Report;
// Summarised again from the raw records, so the page always follows the current statistics.
const plan = buildPlan(report.mode === 'quick' ? 'quick' : 'full');
const groups = summarize(
  plan.groups.filter((g) => report.records.some((r) => r.group === g.id)),
  report.records,
);
const targets = checkTargets(groups);
const out: string[] = [];
const m = report.machine;
out.push(
  `Run: ${report.mode}, ${report.rounds} rounds, ${report.startedAt} → ${report.finishedAt}, commit ${m.commit}.`,
  `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, SQLite ${m.sqlite}; ${Object.entries(
    m.versions,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.`,
  `Load (1-minute average) when each case started: ${report.load.min.toFixed(2)}–${report.load.max.toFixed(2)}.`,
  '',
);
for (const group of groups) {
  const cols = COLUMNS[group.scenario] ?? [];
  const header = ['subject'];
  for (const [, label, , ratio] of cols) {
    header.push(label);
    if (ratio) header.push(`× ${group.baseline}`);
  }
  header.push('noise');
  out.push(
    `**${group.id}**`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  );
  for (const s of group.subjects) {
    const cells = [s.subject === group.baseline ? `${s.subject} (baseline)` : s.subject];
    for (const [metric, , digits, ratio] of cols) {
      cells.push(s.rounds === 0 ? '–' : fmt(s.medians[metric], digits));
      if (ratio) cells.push(s.rounds === 0 ? '–' : `${fmt(s.ratios[metric], 2)}×`);
    }
    const first = cols[0]?.[0];
    const failure = s.failures[0] ?? '';
    cells.push(
      s.rounds === 0
        ? failure.startsWith('skipped: ')
          ? failure
          : `not finished: ${failure}`
        : `±${fmt(((first === undefined ? 0 : s.spread[first]) ?? 0) * 50, 0)} %`,
    );
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('');
}
out.push('| target | measured | limit | |', '|---|---|---|---|');
for (const t of targets) {
  out.push(
    `| ${t.description} | ${t.value === undefined ? 'not measured' : fmt(t.value, t.limit >= 100 ? 0 : 2)} | ${t.comparison === '<=' ? '≤' : '≥'} ${t.limit} | ${t.met === undefined ? '' : t.met ? 'met' : '**missed**'} |`,
  );
}
/** Pads every table's cells to its column widths, as the project's Markdown is formatted. */
function alignTables(lines: readonly string[]): string[] {
  const result: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]!.startsWith('|')) {
      result.push(lines[i++]!);
      continue;
    }
    const block: string[][] = [];
    while (i < lines.length && lines[i]!.startsWith('|')) {
      block.push(
        lines[i++]!.slice(1, -1)
          .split('|')
          .map((cell) => cell.trim()),
      );
    }
    const widths = block[0]!.map((_, c) =>
      Math.max(...block.filter((_, r) => r !== 1).map((row) => (row[c] ?? '').length)),
    );
    block.forEach((row, r) => {
      const cells = widths.map((w, c) => (r === 1 ? '-'.repeat(w) : (row[c] ?? '').padEnd(w)));
      result.push(`| ${cells.join(' | ')} |`);
    });
  }
  return result;
}

process.stdout.write(`${alignTables(out).join('\n')}\n`);
