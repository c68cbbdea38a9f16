import { createPrivateKey, createPublicKey, hash, KeyObject } from 'node:crypto';
import { ValidationError } from '../domain/errors.js';
import { describeValue } from '../domain/validationFailure.js';

/** A key as PlanFlow accepts it: a `node:crypto` `KeyObject` or the key's PEM text. */
export type KeyInput = KeyObject | string;

/** What a store signs checkpoints with: the private key, its public half and the key's id. */
export type CheckpointSigner = Readonly<{
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** sha256 (hex) of the raw 32-byte public key; names the key in every checkpoint. */
  keyId: string;
}>;

/** The way to a usable key, ending every message about a refused one. */
const HOW_TO_MAKE =
  "make an Ed25519 key with `openssl genpkey -algorithm ed25519 -out planflow-signing.pem` (its public half: `openssl pkey -in planflow-signing.pem -pubout -out planflow-public.pem`) or crypto.generateKeyPairSync('ed25519')";

type KeyScope = Readonly<{ component: string; field: string; code?: KeyErrorCode }>;
type KeyErrorCode = 'planflow:invalid-options' | 'planflow:invalid-input';

function keyError(scope: KeyScope, what: string): ValidationError {
  return new ValidationError(
    scope.code ?? 'planflow:invalid-options',
    scope.field,
    `${scope.component}: ${scope.field} ${what}; ${HOW_TO_MAKE}`,
  );
}

/** The reason node:crypto gave, without its stack, for a message. */
const reasonOf = (error: unknown): string =>
  error instanceof Error ? error.message : describeValue(error);

/**
 * Describes a string that is not PEM without echoing it: it may be key material in another
 * encoding, and messages end up in logs.
 */
const notPem = (text: string): string =>
  text.length === 0 ? 'an empty string' : `a string of ${text.length} characters that is not PEM`;

/** Describes a key that is not Ed25519 by its type, so "an RSA key" reads as such. */
function requireEd25519(scope: KeyScope, key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw keyError(
      scope,
      `must be an Ed25519 key, got ${key.asymmetricKeyType === undefined ? 'a secret (symmetric) key' : `an ${key.asymmetricKeyType.toUpperCase()} key`}`,
    );
  }
}

/** sha256 (hex) of the raw public key: the same id whatever encoding the key came in. */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  return hash('sha256', Buffer.from(String(jwk.x), 'base64url'), 'hex');
}

/**
 * Reads the private key a store signs checkpoints with: an Ed25519 private `KeyObject` or
 * its PEM text (PKCS#8, as `openssl genpkey` writes it). Anything else — a public key, an
 * RSA or EC key, an encrypted PEM, garbage — is refused with a `ValidationError` that says
 * how to make a usable key.
 * @example
 * const signer = parseSigningKey('sqliteStore', 'options.signingKey', readFileSync('key.pem', 'utf8'));
 */
export function parseSigningKey(
  component: string,
  field: string,
  value: unknown,
  code?: KeyErrorCode,
): CheckpointSigner {
  const scope: KeyScope = code === undefined ? { component, field } : { component, field, code };
  let privateKey: KeyObject;
  if (value instanceof KeyObject) {
    if (value.type !== 'private') {
      throw keyError(
        scope,
        `must be the private key (signing needs it), got a ${value.type} key; pass the public key to verify() instead`,
      );
    }
    privateKey = value;
  } else if (typeof value === 'string') {
    if (!value.includes('PRIVATE KEY-----')) {
      throw keyError(
        scope,
        value.includes('PUBLIC KEY-----')
          ? 'must be the private key (signing needs it), got a PEM public key; pass the public key to verify() instead'
          : `must be a PEM private key ("-----BEGIN PRIVATE KEY-----" …), got ${notPem(value)}`,
      );
    }
    try {
      privateKey = createPrivateKey(value);
    } catch (error) {
      throw keyError(scope, `could not be read as a private key (${reasonOf(error)})`);
    }
  } else {
    throw keyError(scope, `must be a KeyObject or a PEM string, got ${describeValue(value)}`);
  }
  requireEd25519(scope, privateKey);
  const publicKey = createPublicKey(privateKey);
  return Object.freeze({ privateKey, publicKey, keyId: keyIdOf(publicKey) });
}

/**
 * Reads the public key checkpoints are verified with: an Ed25519 `KeyObject` or PEM text
 * (SPKI, as `openssl pkey -pubout` writes it). A private key is accepted too — its public
 * half is used — so a writer can check its own log. Anything else is a `ValidationError`.
 */
export function parsePublicKey(
  component: string,
  field: string,
  value: unknown,
  code?: KeyErrorCode,
): KeyObject {
  const scope: KeyScope = code === undefined ? { component, field } : { component, field, code };
  let key: KeyObject;
  if (value instanceof KeyObject) {
    if (value.type === 'secret') {
      throw keyError(scope, 'must be an Ed25519 public key, got a secret (symmetric) key');
    }
    key = value.type === 'private' ? createPublicKey(value) : value;
  } else if (typeof value === 'string') {
    if (!/-----BEGIN (PUBLIC|PRIVATE) KEY-----/.test(value)) {
      throw keyError(
        scope,
        `must be a PEM public key ("-----BEGIN PUBLIC KEY-----" …), got ${notPem(value)}`,
      );
    }
    try {
      key = createPublicKey(value);
    } catch (error) {
      throw keyError(scope, `could not be read as a public key (${reasonOf(error)})`);
    }
  } else {
    throw keyError(scope, `must be a KeyObject or a PEM string, got ${describeValue(value)}`);
  }
  requireEd25519(scope, key);
  return key;
}
