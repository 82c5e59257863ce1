import { generateKeyPairSync } from 'node:crypto';
import { readFixtureJson } from '../../test/spec-paths';
import { parsePrivateKey, parsePublicKey } from './keys';
import {
  messageDigest,
  signBytes,
  signObject,
  signObjectAsync,
  signingInput,
  verifiedDigest,
  verifyBytes,
  verifyObjectSignature,
  verifyRotationSignature,
  addRotationSignature,
} from './signing';

interface KeyVector {
  private_key_pkcs8: string;
  public_key: string;
}
const keys = readFixtureJson<{ keys: Record<string, KeyVector> }>('test-vectors.json').keys;
const privateKey = parsePrivateKey(keys['mirah.example.com'].private_key_pkcs8);
const publicKey = parsePublicKey(keys['mirah.example.com'].public_key);
const otherPublicKey = parsePublicKey(keys['other-server.com'].public_key);

describe('signing', () => {
  const object = { version: '1.0', b: 'two', a: 1, nested: { y: true, x: null } };

  it('signs a copy, leaving the input untouched', () => {
    const input = { ...object };
    const signed = signObject(input, privateKey);
    expect(input).toEqual(object);
    expect(signed).toEqual({ ...object, signature: expect.any(String) });
    expect(verifyObjectSignature(signed, publicKey)).toBe(true);
  });

  it('drops an old signature and rotation signature before signing', () => {
    const signed = signObject(
      { ...object, signature: 'old', rotation_signature: 'old' },
      privateKey,
    );
    expect(signed).not.toHaveProperty('rotation_signature');
    expect(signed.signature).toBe(signObject(object, privateKey).signature);
  });

  it('signs asynchronously to the same (deterministic) signature', async () => {
    const signed = await signObjectAsync(object, privateKey);
    expect(signed.signature).toBe(signObject(object, privateKey).signature);
  });

  it('rejects the async form when the key is not RSA', async () => {
    const { privateKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(signObjectAsync(object, ec)).rejects.toThrow();
  });

  it('fails to verify with another key', () => {
    expect(verifyObjectSignature(signObject(object, privateKey), otherPublicKey)).toBe(false);
  });

  it('fails to verify when an unknown member is added after signing', () => {
    const signed = signObject(object, privateKey);
    expect(verifyObjectSignature({ ...signed, extra: 1 }, publicKey)).toBe(false);
  });

  it('counts members the receiver does not know in the signing input', () => {
    const signed = signObject({ ...object, future_member: [1, 2] }, privateKey);
    expect(verifyObjectSignature(signed, publicKey)).toBe(true);
    expect(signingInput(signed)).toContain('future_member');
  });

  it('verifies a rotation signature over the same signing input', () => {
    const signed = signObject(object, privateKey);
    const rotated = { ...signed, rotation_signature: signed.signature };
    expect(verifyRotationSignature(rotated, publicKey)).toBe(true);
    expect(verifyObjectSignature(rotated, publicKey)).toBe(true);
    expect(verifyRotationSignature(signed, publicKey)).toBe(false);
  });

  it('rotates a key: the new key signs, the pinned key adds the rotation signature', () => {
    const newKey = parsePrivateKey(keys['mirah.example.com (rotated)'].private_key_pkcs8);
    const newPublic = parsePublicKey(keys['mirah.example.com (rotated)'].public_key);
    const rotated = addRotationSignature(signObject(object, newKey), privateKey);
    expect(verifyObjectSignature(rotated, newPublic)).toBe(true);
    expect(verifyRotationSignature(rotated, publicKey)).toBe(true);
    expect(verifyRotationSignature(rotated, newPublic)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a string', 12345],
    ['not base64', '!!!not-base64!!!'],
    ['URL-safe base64', 'ab-_'],
    ['unpadded base64', 'abc'],
    ['valid base64 of garbage', Buffer.from('garbage').toString('base64')],
  ])('returns false, without throwing, for a signature that is %s', (_why, signature) => {
    expect(verifyObjectSignature({ ...object, signature }, publicKey)).toBe(false);
  });

  it.each([null, undefined, [], 'string', 42, { signature: 'AAAA', n: NaN }])(
    'returns false for the non-object or unserialisable %p',
    (value) => {
      expect(verifyObjectSignature(value as object, publicKey)).toBe(false);
    },
  );

  it('returns false for a non-RSA verification key', () => {
    const { publicKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signed = signObject(object, privateKey);
    expect(verifyObjectSignature(signed, ec)).toBe(false);
    expect(verifyBytes('x', signed.signature, null as unknown as typeof publicKey)).toBe(false);
  });

  it('signs and verifies raw strings as UTF-8', () => {
    const signature = signBytes('café ☕', privateKey);
    expect(verifyBytes('café ☕', signature, publicKey)).toBe(true);
    expect(verifyBytes('cafe ☕', signature, publicKey)).toBe(false);
  });

  it('digests a message independently of its signatures', () => {
    const a = messageDigest({ ...object, signature: 'one' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(messageDigest({ ...object, signature: 'two' })).toBe(a);
    expect(messageDigest({ ...object, a: 2 })).not.toBe(a);
  });

  it('answers the digest of a verified object, as messageDigest does', () => {
    const signed = signObject(object, privateKey);
    expect(verifiedDigest(signed, publicKey)).toBe(messageDigest(signed));
  });

  it('answers null instead of a digest when the signature does not verify', () => {
    const signed = signObject(object, privateKey);
    expect(verifiedDigest(signed, otherPublicKey)).toBeNull();
    expect(verifiedDigest({ ...signed, extra: 1 }, publicKey)).toBeNull();
    expect(verifiedDigest({ ...object, signature: 42 }, publicKey)).toBeNull();
  });
});
