import type { InputRecord } from '../domain/validateFields.js';
import { invalidOption, type OptionKeys, readOptions } from '../domain/validateOptions.js';
import {
  type CheckpointEvery,
  DEFAULT_CHECKPOINT_EVERY,
  type ResolvedCheckpointEvery,
} from './checkpointSchedule.js';
import { type CheckpointSigner, type KeyInput, parseSigningKey } from './signingKey.js';

/** The signing options both stores take (each store's options type lists them too). */
export type SigningOptions = Readonly<{
  /**
   * An Ed25519 private key (a `KeyObject` or its PEM text). With one, the store signs a
   * checkpoint of its head every `checkpointEvery` and on `close()`, so `verify()` with the
   * public key detects a rewritten chain and a tail cut back past the last checkpoint. See
   * docs/security.md. @default undefined (no checkpoints)
   */
  signingKey?: KeyInput;
  /** When to sign; needs `signingKey`. @default { entries: 1000, ms: 60000 } */
  checkpointEvery?: CheckpointEvery;
}>;

/** What a store signs with and when, once checked. */
export type ResolvedSigning = Readonly<{
  signer: CheckpointSigner;
  every: ResolvedCheckpointEvery;
}>;

const EVERY_KEYS: OptionKeys<CheckpointEvery> = { entries: true, ms: true };

function positive(component: string, value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 1));
  if (!ok) {
    throw invalidOption(
      component,
      field,
      'an integer ≥ 1 or Infinity (never by this measure)',
      value,
      `Omit it for the default ${fallback}.`,
    );
  }
  return value as number;
}

/**
 * Checks `signingKey` and `checkpointEvery` of a store's options record: the key must be an
 * Ed25519 private key and the cadence positive integers or `Infinity`, but not both
 * `Infinity` (only `close()` would sign, so a crash would leave the tail unsigned);
 * `checkpointEvery` without a key is refused rather than silently ignored. `undefined` when
 * the store does not sign.
 */
export function resolveSigningOptions(
  component: string,
  record: InputRecord,
): ResolvedSigning | undefined {
  const { signingKey, checkpointEvery } = record;
  if (signingKey === undefined) {
    if (checkpointEvery !== undefined) {
      throw invalidOption(
        component,
        'checkpointEvery',
        'given only together with signingKey',
        checkpointEvery,
        'Checkpoints are signed: pass signingKey too, or drop checkpointEvery.',
      );
    }
    return undefined;
  }
  const signer = parseSigningKey(component, 'options.signingKey', signingKey);
  const given = readOptions(
    component,
    checkpointEvery,
    EVERY_KEYS,
    '{ entries: 1000, ms: 60000 }',
    'options.checkpointEvery',
  );
  const entries = positive(
    component,
    given.entries,
    'checkpointEvery.entries',
    DEFAULT_CHECKPOINT_EVERY.entries,
  );
  const ms = positive(component, given.ms, 'checkpointEvery.ms', DEFAULT_CHECKPOINT_EVERY.ms);
  if (entries === Number.POSITIVE_INFINITY && ms === Number.POSITIVE_INFINITY) {
    throw invalidOption(
      component,
      'checkpointEvery',
      'a cadence with entries or ms finite',
      checkpointEvery,
      'With both Infinity only close() would sign, and a crash would leave the log unsigned.',
    );
  }
  return Object.freeze({ signer, every: Object.freeze({ entries, ms }) });
}
