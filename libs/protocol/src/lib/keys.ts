import {
  KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
} from 'node:crypto';
import { readCanonicalRsaSpkiPem } from './rsa-spki';

export const MIN_RSA_BITS = 2048;
const REQUIRED_PUBLIC_EXPONENT = 65537n;
/** Same bound as the announcement DTO's `public_key`; nothing longer is worth parsing. */
export const MAX_PUBLIC_KEY_PEM_CHARS = 16384;
/** Enough for every server of a large federation; beyond it the oldest entries go. */
export const PUBLIC_KEY_CACHE_SIZE = 10_000;

/** A PEM that does not hold an RSA key of the expected kind. */
export class InvalidKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKeyError';
  }
}

interface CachedKey {
  key: KeyObject;
  fingerprint?: string;
}

// Every announcement, envelope and message carries or names a PEM; parsing one costs far more
// than hashing it. The cache is keyed by the PEM's SHA-256 so that its memory stays bounded
// whatever size of PEM peers send.
const publicKeyCache = new Map<string, CachedKey>();
const fingerprintByKey = new WeakMap<KeyObject, string>();

function cacheSlot(pem: string): string {
  return createHash('sha256').update(pem, 'utf8').digest('hex');
}

function cachedPublicKey(pem: string): CachedKey {
  if (typeof pem !== 'string') throw new InvalidKeyError('public key must be a PEM string');
  const slot = cacheSlot(pem);
  const hit = publicKeyCache.get(slot);
  if (hit) {
    // Re-insert so that Map order is least-recently-used first.
    publicKeyCache.delete(slot);
    publicKeyCache.set(slot, hit);
    return hit;
  }
  const entry = parsePublicKeyUncached(pem);
  publicKeyCache.set(slot, entry);
  if (publicKeyCache.size > PUBLIC_KEY_CACHE_SIZE) {
    const oldest = publicKeyCache.keys().next().value;
    if (oldest !== undefined) publicKeyCache.delete(oldest);
  }
  return entry;
}

// The smallest and largest moduli the fast path imports (bits): a key outside takes OpenSSL's
// PEM path, so that the fast path never decides about unusual keys.
const FAST_PATH_MIN_BITS = 1024;
const FAST_PATH_MAX_BITS = 16384;
const FAST_PATH_MAX_EXPONENT_BYTES = 8;

function parsePublicKeyUncached(pem: string): CachedKey {
  if (pem.length > MAX_PUBLIC_KEY_PEM_CHARS) throw new InvalidKeyError('public key PEM too long');
  // Only SubjectPublicKeyInfo is a published key; createPublicKey would also accept a private
  // key or a certificate and quietly derive the public half.
  const trimmed = pem.trim();
  if (
    !trimmed.startsWith('-----BEGIN PUBLIC KEY-----') ||
    !trimmed.endsWith('-----END PUBLIC KEY-----') ||
    trimmed.indexOf('-----BEGIN', 1) !== -1
  ) {
    throw new InvalidKeyError('public key must be one "BEGIN PUBLIC KEY" PEM block');
  }
  const fast = importCanonicalRsaPem(pem);
  if (fast !== null) return fast;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new InvalidKeyError('public key PEM cannot be parsed');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidKeyError('public key is not RSA');
  return { key };
}

/**
 * A canonical RSA SPKI PEM (rsa-spki.ts) imported through its modulus and exponent as a JWK
 * (≈ 12 µs instead of ≈ 240 µs through OpenSSL's PEM decoders), with its fingerprint hashed
 * from the DER it holds (≈ 300 µs less than exporting the key again). Null when the PEM is
 * not recognised or the key is outside the sizes above: the caller then uses OpenSSL's parser.
 */
function importCanonicalRsaPem(pem: string): CachedKey | null {
  const spki = readCanonicalRsaSpkiPem(pem);
  if (spki === null) return null;
  const bits = spki.n.length * 8 - Math.clz32(spki.n[0]) + 24;
  if (bits < FAST_PATH_MIN_BITS || bits > FAST_PATH_MAX_BITS) return null;
  if (spki.e.length > FAST_PATH_MAX_EXPONENT_BYTES) return null;
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: { kty: 'RSA', n: spki.n.toString('base64url'), e: spki.e.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return null;
  }
  const fp = createHash('sha256').update(spki.der).digest('hex').toUpperCase();
  fingerprintByKey.set(key, fp);
  return { key, fingerprint: fp };
}

/** Parses an SPKI PEM RSA public key; each distinct PEM is parsed once. */
export function parsePublicKey(pem: string): KeyObject {
  return cachedPublicKey(pem).key;
}

/** Parses a PKCS#8 PEM RSA private key (a server's own key, so not cached). */
export function parsePrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new InvalidKeyError('private key PEM cannot be parsed');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidKeyError('private key is not RSA');
  return key;
}

function asPublic(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** SPKI PEM, the form announcements publish. Accepts a private key and exports its public half. */
export function publicKeyPem(key: KeyObject): string {
  return asPublic(key).export({ type: 'spki', format: 'pem' }).toString();
}

function fingerprintOfKey(key: KeyObject): string {
  const known = fingerprintByKey.get(key);
  if (known) return known;
  const der = asPublic(key).export({ type: 'spki', format: 'der' });
  const fp = createHash('sha256').update(der).digest('hex').toUpperCase();
  fingerprintByKey.set(key, fp);
  return fp;
}

/** SHA-256 of the DER SubjectPublicKeyInfo, 64 uppercase hex characters. */
export function fingerprint(key: KeyObject | string): string {
  if (typeof key !== 'string') return fingerprintOfKey(key);
  const entry = cachedPublicKey(key);
  entry.fingerprint ??= fingerprintOfKey(entry.key);
  return entry.fingerprint;
}

export function rsaModulusBits(key: KeyObject): number {
  return key.asymmetricKeyType === 'rsa' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 0;
}

/** RSA, at least 2048 bits, e = 65537: the only keys the protocol lets a server use. */
export function isAcceptableServerKey(key: KeyObject): boolean {
  return (
    key instanceof KeyObject &&
    key.asymmetricKeyType === 'rsa' &&
    rsaModulusBits(key) >= MIN_RSA_BITS &&
    key.asymmetricKeyDetails?.publicExponent === REQUIRED_PUBLIC_EXPONENT
  );
}

/** A fresh server key pair: RSA-2048, e = 65537, PKCS#8 private and SPKI public PEM. */
export function generateServerKeyPem(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: MIN_RSA_BITS,
    publicExponent: Number(REQUIRED_PUBLIC_EXPONENT),
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}
