import type { Group } from '../plan.js';
import type { JobParams, Metrics, ScenarioName } from './job.js';
import { median } from './stats.js';

/** One child's run as recorded in the JSON file. */
export type CaseRecord = Readonly<{
  group: string;
  scenario: ScenarioName;
  subject: string;
  params: JobParams;
  round: number;
  ok: boolean;
  metrics: Metrics;
  notes: readonly string[];
  error?: string;
  wallMs: number;
  /** 1-minute load average when the child started: how busy the machine was. */
  loadBefore: number;
}>;

/** One subject of a group across rounds. */
export type SubjectSummary = Readonly<{
  subject: string;
  /** Rounds that produced figures. */
  rounds: number;
  /** Why rounds produced none (timeout, out of memory, crash). */
  failures: readonly string[];
  medians: Metrics;
  /** (max − min) / median per metric across rounds: the run-to-run noise. */
  spread: Metrics;
  /**
   * This subject ÷ the baseline per metric: the median over rounds of the ratio between the
   * two runs of the same round (which ran minutes apart, under the same load), or the ratio
   * of the medians when no round has both.
   */
  ratios: Metrics;
  notes: readonly string[];
}>;

/** A group with every subject summarised. */
export type GroupSummary = Readonly<{
  id: string;
  scenario: ScenarioName;
  params: JobParams;
  baseline: string | undefined;
  subjects: readonly SubjectSummary[];
}>;

/** Medians, spreads and ratios to the baseline for every group of the plan. */
export function summarize(
  groups: readonly Group[],
  records: readonly CaseRecord[],
): GroupSummary[] {
  return groups.map((group) => {
    const mine = records.filter((r) => r.group === group.id);
    const perSubject = group.subjects.map((subject) => summarizeSubject(subject, mine));
    const base = perSubject.find((s) => s.subject === group.baseline);
    const baseRuns = mine.filter((r) => r.subject === group.baseline && r.ok);
    return {
      id: group.id,
      scenario: group.scenario,
      params: group.params,
      baseline: group.baseline,
      subjects: perSubject.map((s) => ({
        ...s,
        ratios: ratiosOf(
          s.medians,
          base?.medians,
          mine.filter((r) => r.subject === s.subject && r.ok),
          baseRuns,
        ),
      })),
    };
  });
}

function summarizeSubject(subject: string, records: readonly CaseRecord[]): SubjectSummary {
  const runs = records.filter((r) => r.subject === subject);
  const ok = runs.filter((r) => r.ok);
  const names = new Set(ok.flatMap((r) => Object.keys(r.metrics)));
  const medians: Record<string, number> = {};
  const spread: Record<string, number> = {};
  for (const name of names) {
    const values = ok.map((r) => r.metrics[name]).filter((v): v is number => v !== undefined);
    const m = median(values);
    medians[name] = m;
    spread[name] =
      values.length < 2 || m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / Math.abs(m);
  }
  return {
    subject,
    rounds: ok.length,
    failures: runs.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
    medians,
    spread,
    ratios: {},
    notes: [...new Set(runs.flatMap((r) => r.notes))],
  };
}

function ratiosOf(
  medians: Metrics,
  base: Metrics | undefined,
  runs: readonly CaseRecord[],
  baseRuns: readonly CaseRecord[],
): Metrics {
  if (base === undefined) return {};
  const ratios: Record<string, number> = {};
  for (const [name, value] of Object.entries(medians)) {
    const paired: number[] = [];
    for (const run of runs) {
      const b = baseRuns.find((r) => r.round === run.round)?.metrics[name];
      const v = run.metrics[name];
      if (v !== undefined && b !== undefined && b !== 0 && Number.isFinite(b)) paired.push(v / b);
    }
    const b = base[name];
    if (paired.length > 0) ratios[name] = median(paired);
    else if (b !== undefined && b !== 0 && Number.isFinite(b)) ratios[name] = value / b;
  }
  return ratios;
}
