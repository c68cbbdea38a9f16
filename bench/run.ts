import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ScenarioName } from './lib/job.js';
import { machineInfo } from './lib/machine.js';
import { spawnJob } from './lib/spawnJob.js';
import { type CaseRecord, summarize } from './lib/summarize.js';
import { formatGroups, formatTargets } from './lib/table.js';
import { checkTargets } from './lib/targets.js';
import { buildPlan, SCENARIOS } from './plan.js';

/**
 * `npm run bench`: runs every scenario's subjects in separate processes, alternating their
 * order from round to round, then prints medians and ratios and writes
 * bench/results/latest.json.
 *
 *   npm run bench                      full run (3 rounds; about 25 minutes on 2 cores)
 *   npm run bench -- --quick           smoke run (1 round, small N; under a minute)
 *   npm run bench -- arm fire          only these scenarios
 *   BENCH_ROUNDS=5 npm run bench       more rounds
 *   BENCH_NODE_FLAGS=--cpu-prof        extra flags for every child (e.g. to profile)
 */
const argv = process.argv.slice(2);
const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const only = argv.filter((a) => !a.startsWith('--'));
for (const name of only) {
  if (!SCENARIOS.includes(name as ScenarioName)) {
    console.error(`bench: unknown scenario "${name}"; choose from ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
}
const plan = buildPlan(
  quick ? 'quick' : 'full',
  only.length > 0 ? (only as ScenarioName[]) : undefined,
);
const rounds = Number(process.env.BENCH_ROUNDS ?? plan.rounds);
const extraFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });

const machine = await machineInfo();
const startedAt = new Date().toISOString();
console.log(
  `PlanFlow benchmarks — ${plan.mode} run, ${rounds} round(s), ${plan.groups.length} groups; node ${machine.node}, ${machine.cores} × ${machine.cpu}; load ${machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
);

const records: CaseRecord[] = [];
/** Cases that crashed or timed out are not retried in later rounds: they would again. */
const abandoned = new Map<string, string>();
for (let round = 0; round < rounds; round++) {
  for (const group of plan.groups) {
    // Rotate the order each round so no subject always runs first (cold disk cache, turbo
    // state, a neighbour's load) or always last.
    const order = group.subjects.map(
      (_, i) => group.subjects[(i + round) % group.subjects.length]!,
    );
    for (const subject of order) {
      const key = `${group.id}|${subject}`;
      const base = {
        group: group.id,
        scenario: group.scenario,
        subject,
        params: group.params,
        round,
      };
      const loadBefore = loadavg()[0]!;
      const skipped = abandoned.get(key);
      if (skipped !== undefined) {
        records.push({
          ...base,
          ok: false,
          metrics: {},
          notes: [],
          error: skipped,
          wallMs: 0,
          loadBefore,
        });
        continue;
      }
      const outcome = await spawnJob(
        { scenario: group.scenario, subject, params: group.params },
        { timeoutMs: group.timeoutMs, maxOldSpaceMb: 4096, extraFlags },
      );
      if (outcome.ok) {
        records.push({ ...base, ok: true, ...outcome.output, wallMs: outcome.wallMs, loadBefore });
      } else {
        abandoned.set(key, outcome.error);
        records.push({
          ...base,
          ok: false,
          metrics: {},
          notes: [],
          error: outcome.error,
          wallMs: outcome.wallMs,
          loadBefore,
        });
      }
      process.stdout.write(
        `  round ${round + 1}/${rounds}  ${group.id.padEnd(26)} ${subject.padEnd(24)} ${outcome.ok ? 'ok' : outcome.error}  (${(outcome.wallMs / 1000).toFixed(1)} s, load ${loadBefore.toFixed(2)})\n`,
      );
    }
  }
}

const groups = summarize(plan.groups, records);
const targets = checkTargets(groups);
const loads = records.map((r) => r.loadBefore);
const report = {
  mode: plan.mode,
  rounds,
  startedAt,
  finishedAt: new Date().toISOString(),
  machine,
  load: { min: Math.min(...loads), max: Math.max(...loads), atEnd: loadavg() },
  groups,
  targets,
  records,
};
writeFileSync(`${resultsDir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\n${formatGroups(groups)}\n\n${formatTargets(targets)}`);
console.log(
  `\nload (1-min average) during the run: ${report.load.min.toFixed(2)}–${report.load.max.toFixed(2)} on ${machine.cores} cores; figures in bench/results/latest.json`,
);
