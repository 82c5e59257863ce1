import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/env-reader';
import {
  KeyMaterial,
  createKeyFile,
  effectivePrevious,
  loadOrCreateServerKey,
  loadServerKeys,
  readServerKeys,
} from './server-key';

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

describe('key rotation: loadServerKeys, readServerKeys, ServerKey.replace', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'keys-'));

  it('loads the previous key named by PREVIOUS_KEY_PATH beside the current one', () => {
    const base = dir();
    const old = createKeyFile(join(base, 'old.pem'));
    const sut = loadServerKeys({
      privateKeyPath: join(base, 'current.pem'),
      previousKeyPath: join(base, 'old.pem'),
    });
    expect(sut.previous?.fingerprint).toBe(old.fingerprint);
    expect(sut.fingerprint).not.toBe(old.fingerprint);
  });

  it('takes a missing previous key file as no rotation', () => {
    const base = dir();
    const sut = loadServerKeys({
      privateKeyPath: join(base, 'current.pem'),
      previousKeyPath: join(base, 'absent.pem'),
    });
    expect(sut.previous).toBeNull();
  });

  it('takes a previous key equal to the current one as no rotation', () => {
    const base = dir();
    createKeyFile(join(base, 'current.pem'));
    const sut = loadServerKeys({
      privateKeyPath: join(base, 'current.pem'),
      previousKeyPath: join(base, 'current.pem'),
    });
    expect(sut.state().previous_fingerprint).toBeNull();
  });

  it('refuses a previous key file that is not a key, naming PREVIOUS_KEY_PATH', () => {
    const base = dir();
    writeFileSync(join(base, 'old.pem'), 'not a key');
    expect(() =>
      loadServerKeys({
        privateKeyPath: join(base, 'current.pem'),
        previousKeyPath: join(base, 'old.pem'),
      }),
    ).toThrow(/PREVIOUS_KEY_PATH/);
  });

  it('never creates a key on reload', () => {
    const base = dir();
    expect(() => readServerKeys({ privateKeyPath: join(base, 'current.pem') })).toThrow(
      /does not exist/,
    );
    expect(readdirSync(base)).toEqual([]);
  });

  it('refuses to create a key file over an existing one', () => {
    const base = dir();
    createKeyFile(join(base, 'k.pem'));
    expect(() => createKeyFile(join(base, 'k.pem'))).toThrow(/EEXIST/);
  });

  it('swaps both keys at once and tells the listeners once', async () => {
    const base = dir();
    const sut = loadServerKeys({ privateKeyPath: join(base, 'current.pem') });
    const before = sut.fingerprint;
    const fresh = createKeyFile(join(base, 'new.pem'));
    const heard: unknown[] = [];
    sut.onReplaced((state) => {
      heard.push(state);
    });
    const result = await sut.replace(fresh, new KeyMaterial(sut.privateKey));
    expect(result).toEqual({
      changed: true,
      state: { fingerprint: fresh.fingerprint, previous_fingerprint: before },
      errors: [],
    });
    expect(sut.publicKeyPem).toBe(fresh.publicKeyPem);
    expect(heard).toEqual([result.state]);
  });

  it('knows since when it holds the previous key: from the reload that brought it, none after', async () => {
    const base = dir();
    const sut = loadServerKeys({ privateKeyPath: join(base, 'current.pem') });
    expect(sut.previousSinceMs).toBeNull();
    const before = Date.now();
    await sut.replace(createKeyFile(join(base, 'new.pem')), new KeyMaterial(sut.privateKey));
    const since = sut.previousSinceMs;
    expect(since).toBeGreaterThanOrEqual(before);
    // Reloading the same pair keeps the start; dropping the previous key clears it.
    await sut.replace(sut.snapshot().current, sut.snapshot().previous);
    expect(sut.previousSinceMs).toBe(since);
    await sut.replace(sut.snapshot().current, null);
    expect(sut.previousSinceMs).toBeNull();
  });

  it('does not tell the listeners when nothing changed, and reports their failures', async () => {
    const base = dir();
    const sut = loadServerKeys({ privateKeyPath: join(base, 'current.pem') });
    sut.onReplaced(() => {
      throw new Error('push failed');
    });
    const same = await sut.replace(new KeyMaterial(sut.privateKey), null);
    expect(same.changed).toBe(false);
    const moved = await sut.replace(createKeyFile(join(base, 'new.pem')), null);
    expect(moved.errors).toEqual(['push failed']);
  });
});

describe(effectivePrevious.name, () => {
  it('drops a previous key that is the current key', () => {
    const key = createKeyFile(join(mkdtempSync(join(tmpdir(), 'k-')), 'k.pem'));
    expect(effectivePrevious(key, new KeyMaterial(key.privateKey))).toBeNull();
  });
});
