import type { KeyObject } from 'node:crypto';
import { ValidationError } from '../domain/errors.js';
import { type OptionKeys, readOptions } from '../domain/validateOptions.js';
import { describeValue } from '../domain/validationFailure.js';
import { type Checkpoint, isSignedBy } from './checkpoint.js';
import type { LogHead } from './EventStore.js';
import { GENESIS_HASH } from './hashChain.js';
import { type KeyInput, keyIdOf, parsePublicKey } from './signingKey.js';
import type { VerifyProblem, VerifyResult } from './verifyChain.js';

/** What `verify()` checks beyond the hash chain. */
export type VerifyOptions = Readonly<{
  /**
   * The Ed25519 public key the log's checkpoints must be signed with (a `KeyObject` or PEM
   * text; a private key works too). With it, a rewritten and recomputed chain, a
   * checkpoint signed by another key and a log with no checkpoint of this key fail.
   */
  publicKey?: KeyInput;
  /**
   * A head anchored somewhere the log's writer cannot reach, as `'<seq>:<hash>'` (what
   * `planflow head` prints) or `{ seq, hash }`: the log must still hold that entry with that
   * hash. An honest log only grows, so an old anchor stays valid.
   */
  expectHead?: string | LogHead;
  /**
   * Walk the whole chain. By default a store that keeps a verified mark (SQLite) walks only
   * the entries after it, after checking that the entry it names still has its hash; the
   * signed checkpoints, the mirrored head and `expectHead` are checked either way, each by
   * looking up the entry it names. @default false
   */
  full?: boolean;
}>;

/** {@link VerifyOptions} once checked. */
export type ResolvedVerifyOptions = Readonly<{
  publicKey: KeyObject | undefined;
  expectHead: LogHead | undefined;
  full: boolean;
}>;

/** A checkpoint kept outside the log (SQLite: `<path>.head`), or why it cannot be read. */
export type MirroredCheckpoint = Readonly<
  { where: string } & ({ checkpoint: Checkpoint } | { damaged: string })
>;

/** What a store holds to check its chain against. */
export type CheckpointEvidence = Readonly<{
  /** Every checkpoint in the log, in seq order. */
  checkpoints: readonly Checkpoint[];
  /** The latest checkpoint as mirrored outside the log, when the store keeps one. */
  mirror?: MirroredCheckpoint | undefined;
  /** The stored hash of entry #`seq`, undefined when there is no such entry. */
  hashAt(seq: number): string | undefined;
  /**
   * The last entry moved into an archive segment (0 or absent: none): an anchored head at or
   * before it is checked against the segments with `verifyArchive`, not here.
   */
  archivedUpTo?: number;
}>;

const KEYS: OptionKeys<VerifyOptions> = { publicKey: true, expectHead: true, full: true };

const NO_OPTIONS: ResolvedVerifyOptions = Object.freeze({
  publicKey: undefined,
  expectHead: undefined,
  full: false,
});

const HEAD_PATTERN = /^(\d{1,16}):([0-9a-fA-F]{64})$/;

/**
 * Reads an anchored head, `'<seq>:<hash>'` (64 hex digits) or `{ seq, hash }`.
 * @throws ValidationError naming `field` and the accepted form.
 */
export function parseLogHead(
  component: string,
  field: string,
  value: unknown,
  code: 'planflow:invalid-options' | 'planflow:invalid-input' = 'planflow:invalid-options',
): LogHead {
  let seq: unknown;
  let hash: unknown;
  if (typeof value === 'string') {
    const match = HEAD_PATTERN.exec(value.trim());
    seq = match === null ? undefined : Number(match[1]);
    hash = match?.[2]?.toLowerCase();
  } else if (typeof value === 'object' && value !== null) {
    ({ seq, hash } = value as Record<string, unknown>);
  }
  const valid =
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 0 &&
    typeof hash === 'string' &&
    /^[0-9a-f]{64}$/.test(hash) &&
    (seq > 0 || hash === GENESIS_HASH);
  if (!valid) {
    throw new ValidationError(
      code,
      field,
      `${component}: ${field} must be a head as "<seq>:<hash>" (an entry number and its 64-digit hex hash, as planflow head prints it), got ${describeValue(value)}`,
    );
  }
  return Object.freeze({ seq: seq as number, hash: hash as string });
}

/** Checks `verify()` options: known keys only, an Ed25519 public key, a well-formed head. */
export function resolveVerifyOptions(
  component: string,
  options: VerifyOptions | undefined,
): ResolvedVerifyOptions {
  if (options === undefined) return NO_OPTIONS;
  const record = readOptions(
    `${component}.verify`,
    options,
    KEYS,
    '{ publicKey, expectHead, full }',
  );
  if (record.full !== undefined && typeof record.full !== 'boolean') {
    throw new ValidationError(
      'planflow:invalid-options',
      'options.full',
      `${component}.verify: options.full must be true or false, got ${describeValue(record.full)}`,
    );
  }
  return Object.freeze({
    full: record.full === true,
    publicKey:
      record.publicKey === undefined
        ? undefined
        : parsePublicKey(component, 'options.publicKey', record.publicKey),
    expectHead:
      record.expectHead === undefined
        ? undefined
        : parseLogHead(component, 'options.expectHead', record.expectHead),
  });
}

const short = (hex: string): string => `${hex.slice(0, 16)}…`;

/** A checkpoint as a message names it. */
const named = (checkpoint: Checkpoint, where: string | undefined): string =>
  `${where === undefined ? 'the checkpoint' : `the head file ${where}`} of entry #${checkpoint.seq} (signed ${checkpoint.time} by key ${short(checkpoint.keyId)})`;

type Source = Readonly<{ checkpoint: Checkpoint; where: string | undefined }>;

/**
 * Checks a verified chain against its signed checkpoints, the checkpoint mirrored outside
 * the log and an anchored head. `chain` is the result of the chain walk (`verifyChain`); a
 * failed walk is returned as it is, since nothing can be proven about a broken chain.
 *
 * Every checkpoint — signed by any key, or none given — must name an entry the log still
 * has, with that entry's hash: otherwise the tail was cut (`truncated`) or the chain was
 * rewritten (`forged`). This much catches accidents (a lost `-wal`, deleted rows) even
 * without a key. With `publicKey`, a checkpoint naming that key must carry its valid
 * signature (`bad-checkpoint`), and at least one must exist once the log has entries
 * (`unsigned`): then `signedUpTo` says how far the key vouches for the chain. The anchored
 * `expectHead` entry must be present with its hash (`expected-head`).
 */
export function verifyCheckpoints(
  chain: VerifyResult,
  evidence: CheckpointEvidence,
  options?: VerifyOptions,
): VerifyResult {
  if (!chain.ok) return chain;
  const { publicKey, expectHead } = resolveVerifyOptions('verify', options);
  const keyId = publicKey === undefined ? undefined : keyIdOf(publicKey);
  const head: LogHead = { seq: chain.entries, hash: chain.headHash };
  const { mirror } = evidence;
  const sources: Source[] = evidence.checkpoints.map((checkpoint) => ({
    checkpoint,
    where: undefined,
  }));
  if (mirror !== undefined && 'checkpoint' in mirror) {
    sources.push({ checkpoint: mirror.checkpoint, where: mirror.where });
  }
  sources.sort((a, b) => a.checkpoint.seq - b.checkpoint.seq);

  // Entries sound checkpoints (of the key, when one is given) vouch for, in seq order.
  const trusted: number[] = [];
  let vouched = 0;
  let signed = 0;
  const fail = (problem: VerifyProblem, firstBadSeq: number, reason: string): VerifyResult => ({
    ok: false,
    entries: firstBadSeq - 1,
    firstBadSeq,
    problem,
    reason,
  });
  for (const { checkpoint, where } of sources) {
    const byKey = keyId !== undefined && checkpoint.keyId === keyId;
    if (byKey && !isSignedBy(checkpoint, publicKey!, keyId)) {
      return fail(
        'bad-checkpoint',
        vouched + 1,
        `${named(checkpoint, where)} names the given public key, but its signature does not verify: it was altered or made without the key`,
      );
    }
    if (checkpoint.seq > head.seq) {
      return fail(
        'truncated',
        head.seq + 1,
        `the log ends at entry #${head.seq}, but ${named(checkpoint, where)} says entry #${checkpoint.seq} was written: entries were removed from the end (deleted rows, a lost -wal file, a file cut short)`,
      );
    }
    if (evidence.hashAt(checkpoint.seq) !== checkpoint.hash) {
      return fail(
        'forged',
        vouched + 1,
        `entry #${checkpoint.seq} has hash ${short(evidence.hashAt(checkpoint.seq) ?? '?')}, but ${named(checkpoint, where)} says ${short(checkpoint.hash)}: the chain up to it was rewritten and recomputed`,
      );
    }
    if (keyId === undefined || byKey) {
      trusted.push(checkpoint.seq);
      vouched = checkpoint.seq;
    }
    if (byKey) signed++;
  }
  if (mirror !== undefined && 'damaged' in mirror) {
    return fail(
      'bad-checkpoint',
      vouched + 1,
      `the head file ${mirror.where} is not a checkpoint (${mirror.damaged}); it is only ever replaced whole, so it was edited or damaged`,
    );
  }
  if (keyId !== undefined && signed === 0 && head.seq > 0) {
    const others = [...new Set(sources.map((s) => short(s.checkpoint.keyId)))];
    return fail(
      'unsigned',
      1,
      others.length === 0
        ? `no checkpoint is signed by the given public key (${short(keyId)}): the log holds none, so nothing proves who wrote it (was it written without signingKey, or were its checkpoints removed?)`
        : `no checkpoint is signed by the given public key (${short(keyId)}); the log's are signed by ${others.join(', ')}: is it the right public key?`,
    );
  }
  if (expectHead !== undefined) {
    if (expectHead.seq > head.seq) {
      return fail(
        'expected-head',
        head.seq + 1,
        `the anchored head is entry #${expectHead.seq}, but the log ends at entry #${head.seq}: entries were removed from the end`,
      );
    }
    const found = expectHead.seq === 0 ? GENESIS_HASH : evidence.hashAt(expectHead.seq);
    if (found === undefined && expectHead.seq <= (evidence.archivedUpTo ?? 0)) {
      return fail(
        'expected-head',
        expectHead.seq,
        `the anchored entry #${expectHead.seq} was archived into a segment (the live log starts after entry #${evidence.archivedUpTo}); check the anchor against the archive: planflow verify --archive <segments…> --expect-head …, or verifyArchive(segments, store, { expectHead })`,
      );
    }
    if (found !== expectHead.hash) {
      const below = trusted.filter((seq) => seq < expectHead.seq).pop() ?? 0;
      return fail(
        'expected-head',
        below + 1,
        `entry #${expectHead.seq} has hash ${short(found ?? '?')}, not the anchored ${short(expectHead.hash)}: the log up to it was rewritten`,
      );
    }
  }
  return keyId === undefined ? chain : { ...chain, signedUpTo: vouched };
}
