import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/env-reader';
import { loadOrCreateServerKey } from './server-key';

describe(loadOrCreateServerKey.name, () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'key-'));

  it('creates an RSA-2048 key with mode 0600 when none exists, and reads it back', () => {
    const path = join(dir(), 'nested', 'server-key.pem');
    const created = loadOrCreateServerKey(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(created.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(loadOrCreateServerKey(path).fingerprint).toBe(created.fingerprint);
  });

  it('leaves no temporary file behind', () => {
    const base = dir();
    loadOrCreateServerKey(join(base, 'server-key.pem'));
    expect(readdirSync(base)).toEqual(['server-key.pem']);
  });

  it('refuses a file that is not a private key with a clear reason', () => {
    const path = join(dir(), 'bad.pem');
    writeFileSync(path, 'not a key');
    expect(() => loadOrCreateServerKey(path)).toThrow(ConfigError);
    expect(existsSync(path)).toBe(true);
  });
});
