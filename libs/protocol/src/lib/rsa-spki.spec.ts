import {
  KeyObject,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import fc from 'fast-check';
import { readFixtureJson } from '../../test/spec-paths';
import { InvalidKeyError, fingerprint, parsePublicKey } from './keys';
import { canonicalPemDer, readCanonicalRsaSpkiPem, readRsaSpkiDer } from './rsa-spki';

const vectors = readFixtureJson<{
  keys: Record<string, { public_key: string; fingerprint: string }>;
}>('test-vectors.json').keys;

function publicPem(bits: number, exponent = 65537): string {
  return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: exponent })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
}

function derOf(pem: string): Buffer {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' });
}

/** The canonical PEM layout of any bytes (64-character lines, LF, one final LF). */
function pemOf(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

/** What OpenSSL alone makes of a PEM: the key as a JWK, or null when it refuses it. */
function openssl(pem: string): { kty?: string; n?: string; e?: string } | null {
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    return key.asymmetricKeyType === 'rsa' ? key.export({ format: 'jwk' }) : null;
  } catch {
    return null;
  }
}

/** What parsePublicKey makes of it, in the same terms. */
function ours(pem: string): { kty?: string; n?: string; e?: string } | null {
  try {
    return parsePublicKey(pem).export({ format: 'jwk' });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidKeyError);
    return null;
  }
}

const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex').toUpperCase();

describe('rsa-spki: the fast path into public keys', () => {
  const pems = [
    ...Object.values(vectors).map((v) => v.public_key),
    publicPem(2048),
    publicPem(2048),
    publicPem(3072),
    publicPem(4096),
    publicPem(2048, 3),
    publicPem(1024),
  ];

  it('recognises every key Node and the test vectors write, with their DER, n and e', () => {
    for (const pem of pems) {
      const spki = readCanonicalRsaSpkiPem(pem);
      expect(spki).not.toBeNull();
      expect(spki?.der.equals(derOf(pem))).toBe(true);
      const jwk = createPublicKey(pem).export({ format: 'jwk' });
      expect(spki?.n.toString('base64url')).toBe(jwk.n);
      expect(spki?.e.toString('base64url')).toBe(jwk.e);
    }
  });

  it('imports the same key as OpenSSL, with the fingerprint of its DER', () => {
    for (const pem of pems) {
      expect(ours(pem)).toEqual(openssl(pem));
      expect(fingerprint(pem)).toBe(sha256Hex(derOf(pem)));
      // The KeyObject's own fingerprint (exported again) agrees with the one hashed at import.
      const exported = sha256Hex(parsePublicKey(pem).export({ type: 'spki', format: 'der' }));
      expect(fingerprint(parsePublicKey(pem))).toBe(exported);
    }
    for (const v of Object.values(vectors)) expect(fingerprint(v.public_key)).toBe(v.fingerprint);
  });

  it('verifies signatures with a key imported by the fast path', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const data = Buffer.from('page');
    const signature = sign('sha256', data, privateKey);
    const key: KeyObject = parsePublicKey(pem);
    expect(verify('sha256', data, key, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('pagf'), key, signature)).toBe(false);
  });

  it('leaves every other PEM layout to OpenSSL, which decides as before', () => {
    const pem = pems[1];
    const body = pem.split('\n').slice(1, -2);
    const variants = [
      pem.replace(/\n/g, '\r\n'), // CRLF
      pem.trimEnd(), // no final LF: still canonical
      `${pem}\n`, // two final LFs
      ` ${pem}`, // leading space
      `-----BEGIN PUBLIC KEY-----\n${body.join('')}\n-----END PUBLIC KEY-----\n`, // one long line
      `-----BEGIN PUBLIC KEY-----\n${(body.join('').match(/.{1,76}/g) ?? []).join('\n')}\n-----END PUBLIC KEY-----\n`,
      pem.replace('-----BEGIN PUBLIC KEY-----\n', '-----BEGIN PUBLIC KEY-----\nComment: x\n'),
      pem.replace(body[2], `${body[2].slice(0, 10)}*${body[2].slice(11)}`), // not base64
      pem.replace(body[1], `${body[1].slice(0, 63)}=`), // padding inside
      pem.replace(body[body.length - 1], ''), // a line short
    ];
    expect(readCanonicalRsaSpkiPem(variants[1])).not.toBeNull();
    for (const [i, variant] of variants.entries()) {
      if (i !== 1) expect(canonicalPemDer(variant)).toBeNull();
      expect(ours(variant)).toEqual(openssl(variant));
    }
  });

  it('refuses DER that is not exactly an RSA SPKI in DER', () => {
    const der = derOf(pems[1]); // 2048 bits: 30 82 01 22 | 30 0d … 05 00 | 03 82 01 0f 00 | 30 82 01 0a | 02 82 01 01 00 n | 02 03 01 00 01
    const patched = (at: number, bytes: number[]) => {
      const copy = Buffer.from(der);
      bytes.forEach((b, i) => (copy[at + i] = b));
      return copy;
    };
    expect(readRsaSpkiDer(der)).not.toBeNull();
    const broken: Buffer[] = [
      Buffer.concat([der, Buffer.from([0])]), // a trailing byte
      der.subarray(0, der.length - 1), // one byte short
      patched(1, [0x83]), // a three-byte length
      patched(0, [0x31]), // SET instead of SEQUENCE
      patched(14, [0x0b]), // sha256WithRSAEncryption, not rsaEncryption
      patched(19, [0x01]), // unused bits in the BIT STRING
      patched(28, [0x80]), // a negative modulus (its sign byte set)
      patched(der.length - 3, [0x00, 0x01, 0x00]), // exponent with a needless zero byte
      Buffer.concat([
        // the AlgorithmIdentifier without its NULL parameters
        Buffer.from([0x30, 0x82, 0x01, 0x20, 0x30, 0x0b]),
        der.subarray(6, 17),
        der.subarray(19),
      ]),
    ];
    for (const bytes of broken) {
      expect(readRsaSpkiDer(bytes)).toBeNull();
      expect(ours(pemOf(bytes))).toEqual(openssl(pemOf(bytes)));
    }
  });

  it('agrees with OpenSSL on every byte changed, cut or added (property)', () => {
    const der = derOf(pems[1]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: -4, max: 4 }),
        (changes, resize) => {
          let bytes = Buffer.from(der);
          for (const [at, value] of changes) bytes[at] = value;
          if (resize < 0) bytes = bytes.subarray(0, bytes.length + resize);
          if (resize > 0) bytes = Buffer.concat([bytes, Buffer.alloc(resize, 0x41)]);
          const pem = pemOf(bytes);
          const mine = ours(pem);
          expect(mine).toEqual(openssl(pem));
          if (mine !== null) expect(fingerprint(pem)).toBe(sha256Hex(derOf(pem)));
        },
      ),
      { numRuns: 400 },
    );
  });
});
