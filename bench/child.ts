import { type ChildOutput, type Job, RESULT_PREFIX } from './lib/job.js';

/**
 * Runs ONE measurement in this fresh process and prints its result as one line. Started by
 * bench/run.ts as `node --expose-gc --import tsx bench/child.ts '<job json>'`; can be run by
 * hand the same way to study one case (add `--cpu-prof` to profile it).
 */
async function runJob(job: Job): Promise<ChildOutput> {
  switch (job.scenario) {
    case 'arm':
      return (await import('./scenarios/arm.js')).runArm(job.subject, job.params);
    case 'fire':
      return (await import('./scenarios/fire.js')).runFire(job.subject, job.params);
    case 'append':
      return (await import('./scenarios/append.js')).runAppend(job.subject, job.params);
    case 'rebuild':
      return (await import('./scenarios/rebuild.js')).runRebuild(job.subject, job.params);
    case 'burst':
      return (await import('./scenarios/burst.js')).runBurst(job.subject, job.params);
    case 'durable-fire':
      return (await import('./scenarios/durableFire.js')).runDurableFire(job.subject, job.params);
    case 'durable-burst':
      return (await import('./scenarios/durableBurst.js')).runDurableBurst(job.subject, job.params);
    case 'durable-arm':
      return (await import('./scenarios/durableArm.js')).runDurableArm(job.subject, job.params);
    case 'durable-restart':
      return (await import('./scenarios/durableRestart.js')).runDurableRestart(
        job.subject,
        job.params,
      );
    case 'soak':
      return (await import('./scenarios/soak.js')).runSoak(job.subject, job.params);
    case 'fleet-throughput':
      return (await import('./scenarios/fleetThroughput.js')).runFleetThroughput(
        job.subject,
        job.params,
      );
    case 'fleet-failover':
      return (await import('./scenarios/fleetFailover.js')).runFleetFailover(
        job.subject,
        job.params,
      );
  }
}

const raw = process.argv[2];
if (raw === undefined) {
  process.stderr.write("usage: node --expose-gc --import tsx bench/child.ts '<job json>'\n");
  process.exit(2);
}
const output = await runJob(JSON.parse(raw) as Job);
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(output)}\n`);
// Some peers keep timers or handles alive after dispose; the figures are already out.
process.exit(0);
