import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePublicKey, parseSigningKey } from '../log/signingKey.js';
import { inputError } from './exitCodes.js';
import { quoteText } from './format/escapeText.js';

/** Longest key file read: an Ed25519 PEM is ~120 bytes; anything huge is not a key. */
const MAX_KEY_FILE = 16 * 1024;

/**
 * Reads the PEM key file `path` given with `flag` (`--signing-key`, `--public-key`): the
 * Ed25519 private key a writer signs with, or the public key `verify` checks against (a
 * private key works there too). A missing, unreadable, huge or non-Ed25519 file is refused
 * with exit 2 before the log is opened, so a bad key never leaves an unsigned write behind.
 */
export function readKeyFile(flag: string, path: string, kind: 'signing' | 'public'): KeyObject {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_KEY_FILE) {
      throw new Error(`it is ${bytes.length} bytes long, far too long for a key`);
    }
    text = bytes.toString('utf8');
  } catch (error) {
    throw inputError(
      flag,
      `${flag}: cannot read the key file ${quoteText(path)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return kind === 'signing'
    ? parseSigningKey(flag, `key file ${quoteText(path)}`, text, 'planflow:invalid-input')
        .privateKey
    : parsePublicKey(flag, `key file ${quoteText(path)}`, text, 'planflow:invalid-input');
}
