/**
 * The fast way in for the public keys peers publish: an RSA SubjectPublicKeyInfo PEM in the
 * exact layout every mainstream library writes (OpenSSL, Node's `export`, Go, Java) is read
 * here into its modulus and exponent, which `createPublicKey` then imports as a JWK. With the
 * fingerprint (SHA-256 of the DER SubjectPublicKeyInfo, docs/protocol.md §3, hashed from the
 * DER read here instead of exporting it again) that is ≈ 36 µs per new key against ≈ 280 µs
 * through OpenSSL 3's PEM decoder chain and an export, on the 2-core CI machine
 * (`npm run bench:public-keys`).
 *
 * Anything else — other line lengths, CRLF, headers, non-canonical base64 or DER, another
 * algorithm, trailing bytes — is `null` here and goes to OpenSSL's own parser, so what a key
 * means and which PEMs are refused are OpenSSL's decisions in every case; this module only
 * recognises inputs whose meaning is unambiguous. Pure code: no I/O, no state.
 */

const PEM_HEADER = '-----BEGIN PUBLIC KEY-----\n';
const PEM_FOOTER = '-----END PUBLIC KEY-----';
const PEM_LINE = 64;
const BASE64_LINE_RE = /^[A-Za-z0-9+/]*={0,2}$/;

// AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }, as DER.
const RSA_ALGORITHM_ID = Buffer.from('300d06092a864886f70d0101010500', 'hex');

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_SEQUENCE = 0x30;

/** An RSA public key read from canonical SPKI DER: big-endian unsigned bytes, no sign byte. */
export interface RsaSpki {
  /** The DER SubjectPublicKeyInfo the PEM holds (the fingerprint's input). */
  der: Buffer;
  /** Modulus, no leading zero byte. */
  n: Buffer;
  /** Public exponent, no leading zero byte. */
  e: Buffer;
}

interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

/**
 * One DER tag-length-value at `offset` of `bytes`, within `limit`; null unless the length
 * is definite and minimally encoded (DER, X.690 §10.1) and the value fits.
 */
function readTlv(bytes: Buffer, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  let length: number;
  let start: number;
  if (first < 0x80) {
    length = first;
    start = offset + 2;
  } else if (first === 0x81) {
    if (offset + 3 > limit) return null;
    length = bytes[offset + 2];
    if (length < 0x80) return null; // would fit the short form
    start = offset + 3;
  } else if (first === 0x82) {
    if (offset + 4 > limit) return null;
    length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 0x100) return null; // would fit in one length byte
    start = offset + 4;
  } else {
    return null; // indefinite (0x80) or longer than any key this accepts
  }
  const end = start + length;
  return end > limit ? null : { tag, start, end };
}

/** A positive INTEGER's magnitude; null if negative, empty or not minimally encoded. */
function positiveInteger(bytes: Buffer, tlv: Tlv): Buffer | null {
  if (tlv.tag !== TAG_INTEGER || tlv.end <= tlv.start) return null;
  const value = bytes.subarray(tlv.start, tlv.end);
  if (value[0] & 0x80) return null; // negative
  if (value[0] === 0) {
    // A leading zero is only there to keep the next byte's high bit from reading as a sign.
    if (value.length === 1 || !(value[1] & 0x80)) return null;
    return value.subarray(1);
  }
  return value;
}

/**
 * The DER SubjectPublicKeyInfo of an RSA key with its modulus and exponent, or null unless
 * `der` is exactly SEQUENCE { rsaEncryption with NULL parameters, BIT STRING (no unused
 * bits) { SEQUENCE { INTEGER n, INTEGER e } } } in DER, with nothing before or after.
 */
export function readRsaSpkiDer(der: Buffer): RsaSpki | null {
  const spki = readTlv(der, 0, der.length);
  if (spki === null || spki.tag !== TAG_SEQUENCE || spki.end !== der.length) return null;
  const algorithmEnd = spki.start + RSA_ALGORITHM_ID.length;
  if (algorithmEnd > spki.end) return null;
  if (!der.subarray(spki.start, algorithmEnd).equals(RSA_ALGORITHM_ID)) return null;
  const bits = readTlv(der, algorithmEnd, spki.end);
  if (bits === null || bits.tag !== TAG_BIT_STRING || bits.end !== spki.end) return null;
  if (bits.end - bits.start < 1 || der[bits.start] !== 0) return null; // unused bits: none
  const rsa = readTlv(der, bits.start + 1, bits.end);
  if (rsa === null || rsa.tag !== TAG_SEQUENCE || rsa.end !== bits.end) return null;
  const modulus = readTlv(der, rsa.start, rsa.end);
  if (modulus === null) return null;
  const exponent = readTlv(der, modulus.end, rsa.end);
  if (exponent === null || exponent.end !== rsa.end) return null;
  const n = positiveInteger(der, modulus);
  const e = positiveInteger(der, exponent);
  return n === null || e === null ? null : { der, n, e };
}

/**
 * The DER inside a PEM written in the canonical layout: `-----BEGIN PUBLIC KEY-----`, base64
 * in lines of 64 characters (the last one shorter or equal), `-----END PUBLIC KEY-----`, LF
 * line ends, at most one final LF, base64 that re-encodes to itself. Null for anything else.
 */
export function canonicalPemDer(pem: string): Buffer | null {
  if (!pem.startsWith(PEM_HEADER)) return null;
  const footerAt = pem.length - PEM_FOOTER.length - (pem.endsWith('\n') ? 1 : 0);
  if (footerAt <= PEM_HEADER.length || !pem.startsWith(PEM_FOOTER, footerAt)) return null;
  if (pem[footerAt - 1] !== '\n') return null;
  const lines = pem.slice(PEM_HEADER.length, footerAt - 1).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const last = i === lines.length - 1;
    if (last ? line.length === 0 || line.length > PEM_LINE : line.length !== PEM_LINE) return null;
    if (!BASE64_LINE_RE.test(line)) return null;
  }
  const body = lines.join('');
  if (body.length % 4 !== 0) return null;
  const der = Buffer.from(body, 'base64');
  return der.toString('base64') === body ? der : null;
}

/**
 * An RSA SPKI PEM in the canonical layout (`canonicalPemDer`) holding canonical DER
 * (`readRsaSpkiDer`); null means "not recognised here", never "invalid".
 */
export function readCanonicalRsaSpkiPem(pem: string): RsaSpki | null {
  const der = canonicalPemDer(pem);
  return der === null ? null : readRsaSpkiDer(der);
}
