import type { ScenarioName } from './job.js';
import type { GroupSummary, SubjectSummary } from './summarize.js';
import type { TargetCheck } from './targets.js';

type Column = Readonly<{ metric: string; label: string; digits: number; ratio?: boolean }>;

/** What each scenario's table shows; `ratio` adds a "× baseline" column after the figure. */
const COLUMNS: Readonly<Record<ScenarioName, readonly Column[]>> = {
  arm: [
    { metric: 'usPerOcc', label: 'µs/occ', digits: 2, ratio: true },
    { metric: 'heapBytesPerPending', label: 'heap B/pending', digits: 0, ratio: true },
    { metric: 'heapUsedMB', label: 'heap MB', digits: 0 },
  ],
  fire: [
    { metric: 'p50Ms', label: 'p50 ms', digits: 2 },
    { metric: 'p99Ms', label: 'p99 ms', digits: 2, ratio: true },
    { metric: 'maxMs', label: 'max ms', digits: 2 },
    { metric: 'fired', label: 'fired', digits: 0 },
    { metric: 'armMs', label: 'arm ms', digits: 0 },
  ],
  append: [
    { metric: 'eventsPerSec', label: 'events/s', digits: 0, ratio: true },
    { metric: 'usPerEvent', label: 'µs/event', digits: 2 },
  ],
  rebuild: [
    { metric: 'eventsPerSec', label: 'events/s', digits: 0, ratio: true },
    { metric: 'totalMs', label: 'total ms', digits: 0 },
    { metric: 'heapUsedMB', label: 'heap MB', digits: 0 },
  ],
  burst: [
    { metric: 'triggersPerSec', label: 'triggers/s', digits: 0 },
    { metric: 'allTriggeredMs', label: 'all triggered ms', digits: 0 },
    { metric: 'allDoneMs', label: 'all done ms', digits: 0 },
    { metric: 'firstLateMs', label: 'first late ms', digits: 1 },
  ],
  'durable-fire': [
    { metric: 'p50Ms', label: 'p50 ms', digits: 2 },
    { metric: 'p99Ms', label: 'p99 ms', digits: 2, ratio: true },
    { metric: 'maxMs', label: 'max ms', digits: 1 },
    { metric: 'cpuMs', label: 'CPU ms', digits: 0 },
    { metric: 'serverCpuMs', label: 'server CPU ms', digits: 0 },
    { metric: 'armMs', label: 'arm ms', digits: 0 },
  ],
  'durable-burst': [
    { metric: 'allDoneMs', label: 'all done ms', digits: 0, ratio: true },
    { metric: 'allRunMs', label: 'all run ms', digits: 0 },
    { metric: 'firstLateMs', label: 'first late ms', digits: 1 },
    { metric: 'jobsPerSec', label: 'jobs/s', digits: 0 },
    { metric: 'cpuMs', label: 'CPU ms', digits: 0 },
    { metric: 'serverCpuMs', label: 'server CPU ms', digits: 0 },
  ],
  'durable-arm': [
    { metric: 'usPerJob', label: 'µs/job', digits: 2 },
    { metric: 'heapBytesPerJob', label: 'heap B/job', digits: 0 },
    { metric: 'heapUsedMB', label: 'heap MB', digits: 0 },
    { metric: 'rssMB', label: 'RSS MB', digits: 0 },
  ],
  'durable-restart': [
    { metric: 'readyMs', label: 'spawn→ready ms', digits: 0, ratio: true },
    { metric: 'bootMs', label: 'boot ms', digits: 0 },
    { metric: 'openMs', label: 'open ms', digits: 0 },
    { metric: 'rssMB', label: 'RSS MB', digits: 0 },
  ],
  soak: [
    { metric: 'heapDriftPct', label: 'heap drift %', digits: 1 },
    { metric: 'heapFromMB', label: 'heap day 3 MB', digits: 1 },
    { metric: 'heapLastMB', label: 'heap last MB', digits: 1 },
    { metric: 'fileMBPerDay', label: 'file MB/day', digits: 2 },
    { metric: 'reopenReadyMs', label: 'reopen ready ms', digits: 0 },
    { metric: 'reopenStartMs', label: 'reopen started ms', digits: 0 },
    { metric: 'realSecPerDay', label: 's/sim day', digits: 1 },
  ],
  'fleet-throughput': [
    { metric: 'triggersPerSec', label: 'triggers/s done', digits: 0, ratio: true },
    { metric: 'firstToLastMs', label: 'first→last ms', digits: 0 },
    { metric: 'firstLateMs', label: 'first late ms', digits: 0 },
    { metric: 'instancesCpuMs', label: 'instances CPU ms', digits: 0 },
    { metric: 'serverCpuMs', label: 'server CPU ms', digits: 0 },
    { metric: 'minSharePct', label: 'min share %', digits: 0 },
    { metric: 'maxSharePct', label: 'max share %', digits: 0 },
    { metric: 'failed', label: 'failed', digits: 0 },
  ],
  'fleet-failover': [
    { metric: 'failoverP50Ms', label: 'failover p50 ms', digits: 0 },
    { metric: 'failoverMaxMs', label: 'failover max ms', digits: 0 },
    { metric: 'perKillMaxP50Ms', label: 'per-kill max p50 ms', digits: 0 },
    { metric: 'tasksMoved', label: 'tasks moved', digits: 0 },
    { metric: 'interruptedRuns', label: 'interrupted', digits: 0 },
    { metric: 'interruptedMaxMs', label: 'interrupted max ms', digits: 0 },
    { metric: 'leaseTtlMs', label: 'leaseTtlMs', digits: 0 },
    { metric: 'graceMs', label: 'graceMs', digits: 0 },
  ],
};

const fmt = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });

function row(summary: SubjectSummary, columns: readonly Column[], isBaseline: boolean): string[] {
  const cells = [isBaseline ? `${summary.subject} (base)` : summary.subject];
  for (const c of columns) {
    cells.push(summary.rounds === 0 ? '–' : fmt(summary.medians[c.metric], c.digits));
    if (c.ratio) cells.push(summary.rounds === 0 ? '–' : `${fmt(summary.ratios[c.metric], 2)}×`);
  }
  const noise = columns[0] === undefined ? undefined : summary.spread[columns[0].metric];
  cells.push(summary.rounds === 0 ? '' : `±${fmt((noise ?? 0) * 50, 0)}%`);
  const remark = summary.failures[0] ?? summary.notes[0] ?? '';
  const unfinished = remark.startsWith('skipped: ')
    ? `SKIPPED: ${remark.slice('skipped: '.length)}`
    : `NOT FINISHED: ${remark}`;
  cells.push(summary.rounds === 0 ? unfinished : remark);
  return cells;
}

function render(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Every group as a small aligned table (medians across rounds, ratios to the baseline). */
export function formatGroups(groups: readonly GroupSummary[]): string {
  return groups
    .map((group) => {
      const columns = COLUMNS[group.scenario];
      const header = ['subject'];
      for (const c of columns) {
        header.push(c.label);
        if (c.ratio) header.push('× base');
      }
      header.push('noise', 'remarks');
      const body = group.subjects.map((s) => row(s, columns, s.subject === group.baseline));
      return `── ${group.id} ──\n${render([header, ...body])}`;
    })
    .join('\n\n');
}

/** The targets as a checklist: met, missed, or not measured in this run. */
export function formatTargets(targets: readonly TargetCheck[]): string {
  const rows = targets.map((t) => [
    t.met === undefined ? '·' : t.met ? 'met' : 'MISSED',
    t.description,
    t.value === undefined ? 'not measured' : fmt(t.value, t.limit >= 100 ? 0 : 2),
    `${t.comparison === '<=' ? '≤' : '≥'} ${t.limit}`,
  ]);
  return `── targets ──\n${render(rows)}`;
}
