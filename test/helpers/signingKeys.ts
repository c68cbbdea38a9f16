import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { StoredEvent } from '../../src/log/events.js';
import { entryHash } from '../../src/log/hashChain.js';

/** Keys and forgeries shared by the checkpoint tests. */

export type KeyPair = Readonly<{
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}>;

/** A fresh Ed25519 key pair, as objects and as the PEM text `openssl` would write. */
export function ed25519Pair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/**
 * What the "15-line script" did: change one entry's payload and recompute the hash
 * of it and of every entry after it with the exported `entryHash`, so the plain chain check
 * passes. Returns new entries; the input is not changed.
 */
export function recomputeChain(
  entries: readonly StoredEvent[],
  seq: number,
  data: unknown,
): StoredEvent[] {
  const forged: StoredEvent[] = [];
  let prevHash = seq === 1 ? entries[0]!.prevHash : entries[seq - 2]!.hash;
  for (const entry of entries) {
    if (entry.seq < seq) {
      forged.push(entry);
      continue;
    }
    const changed = { ...entry, data: entry.seq === seq ? data : entry.data, prevHash };
    const hash = entryHash({ ...changed, dataJson: JSON.stringify(changed.data) });
    forged.push({ ...changed, hash } as StoredEvent);
    prevHash = hash;
  }
  return forged;
}
