import { type KeyObject, sign, verify } from 'node:crypto';
import type { IsoInstant } from '../domain/types.js';
import type { LogHead } from './EventStore.js';
import { toIso } from './EventStore.js';
import type { CheckpointSigner } from './signingKey.js';

/**
 * A signed statement "this log's entry #`seq` has hash `hash`", made by the holder of a
 * signing key at `time`. The hash of an entry covers every entry before it (the chain), so
 * one valid checkpoint vouches for the whole log up to `seq`: changing any of those entries
 * and recomputing the chain gives a different hash, which no one without the key can sign.
 */
export type Checkpoint = Readonly<{
  seq: number;
  /** The hash of entry #`seq` (hex), i.e. the head at the time of signing. */
  hash: string;
  time: IsoInstant;
  /** sha256 (hex) of the raw Ed25519 public key that signed; see `keyIdOf`. */
  keyId: string;
  /** Ed25519 signature (base64) over {@link checkpointBytes} of the other fields. */
  signature: string;
}>;

/**
 * Opens every signed message, so a signature made for a checkpoint can never be passed off
 * as one over some other PlanFlow (or foreign) message made with the same key.
 */
const DOMAIN = 'planflow-checkpoint-v1';

/**
 * The exact bytes a checkpoint's signature covers: a domain-separation prefix, then seq,
 * hash, time and key id, joined by newlines (none of them can contain one). Documented in
 * docs/security.md so a checkpoint can be checked with other tools (`openssl pkeyutl`).
 */
export function checkpointBytes(fields: Omit<Checkpoint, 'signature'>): Buffer {
  return Buffer.from(
    `${DOMAIN}\n${fields.seq}\n${fields.hash}\n${fields.time}\n${fields.keyId}`,
    'utf8',
  );
}

/** Signs `head` as it is at `timeMs`. */
export function signCheckpoint(
  signer: CheckpointSigner,
  head: LogHead,
  timeMs: number,
): Checkpoint {
  const fields = { seq: head.seq, hash: head.hash, time: toIso(timeMs), keyId: signer.keyId };
  const signature = sign(null, checkpointBytes(fields), signer.privateKey).toString('base64');
  return Object.freeze({ ...fields, signature });
}

/**
 * True when `checkpoint` carries a valid signature by `publicKey` (whose id is `keyId`).
 * A malformed signature is simply not valid: the checkpoint comes from a file anyone who
 * can write the log could have edited.
 */
export function isSignedBy(checkpoint: Checkpoint, publicKey: KeyObject, keyId: string): boolean {
  if (checkpoint.keyId !== keyId) return false;
  try {
    return verify(
      null,
      checkpointBytes(checkpoint),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
