import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkServers, unavailableSubjects } from './lib/durableServers.js';
import type { ScenarioName } from './lib/job.js';
import { machineInfo } from './lib/machine.js';
import { spawnJob } from './lib/spawnJob.js';
import { type CaseRecord, summarize } from './lib/summarize.js';
import { formatGroups, formatTargets } from './lib/table.js';
import { checkTargets } from './lib/targets.js';
import { buildPlan, DURABLE_SCENARIOS, FLEET_SCENARIOS, SCENARIOS } from './plan.js';
import { DURABLE_SETTINGS, describeSettings, type Server } from './subjects/durableSettings.js';

/**
 * `npm run bench`: runs every scenario's subjects in separate processes, alternating their
 * order from round to round, then prints medians and ratios and writes
 * bench/results/latest.json.
 *
 *   npm run bench                      full run (3 rounds; about 50 minutes on 2 cores)
 *   npm run bench -- --quick           smoke run (1 round, small N; about two minutes)
 *   npm run bench -- arm fire          only these scenarios
 *   npm run bench -- durable           only the durable ones (durable-*, soak)
 *   npm run bench -- fleet             only the fleet ones (fleet-*: instances on one schema)
 *   BENCH_ROUNDS=5 npm run bench       more rounds
 *   BENCH_NODE_FLAGS=--cpu-prof        extra flags for every child (e.g. to profile)
 */
const argv = process.argv.slice(2);
const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const only = argv
  .filter((a) => !a.startsWith('--'))
  .flatMap((a): string[] =>
    a === 'durable' ? [...DURABLE_SCENARIOS] : a === 'fleet' ? [...FLEET_SCENARIOS] : [a],
  );
for (const name of only) {
  if (!SCENARIOS.includes(name as ScenarioName)) {
    console.error(
      `bench: unknown scenario "${name}"; choose from ${SCENARIOS.join(', ')} (or durable, fleet)`,
    );
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

// The durable peers need their servers: each is checked once, and a subject whose server does
// not answer is skipped in every round with the reason printed, never silently.
const durableSubjects = [
  ...new Set(plan.groups.flatMap((g) => g.subjects.filter((s) => s in DURABLE_SETTINGS))),
];
const servers = await checkServers(
  new Set(
    durableSubjects
      .map((s) => DURABLE_SETTINGS[s]?.server)
      .filter((s): s is Server => s !== undefined),
  ),
);
const skipped = unavailableSubjects(durableSubjects, servers);
const durableLines: string[] = [];
if (durableSubjects.length > 0) {
  durableLines.push('durable subjects and their settings:', ...describeSettings(durableSubjects));
  for (const [server, status] of servers) {
    durableLines.push(
      status.ok ? `  ${server}: ${status.description}` : `  ${server}: ${status.reason}`,
    );
  }
  for (const [subject, reason] of skipped) durableLines.push(`  SKIPPED ${subject}: ${reason}`);
  console.log(durableLines.join('\n'));
}

const records: CaseRecord[] = [];
/** Cases that crashed or timed out are not retried in later rounds: they would again. */
const abandoned = new Map<string, string>();
for (let round = 0; round < rounds; round++) {
  for (const group of plan.groups) {
    if (group.maxRounds !== undefined && round >= group.maxRounds) continue;
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
      const unavailable = skipped.get(subject);
      const notRun = unavailable === undefined ? abandoned.get(key) : `skipped: ${unavailable}`;
      if (notRun !== undefined) {
        records.push({
          ...base,
          ok: false,
          metrics: {},
          notes: [],
          error: notRun,
          wallMs: 0,
          loadBefore,
        });
        if (unavailable !== undefined && round === 0) {
          process.stdout.write(
            `  round ${round + 1}/${rounds}  ${group.id.padEnd(26)} ${subject.padEnd(24)} ${notRun}\n`,
          );
        }
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
  durable: {
    settings: Object.fromEntries(durableSubjects.map((s) => [s, DURABLE_SETTINGS[s]])),
    servers: Object.fromEntries(servers),
    skipped: Object.fromEntries(skipped),
  },
  records,
};
writeFileSync(`${resultsDir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\n${formatGroups(groups)}\n\n${formatTargets(targets)}`);
if (durableLines.length > 0) console.log(`\n${durableLines.join('\n')}`);
console.log(
  `\nload (1-min average) during the run: ${report.load.min.toFixed(2)}–${report.load.max.toFixed(2)} on ${machine.cores} cores; figures in bench/results/latest.json`,
);
