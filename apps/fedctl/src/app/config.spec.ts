import { UsageError } from './exit-codes';
import { resolveConfig } from './config';

const noFile = (): string => {
  throw new Error('ENOENT: no such file');
};

describe(resolveConfig.name, () => {
  it('defaults to the services on 127.0.0.1, no token, no colour off a TTY', () => {
    expect(resolveConfig({}, {}, false, noFile)).toEqual({
      discoveryUrl: 'http://127.0.0.1:4100',
      adapterUrl: 'http://127.0.0.1:4200',
      token: undefined,
      timeoutMs: 10_000,
      json: false,
      colour: false,
    });
  });

  it('takes the environment, and flags over the environment', () => {
    const env = {
      FEDCTL_DISCOVERY_URL: 'http://d.example:4100/',
      FEDCTL_ADAPTER_URL: 'https://a.example',
      FEDCTL_TOKEN: 'env-token',
    };
    const config = resolveConfig({ adapterUrl: 'http://flag:1' }, env, false, noFile);
    expect(config).toMatchObject({
      discoveryUrl: 'http://d.example:4100',
      adapterUrl: 'http://flag:1',
      token: 'env-token',
    });
  });

  it('reads the token file (flag or FEDCTL_TOKEN_FILE), trimmed, over FEDCTL_TOKEN', () => {
    const files: Record<string, string> = { '/run/t': 'file-token\n' };
    const read = (p: string) => files[p] ?? noFile();
    expect(resolveConfig({ tokenFile: '/run/t' }, { FEDCTL_TOKEN: 'x' }, false, read).token).toBe(
      'file-token',
    );
    expect(resolveConfig({}, { FEDCTL_TOKEN_FILE: '/run/t' }, false, read).token).toBe(
      'file-token',
    );
  });

  it('refuses a missing, empty or multi-line token file with a UsageError', () => {
    expect(() => resolveConfig({ tokenFile: '/nope' }, {}, false, noFile)).toThrow(
      /cannot read token file \/nope/,
    );
    expect(() => resolveConfig({ tokenFile: '/e' }, {}, false, () => ' \n')).toThrow(UsageError);
    expect(() => resolveConfig({ tokenFile: '/m' }, {}, false, () => 'a\nb')).toThrow(/one line/);
  });

  it('refuses URLs that are not http(s) and timeouts out of range', () => {
    expect(() => resolveConfig({ discoveryUrl: 'nope' }, {}, false, noFile)).toThrow(UsageError);
    expect(() => resolveConfig({ adapterUrl: 'file:///etc' }, {}, false, noFile)).toThrow(
      /http or https/,
    );
    for (const timeout of ['0', '-1', '1.5', 'abc', '600001']) {
      expect(() => resolveConfig({ timeout }, {}, false, noFile)).toThrow(/--timeout/);
    }
    expect(resolveConfig({ timeout: '250' }, {}, false, noFile).timeoutMs).toBe(250);
  });

  it('colours only on a TTY, and never with NO_COLOR or --no-color', () => {
    expect(resolveConfig({}, {}, true, noFile).colour).toBe(true);
    expect(resolveConfig({}, { NO_COLOR: '' }, true, noFile).colour).toBe(false);
    expect(resolveConfig({ color: false }, {}, true, noFile).colour).toBe(false);
  });
});
