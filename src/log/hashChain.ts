import { hash } from 'node:crypto';

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an entry that its hash covers (everything but the hash itself). */
export type HashedFields = Readonly<{
  seq: number;
  id: string;
  type: string;
  time: string;
  stream: string;
  schemaVersion: number;
  prevHash: string;
  /** The payload exactly as stored: its JSON text, so verification needs no re-serialisation. */
  dataJson: string;
}>;

/**
 * sha256 (hex) of one entry chained to the previous one. Fields are joined with a newline,
 * which cannot occur unescaped inside JSON text or the other fields' formats.
 *
 * One-shot `hash()` rather than a `Hash` object: verifying a log hashes every entry, and the
 * object's setup cost more than the digest itself (about 1.1 µs against 0.5 µs per entry).
 */
export function entryHash(fields: HashedFields): string {
  return hash(
    'sha256',
    `${fields.seq}\n${fields.id}\n${fields.type}\n${fields.time}\n${fields.stream}\n${fields.schemaVersion}\n${fields.prevHash}\n${fields.dataJson}`,
    'hex',
  );
}
