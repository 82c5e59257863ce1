import { ConfigError } from '@pager/server-kit';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDiscoveryConfig } from './discovery-config';
import { peerFileProblem, probePeerFile } from './peer-files';

// The Big List of Naughty Strings, kept in the repository (libs/protocol/test/fixtures).
const blns: string[] = JSON.parse(
  readFileSync(join(__dirname, '../../../../../libs/protocol/test/fixtures/blns.json'), 'utf8'),
);

describe('peerFileProblem', () => {
  it('has nothing to say about a readable file', () => {
    expect(peerFileProblem('/etc/peers.json', { ok: true })).toBeUndefined();
  });

  it.each([
    ['ENOENT', 'no such file (ENOENT)'],
    ['EACCES', 'permission denied (EACCES)'],
    ['EPERM', 'operation not permitted (EPERM)'],
    ['ENOTDIR', 'a part of the path is not a directory (ENOTDIR)'],
    ['ELOOP', 'too many symbolic links (ELOOP)'],
    ['ENAMETOOLONG', 'the path is too long (ENAMETOOLONG)'],
    ['not_a_file', 'not a regular file'],
  ])('names the path and %s', (code, reason) => {
    expect(peerFileProblem('/x/peers.json', { ok: false, code, message: 'm' })).toBe(
      `PEER_FILES names "/x/peers.json", which cannot be read: ${reason}`,
    );
  });

  it("falls back to the error's own message for other codes", () => {
    expect(peerFileProblem('/p', { ok: false, code: 'EIO', message: 'EIO: i/o error' })).toBe(
      'PEER_FILES names "/p", which cannot be read: EIO: i/o error',
    );
  });

  it(`quotes each of the ${blns.length} BLNS strings as a path on one line`, () => {
    for (const path of blns) {
      const text = peerFileProblem(path, { ok: false, code: 'ENOENT', message: '' }) as string;
      expect(text).toContain(JSON.stringify(path));
      expect(text).not.toMatch(/[\n\r]/);
    }
  });
});

describe('probePeerFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peer-files-'));
  const file = join(dir, 'peers.json');
  writeFileSync(file, '{}');
  mkdirSync(join(dir, 'sub'));

  it('finds a readable file, a missing one, a directory and a path through a file', () => {
    expect(probePeerFile(file)).toEqual({ ok: true });
    expect(probePeerFile(join(dir, 'missing.json'))).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(probePeerFile(join(dir, 'sub'))).toMatchObject({ ok: false, code: 'not_a_file' });
    expect(probePeerFile(join(file, 'x'))).toMatchObject({ ok: false, code: 'ENOTDIR' });
  });

  it('answers for each BLNS string as a path, never throws', () => {
    for (const s of blns) expect(typeof probePeerFile(join(dir, s)).ok).toBe('boolean');
  });
});

describe('PEER_FILES in loadDiscoveryConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peer-files-config-'));
  const good = join(dir, 'peers.json');
  writeFileSync(good, '{"version":"1.0","peers":[]}');

  it('takes readable files', () => {
    expect(loadDiscoveryConfig({ PEER_FILES: `${good}, ${good}` }).peerFiles).toEqual([good, good]);
  });

  it('refuses to start with a missing file, naming it', () => {
    const missing = join(dir, 'gone.json');
    expect(() => loadDiscoveryConfig({ PEER_FILES: `${good},${missing}` })).toThrow(ConfigError);
    expect(() => loadDiscoveryConfig({ PEER_FILES: `${good},${missing}` })).toThrow(
      `PEER_FILES names "${missing}", which cannot be read: no such file (ENOENT)`,
    );
  });

  it('refuses a file it cannot read (as the probe finds it)', () => {
    expect(() =>
      loadDiscoveryConfig({ PEER_FILES: '/secret/peers.json' }, () => ({
        ok: false,
        code: 'EACCES',
        message: 'EACCES',
      })),
    ).toThrow('PEER_FILES names "/secret/peers.json", which cannot be read: permission denied');
  });

  it('needs no file when PEER_FILES is unset or empty', () => {
    const probe = jest.fn();
    expect(loadDiscoveryConfig({}, probe).peerFiles).toEqual([]);
    expect(loadDiscoveryConfig({ PEER_FILES: ' , ' }, probe).peerFiles).toEqual([]);
    expect(probe).not.toHaveBeenCalled();
  });
});
