import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateServerKeyPem } from '@pager/protocol';
import { UsageError } from './exit-codes';
import { keyFilePaths, readKeyFingerprint, rotateKeyFiles } from './key-files';

function dataDirWithKey(): { dir: string; pem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fedctl-keys-'));
  const { privateKeyPem } = generateServerKeyPem();
  writeFileSync(join(dir, 'server-key.pem'), privateKeyPem, { mode: 0o600 });
  return { dir, pem: privateKeyPem };
}

describe(keyFilePaths.name, () => {
  it('defaults to the layout of npm start under DATA_DIR', () => {
    expect(keyFilePaths({}, { DATA_DIR: '/srv/pager' })).toEqual({
      privateKeyPath: '/srv/pager/server-key.pem',
      previousKeyPath: '/srv/pager/server-key.previous.pem',
    });
  });

  it('takes the flags over the services variables', () => {
    expect(
      keyFilePaths(
        { privateKeyPath: '/k/new.pem', previousKeyPath: '/k/old.pem' },
        { PRIVATE_KEY_PATH: '/x/a.pem', PREVIOUS_KEY_PATH: '/x/b.pem' },
      ),
    ).toEqual({ privateKeyPath: '/k/new.pem', previousKeyPath: '/k/old.pem' });
  });

  it('refuses the same file for both keys', () => {
    expect(() =>
      keyFilePaths({ privateKeyPath: '/k/a.pem', previousKeyPath: '/k/a.pem' }, {}),
    ).toThrow(UsageError);
  });
});

describe(rotateKeyFiles.name, () => {
  it('moves the current key to the previous path and puts a new 0600 key in its place', () => {
    const { dir, pem } = dataDirWithKey();
    const paths = keyFilePaths({ dataDir: dir }, {});
    const before = readKeyFingerprint(paths.privateKeyPath);
    const sut = rotateKeyFiles(paths, { replacePrevious: false });
    expect(sut.oldFingerprint).toBe(before);
    expect(readFileSync(paths.previousKeyPath, 'utf8')).toBe(pem);
    expect(readKeyFingerprint(paths.privateKeyPath)).toBe(sut.newFingerprint);
    expect(sut.newFingerprint).not.toBe(before);
    expect(statSync(paths.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(paths.previousKeyPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['server-key.pem', 'server-key.previous.pem']);
  });

  it('refuses, changing nothing, while a previous key is still there', () => {
    const { dir, pem } = dataDirWithKey();
    const paths = keyFilePaths({ dataDir: dir }, {});
    writeFileSync(paths.previousKeyPath, 'left over');
    expect(() => rotateKeyFiles(paths, { replacePrevious: false })).toThrow(
      /rotation is under way/,
    );
    expect(readFileSync(paths.privateKeyPath, 'utf8')).toBe(pem);
  });

  it('replaces a previous key when asked to', () => {
    const { dir, pem } = dataDirWithKey();
    const paths = keyFilePaths({ dataDir: dir }, {});
    writeFileSync(paths.previousKeyPath, 'left over');
    rotateKeyFiles(paths, { replacePrevious: true });
    expect(readFileSync(paths.previousKeyPath, 'utf8')).toBe(pem);
  });

  it('refuses without a current key to rotate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedctl-keys-'));
    expect(() =>
      rotateKeyFiles(keyFilePaths({ dataDir: dir }, {}), { replacePrevious: false }),
    ).toThrow(UsageError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
