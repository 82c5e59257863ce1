/**
 * `npm run bench:public-keys`: what it costs to take in a peer's public key the first time
 * (PROTOCOL.md section 2: RSA-2048 SPKI PEM, fingerprint = SHA-256 of its DER), per call in
 * µs of CPU, for the paths libs/protocol can take:
 *
 * - `openssl pem`: createPublicKey on the PEM (OpenSSL 3's decoder chain), the old path;
 * - `openssl pem + export der`: the same, plus exporting the DER again to hash it;
 * - `fast path`: rsa-spki.ts reading the canonical PEM, createPublicKey on n/e as a JWK,
 *   SHA-256 of the DER it read — what parsePublicKey + fingerprint do now on a cache miss;
 * - bound: one RSA-2048 verify with an already parsed key (what each signed object costs
 *   anyway), measured in the same run.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readCanonicalRsaSpkiPem } from '../../libs/protocol/src/lib/rsa-spki';

const count = Number(process.argv[2] ?? 3000);

const pems = Array.from({ length: 8 }, () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString(),
);

/** CPU µs per call of `run` over `count` calls (after a warm-up of 50). */
function perCallUs(run: (i: number) => void): number {
  for (let i = 0; i < 50; i++) run(i);
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) run(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const opensslPem = perCallUs((i) => {
  createPublicKey({ key: pems[i % pems.length], format: 'pem' });
});
const opensslPemExport = perCallUs((i) => {
  const key = createPublicKey({ key: pems[i % pems.length], format: 'pem' });
  sha256(key.export({ type: 'spki', format: 'der' }));
});
const fastPath = perCallUs((i) => {
  const spki = readCanonicalRsaSpkiPem(pems[i % pems.length]);
  if (spki === null) throw new Error('a key Node wrote was not recognised');
  createPublicKey({
    key: { kty: 'RSA', n: spki.n.toString('base64url'), e: spki.e.toString('base64url') },
    format: 'jwk',
  });
  sha256(spki.der);
});

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const data = Buffer.from('{"page":"bench"}');
const signature = sign('sha256', data, privateKey);
const verifyUs = perCallUs(() => {
  verify('sha256', data, publicKey, signature);
});

const rows: [string, number][] = [
  ['openssl pem', opensslPem],
  ['openssl pem + export der + sha256', opensslPemExport],
  ['fast path (canonical pem → jwk) + sha256', fastPath],
  ['bound: one RSA-2048 verify, key parsed', verifyUs],
];
console.log(`public key import, ${count} calls each, Node ${process.version}`);
for (const [name, us] of rows)
  console.log(`  ${name.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/call`);
console.log(
  `  speed-up of the fast path over the old path: ${(opensslPemExport / fastPath).toFixed(1)}×`,
);
