import { KeyObject, constants, createHash, sign, verify } from 'node:crypto';
import { canonicalize } from './canonical-json';

/** Top-level members that carry signatures and so are never part of what is signed. */
const SIGNATURE_MEMBERS = ['signature', 'rotation_signature'] as const;

/** Standard, padded base64, the only form the protocol uses for signatures. */
export const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function withoutSignatures<T extends object>(obj: T): Omit<T, 'signature' | 'rotation_signature'> {
  const copy: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
  for (const member of SIGNATURE_MEMBERS) delete copy[member];
  return copy as Omit<T, 'signature' | 'rotation_signature'>;
}

/** Canonical form of `obj` without its top-level `signature` and `rotation_signature`. */
// Parameters are typed `object` rather than Record<string, unknown> so that interfaces such as
// Message (which have no index signature) can be passed without a cast.
export function signingInput(obj: object): string {
  return canonicalize(withoutSignatures(obj));
}

// PKCS#1 v1.5 is set explicitly so that an RSA-PSS or EC key can never slip in a different
// scheme; the protocol has exactly one.
function rsaKey(key: KeyObject): { key: KeyObject; padding: number } {
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError('signing needs an RSA key');
  return { key, padding: constants.RSA_PKCS1_PADDING };
}

/** RSASSA-PKCS1-v1_5 / SHA-256 signature over the UTF-8 bytes of `data`, base64. */
export function signBytes(data: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(data, 'utf8'), rsaKey(key)).toString('base64');
}

/** Verifies a base64 signature; false (never an exception) for anything malformed. */
export function verifyBytes(data: string, signatureB64: string, key: KeyObject): boolean {
  try {
    if (typeof signatureB64 !== 'string' || signatureB64 === '' || !BASE64_RE.test(signatureB64)) {
      return false;
    }
    if (!(key instanceof KeyObject) || key.asymmetricKeyType !== 'rsa') return false;
    return verify(
      'sha256',
      Buffer.from(data, 'utf8'),
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(signatureB64, 'base64'),
    );
  } catch {
    return false;
  }
}

/** Returns a signed copy; any previous signature or rotation signature is dropped first. */
export function signObject<T extends object>(
  obj: T,
  privateKey: KeyObject,
): T & { signature: string } {
  const unsigned = withoutSignatures(obj);
  const signature = signBytes(canonicalize(unsigned), privateKey);
  return { ...unsigned, signature } as T & { signature: string };
}

/**
 * Adds `rotation_signature`, made with the previously pinned key over the same signing input,
 * so that peers move their pin to the new key. Call it on the object already signed with the
 * new key (signObject drops any rotation signature).
 */
export function addRotationSignature<T extends object>(
  obj: T,
  pinnedPrivateKey: KeyObject,
): T & { rotation_signature: string } {
  const rotation_signature = signBytes(signingInput(obj), pinnedPrivateKey);
  return { ...obj, rotation_signature };
}

/**
 * Same as signObject, but the RSA work runs on the libuv thread pool so that a busy server
 * (acks, gossip envelopes, relayed queries) does not block its event loop.
 */
export function signObjectAsync<T extends object>(
  obj: T,
  privateKey: KeyObject,
): Promise<T & { signature: string }> {
  return new Promise((resolve, reject) => {
    try {
      const unsigned = withoutSignatures(obj);
      const data = Buffer.from(canonicalize(unsigned), 'utf8');
      sign('sha256', data, rsaKey(privateKey), (err, sig) => {
        if (err) reject(err);
        else
          resolve({ ...unsigned, signature: sig.toString('base64') } as T & { signature: string });
      });
    } catch (err) {
      reject(err);
    }
  });
}

function verifyMember(obj: unknown, member: string, key: KeyObject): boolean {
  try {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return false;
    const sig = (obj as Record<string, unknown>)[member];
    if (typeof sig !== 'string') return false;
    return verifyBytes(signingInput(obj), sig, key);
  } catch {
    // canonicalize throws on values no JSON parser produces (cycles, NaN): not a valid object.
    return false;
  }
}

/**
 * Verifies `obj.signature` over the object exactly as received. Pass the parsed JSON, not a
 * DTO rebuilt from it: members this code does not know still count in the signing input.
 */
export function verifyObjectSignature(obj: object, publicKey: KeyObject): boolean {
  return verifyMember(obj, 'signature', publicKey);
}

/**
 * `verifyObjectSignature` and `messageDigest` of one object with a single canonicalisation:
 * the lowercase hex SHA-256 of the signing input when `obj.signature` verifies with
 * `publicKey`, else null (never an exception). For a receiver that needs both.
 */
export function verifiedDigest(obj: object, publicKey: KeyObject): string | null {
  try {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
    const sig = (obj as Record<string, unknown>).signature;
    if (typeof sig !== 'string') return null;
    const input = signingInput(obj);
    if (!verifyBytes(input, sig, publicKey)) return null;
    return createHash('sha256').update(input, 'utf8').digest('hex');
  } catch {
    return null;
  }
}

/** Verifies `obj.rotation_signature` (made with the previously pinned key). */
export function verifyRotationSignature(obj: object, pinnedKey: KeyObject): boolean {
  return verifyMember(obj, 'rotation_signature', pinnedKey);
}

/** Lowercase hex SHA-256 of a message's signing input: an ack's `message_digest`. */
export function messageDigest(message: object): string {
  return createHash('sha256').update(signingInput(message), 'utf8').digest('hex');
}
