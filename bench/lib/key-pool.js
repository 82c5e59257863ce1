'use strict';
// A pool of RSA-2048 key pairs for the benchmarks, kept between runs in the system's
// temporary folder (generating 10,000 takes minutes: ≈ 60 ms each on this machine's two
// cores). Keys are only ever used to sign invented announcements on loopback.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CACHE = path.join(os.tmpdir(), 'pager-bench-rsa2048-keys.jsonl');

function generate() {
  return new Promise((resolve, reject) =>
    crypto.generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    ),
  );
}

/**
 * `count` key pairs as `{ publicPem, privateKey }` (privateKey a KeyObject), read from the
 * cache file and topped up with fresh ones (appended to it). `log` gets progress lines.
 */
async function keyPool(count, log = () => undefined) {
  const lines = fs.existsSync(CACHE) ? fs.readFileSync(CACHE, 'utf8').split('\n') : [];
  const pems = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const started = Date.now();
  while (pems.length < count) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(16, count - pems.length) }, generate),
    );
    fs.appendFileSync(CACHE, batch.map((k) => JSON.stringify(k) + '\n').join(''));
    pems.push(...batch);
    if (pems.length % 400 < 16)
      log(`keys: ${pems.length}/${count} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  return pems.slice(0, count).map((k) => ({
    publicPem: k.publicKey,
    privateKey: crypto.createPrivateKey(k.privateKey),
  }));
}

module.exports = { keyPool, KEY_CACHE: CACHE };

if (require.main === module) {
  keyPool(Number(process.argv[2] ?? 10_000), (l) => console.error(l)).then((keys) =>
    console.log(`${keys.length} keys in ${CACHE}`),
  );
}
