import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/log/signingKey.js';
import { fileState, planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';
import { ed25519Pair, recomputeChain } from '../helpers/signingKeys.js';

const keys = ed25519Pair();

describe('planflow CLI › signed checkpoints', () => {
  const newDir = useProjectDirs();

  /** A project whose writes were signed: init with the flag, task add through the env. */
  async function signedProject(): Promise<{ dir: string; db: string }> {
    const dir = newDir();
    writeFileSync(join(dir, 'signing.pem'), keys.privatePem, { mode: 0o600 });
    writeFileSync(join(dir, 'public.pem'), keys.publicPem);
    const init = await planflow(dir, ['init', '--tz', 'UTC', '--signing-key', 'signing.pem']);
    expect(init.code).toBe(0);
    expect(init.out).toContain(`signed with key ${keyIdOf(keys.publicKey).slice(0, 16)}`);
    const add = await planflow(dir, ['task', 'add', 'One', '--every', '1h'], {
      signingKeyFile: join(dir, 'signing.pem'),
    });
    expect(add.code).toBe(0);
    return { dir, db: join(dir, 'planflow.db') };
  }

  it('signs every write, prints the head to anchor, and verifies against the public key', async () => {
    const { dir, db } = await signedProject();
    const entries = await readLog(db);
    const last = entries.at(-1)!;

    const head = await planflow(dir, ['head']);
    expect(head.code).toBe(0);
    const [anchor] = head.out.split('\n');
    expect(anchor).toBe(`${last.seq}:${last.hash}`);
    expect(head.out).toContain(`checkpoint ${last.seq}:${last.hash}`);
    expect(head.out).toContain(`key id    ${keyIdOf(keys.publicKey)}`);
    const json = JSON.parse((await planflow(dir, ['head', '--json'])).out);
    expect(json).toMatchObject({ anchor, head: { seq: last.seq }, checkpoint: { seq: last.seq } });

    const verify = await planflow(dir, [
      'verify',
      '--public-key',
      'public.pem',
      '--expect-head',
      anchor!,
    ]);
    expect(verify.code).toBe(0);
    expect(verify.out).toContain(`signed by the public key up to entry #${last.seq}`);
    expect(verify.out).toContain('the anchored head matches');
    // The private key file works for checking too (its public half is used).
    expect((await planflow(dir, ['verify', '--public-key', 'signing.pem'])).code).toBe(0);
  });

  it('exits 1 on a chain rewritten and recomputed in the file, naming it forged', async () => {
    const { dir, db } = await signedProject();
    const anchor = (await planflow(dir, ['head'])).out.split('\n')[0]!;
    const forged = recomputeChain(await readLog(db), 2, { forged: true });
    const sqlite = new Database(db);
    const update = sqlite.prepare(
      'UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?',
    );
    for (const e of forged.slice(1)) update.run(JSON.stringify(e.data), e.prevHash, e.hash, e.seq);
    sqlite.close();
    const before = fileState(db);

    const verify = await planflow(dir, ['verify', '--public-key', 'public.pem']);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/^forged: entry #\d+ has hash/);
    expect(verify.out).toContain('Restore the log from a backup');
    const json = JSON.parse(
      (await planflow(dir, ['verify', '--json', '--public-key', 'public.pem'])).out,
    );
    expect(json).toMatchObject({ ok: false, problem: 'forged' });
    // Even with the head file and checkpoints gone, the anchored head tells.
    rmSync(`${db}.head`);
    new Database(db).exec('DELETE FROM checkpoints');
    expect((await planflow(dir, ['verify'])).code).toBe(0);
    const anchored = await planflow(dir, ['verify', '--expect-head', anchor]);
    expect(anchored.code).toBe(1);
    expect(anchored.out).toMatch(/^head mismatch: entry #\d+ has hash/);
    expect(fileState(db)).not.toBe(before);
  });

  it('reports a wrong public key (exit 1) and refuses a key file that is not a key (exit 2)', async () => {
    const { dir, db } = await signedProject();
    writeFileSync(join(dir, 'other.pem'), ed25519Pair().publicPem);
    const wrong = await planflow(dir, ['verify', '--public-key', 'other.pem']);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/^unsigned: .*is it the right public key\?/);

    writeFileSync(join(dir, 'garbage.pem'), 'not a key');
    const before = fileState(db);
    for (const args of [
      ['task', 'add', 'Two', '--at', 'now', '--signing-key', 'garbage.pem'],
      ['task', 'add', 'Two', '--at', 'now', '--signing-key', 'missing.pem'],
      ['task', 'add', 'Two', '--at', 'now', '--signing-key', 'public.pem'],
      ['verify', '--public-key', 'garbage.pem'],
      ['verify', '--expect-head', '12:abc'],
    ]) {
      const result = await planflow(dir, args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err, args.join(' ')).toMatch(/--signing-key|--public-key|--expect-head/);
    }
    expect(
      (await planflow(dir, ['task', 'add', 'Two', '--at', 'now', '--signing-key', 'garbage.pem']))
        .err,
    ).toContain('openssl genpkey -algorithm ed25519');
    expect(fileState(db)).toBe(before);
  });

  it('reads the key from $PLANFLOW_SIGNING_KEY_FILE, where an empty value means no key', async () => {
    const { dir, db } = await signedProject();
    const saved = process.env.PLANFLOW_SIGNING_KEY_FILE;
    try {
      process.env.PLANFLOW_SIGNING_KEY_FILE = '';
      expect((await planflow(dir, ['task', 'add', 'Two', '--at', '+1h'])).code).toBe(0);
      const unsigned = await planflow(dir, ['verify', '--public-key', 'public.pem']);
      expect(unsigned.out).toMatch(/entries \d+\.\.\d+ are not signed yet/);
      process.env.PLANFLOW_SIGNING_KEY_FILE = join(dir, 'signing.pem');
      const run = await planflow(dir, ['run', '--for', '3s', '--until-idle']);
      expect(run.code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.PLANFLOW_SIGNING_KEY_FILE;
      else process.env.PLANFLOW_SIGNING_KEY_FILE = saved;
    }
    // run signed what it appended (and the unsigned entries before) when it stopped.
    const last = (await readLog(db)).at(-1)!;
    const verify = await planflow(dir, ['verify', '--public-key', 'public.pem']);
    expect(verify.out).toContain(`signed by the public key up to entry #${last.seq}`);
    expect(verify.out).not.toContain('not signed yet');
  });

  it('reports a log cut to 0 bytes or deleted when its head file says it had entries', async () => {
    const { dir, db } = await signedProject();
    truncateSync(db, 0);
    for (const args of [['verify'], ['task', 'list'], ['head'], ['init', '--tz', 'UTC']]) {
      const result = await planflow(dir, args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.err, args.join(' ')).toMatch(
        /is empty \(0 bytes\), but its head file .* says entries 1\.\.\d+ were written/,
      );
    }
    expect(readFileSync(db)).toHaveLength(0);
    rmSync(db);
    const verify = await planflow(dir, ['verify']);
    expect(verify.code).toBe(1);
    expect(verify.err).toMatch(/is missing, but its head file/);
    expect(existsSync(db)).toBe(false);
  });

  it('reports rows deleted back past the last checkpoint, and lets repair accept the loss', async () => {
    const { dir, db } = await signedProject();
    const entries = (await readLog(db)).length;
    const sqlite = new Database(db);
    sqlite.prepare('DELETE FROM events WHERE seq > ?').run(entries - 2);
    sqlite.close();
    const verify = await planflow(dir, ['verify']);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(new RegExp(`^truncated: the log ends at entry #${entries - 2}`));
    expect(verify.out).toContain('planflow repair --db');
    expect((await planflow(dir, ['task', 'list'])).code).toBe(1);
    const repair = await planflow(dir, ['repair']);
    expect(repair.code).toBe(0);
    expect(repair.out).toContain('moved to');
    expect((await planflow(dir, ['verify', '--public-key', 'public.pem'])).code).toBe(0);
  });
});
