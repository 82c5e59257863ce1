import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, EnvReader } from './env-reader';
import { loadCommonConfig, publicPathOf } from './common-config';

describe(EnvReader.name, () => {
  it('reads a secret from the file named by NAME_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-'));
    writeFileSync(join(dir, 'token'), 's3cret-token-value\n');
    const sut = new EnvReader({ INTERNAL_API_TOKEN_FILE: join(dir, 'token') });
    expect(sut.secret('INTERNAL_API_TOKEN')).toBe('s3cret-token-value');
  });

  it('refuses both NAME and NAME_FILE at once', () => {
    const sut = new EnvReader({ DATABASE_URL: 'postgres://x', DATABASE_URL_FILE: '/nonexistent' });
    expect(() => sut.secret('DATABASE_URL')).toThrow(ConfigError);
  });

  it('names the variable when an integer is malformed or out of range', () => {
    expect(() => new EnvReader({ N: '12abc' }).int('N', 1, 0, 100)).toThrow('N must be an integer');
    expect(() => new EnvReader({ N: '101' }).int('N', 1, 0, 100)).toThrow(
      'N must be between 0 and 100',
    );
  });

  it('parses booleans strictly', () => {
    expect(new EnvReader({ B: 'TRUE' }).bool('B', false)).toBe(true);
    expect(new EnvReader({ B: '0' }).bool('B', true)).toBe(false);
    expect(() => new EnvReader({ B: 'maybe' }).bool('B', true)).toThrow(ConfigError);
  });
});

describe(loadCommonConfig.name, () => {
  it('applies the documented defaults', () => {
    const config = loadCommonConfig('discovery', {});
    expect(config).toMatchObject({
      serverId: 'localhost',
      discoveryPublicUrl: 'http://127.0.0.1:4100/discovery',
      federationPublicUrl: 'http://127.0.0.1:4200/federation',
      discoveryPort: 4100,
      adapterPort: 4200,
      bindAddress: '127.0.0.1',
      databaseSchema: 'discovery',
      allowPrivateEndpoints: false,
      maxClockSkewMs: 300_000,
    });
    expect(config.privateKeyPath).toBe(join(config.dataDir, 'server-key.pem'));
  });

  it('derives the server id and public URLs from APP_URL', () => {
    const config = loadCommonConfig('adapter', { APP_URL: 'https://Pager.Example.com/' });
    expect(config.serverId).toBe('pager.example.com');
    expect(config.discoveryPublicUrl).toBe('https://Pager.Example.com/discovery');
    expect(config.federationPublicUrl).toBe('https://Pager.Example.com/federation');
    expect(config.databaseSchema).toBe('adapter');
  });

  it('refuses an invalid server id with a one-line reason', () => {
    expect(() => loadCommonConfig('adapter', { SERVER_ID: 'Not A Host' })).toThrow(
      'SERVER_ID must be a lowercase DNS name',
    );
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => loadCommonConfig('adapter', { DATABASE_SCHEMA: 'x"; drop' })).toThrow(ConfigError);
  });

  it('mounts public routes under the path of the public URL', () => {
    expect(publicPathOf('https://a.example/discovery')).toBe('/discovery');
    expect(publicPathOf('https://a.example/pager/federation/')).toBe('/pager/federation');
    expect(publicPathOf('https://a.example')).toBe('');
  });
});
