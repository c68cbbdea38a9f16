import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** Packages whose versions decide the figures. */
const PACKAGES = [
  'node-schedule',
  'toad-scheduler',
  'croner',
  'better-sqlite3',
  'xstate',
  'tsx',
  'pg-boss',
  'graphile-worker',
  'bullmq',
  'ioredis',
  'pg',
] as const;

/** Where and with what the run happened, written next to the figures. */
export type MachineInfo = Readonly<{
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  sqlite: string;
  commit: string;
  versions: Readonly<Record<string, string>>;
  loadAtStart: readonly number[];
}>;

function packageVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench'], {
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? head : `${head}+uncommitted`;
  } catch {
    return 'unknown';
  }
}

async function sqliteVersion(): Promise<string> {
  try {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(':memory:');
    const row = db.prepare('select sqlite_version() as v').get() as { v: string };
    db.close();
    return row.v;
  } catch {
    return 'unknown';
  }
}

/** Collects the machine, the versions and the load at the start of a run. */
export async function machineInfo(): Promise<MachineInfo> {
  const versions: Record<string, string> = {};
  for (const name of PACKAGES) versions[name] = packageVersion(name);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    sqlite: await sqliteVersion(),
    commit: gitCommit(),
    versions,
    loadAtStart: loadavg(),
  };
}
