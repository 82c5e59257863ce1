import { generateKeyPairSync } from 'node:crypto';
import { readFixtureJson } from '../../test/spec-paths';
import {
  InvalidKeyError,
  MIN_RSA_BITS,
  fingerprint,
  generateServerKeyPem,
  isAcceptableServerKey,
  parsePrivateKey,
  parsePublicKey,
  publicKeyPem,
  rsaModulusBits,
} from './keys';
import { signObject, verifyObjectSignature } from './signing';

interface KeyVector {
  private_key_pkcs8: string;
  public_key: string;
  fingerprint: string;
}
const keys = readFixtureJson<{ keys: Record<string, KeyVector> }>('test-vectors.json').keys;
const mirah = keys['mirah.example.com'];

describe('keys', () => {
  it('parses each PEM once and hands back the cached key', () => {
    expect(parsePublicKey(mirah.public_key)).toBe(parsePublicKey(mirah.public_key));
  });

  it('parses an RSA private key', () => {
    expect(rsaModulusBits(parsePrivateKey(mirah.private_key_pkcs8))).toBe(2048);
  });

  it.each([
    ['garbage', 'not a key'],
    ['empty', ''],
    ['a private key', mirah.private_key_pkcs8],
    ['a truncated key', mirah.public_key.slice(0, 120) + '\n-----END PUBLIC KEY-----\n'],
    ['two keys', mirah.public_key + keys['other-server.com'].public_key],
    [
      'an oversized PEM',
      `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(20000)}\n-----END PUBLIC KEY-----\n`,
    ],
  ])('refuses %s as a public key', (_why, pem) => {
    expect(() => parsePublicKey(pem)).toThrow(InvalidKeyError);
  });

  it('refuses non-RSA keys', () => {
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    expect(() => parsePublicKey(ec.publicKey)).toThrow(InvalidKeyError);
    expect(() => parsePrivateKey(ec.privateKey)).toThrow(InvalidKeyError);
  });

  it('refuses a non-string PEM', () => {
    expect(() => parsePublicKey(undefined as unknown as string)).toThrow(InvalidKeyError);
  });

  it('fingerprints as 64 uppercase hex, by PEM or by key', () => {
    expect(fingerprint(mirah.public_key)).toMatch(/^[0-9A-F]{64}$/);
    expect(fingerprint(mirah.public_key)).toBe(mirah.fingerprint);
  });

  it('generates an acceptable RSA-2048 server key whose halves match', () => {
    const generated = generateServerKeyPem();
    expect(generated.privateKeyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(generated.publicKeyPem).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/,
    );
    const priv = parsePrivateKey(generated.privateKeyPem);
    const pub = parsePublicKey(generated.publicKeyPem);
    expect(publicKeyPem(priv)).toBe(generated.publicKeyPem);
    expect(rsaModulusBits(pub)).toBe(MIN_RSA_BITS);
    expect(isAcceptableServerKey(pub)).toBe(true);
    expect(verifyObjectSignature(signObject({ a: 1 }, priv), pub)).toBe(true);
  });

  it('refuses a 1024-bit key and a key with exponent 3', () => {
    expect(isAcceptableServerKey(parsePublicKey(keys['weak-1024'].public_key))).toBe(false);
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey;
    expect(rsaModulusBits(e3)).toBe(2048);
    expect(isAcceptableServerKey(e3)).toBe(false);
  });

  it('accepts a 3072-bit key', () => {
    const big = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey;
    expect(isAcceptableServerKey(big)).toBe(true);
  });
});
