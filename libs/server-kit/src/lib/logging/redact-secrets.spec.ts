import { REDACTED, redactSecrets } from './redact-secrets';

describe(redactSecrets.name, () => {
  it('masks credential-named fields at any depth, whatever their case and separators', () => {
    expect(
      redactSecrets({
        headers: { Authorization: 'Bearer abc', 'x-api-key': 'k', accept: 'application/json' },
        INTERNAL_API_TOKEN: 'tok',
        config: { databaseUrl: 'postgres://u:p@h/db', private_key: 'pem', port: 5432 },
        password: undefined,
      }),
    ).toEqual({
      headers: { Authorization: REDACTED, 'x-api-key': REDACTED, accept: 'application/json' },
      INTERNAL_API_TOKEN: REDACTED,
      config: { databaseUrl: REDACTED, private_key: REDACTED, port: 5432 },
      password: undefined,
    });
  });

  it('masks the password of a connection URL inside any string, keeping the rest', () => {
    expect(
      redactSecrets({
        error: 'connect to postgres://pager:s3cr%40t@db.internal:5432/pager failed',
      }),
    ).toEqual({ error: `connect to postgres://pager:${REDACTED}@db.internal:5432/pager failed` });
    expect(redactSecrets('https://example.org/a:b@c')).toBe('https://example.org/a:b@c');
  });

  it('masks bearer tokens and PEM private keys in strings', () => {
    expect(redactSecrets('sent Authorization: Bearer eyJhbGciOi.x-y_z')).toBe(
      `sent Authorization: Bearer ${REDACTED}`,
    );
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
    expect(redactSecrets({ detail: `key: ${pem} done` })).toEqual({
      detail: `key: -----BEGIN PRIVATE KEY-----${REDACTED}-----END PRIVATE KEY----- done`,
    });
    expect(redactSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIE... (cut)')).not.toContain('MIIE');
  });

  it('renders errors with their message and code, redacted', () => {
    const err = Object.assign(new Error('auth failed for postgres://a:b@h'), { code: '28P01' });
    expect(redactSecrets({ err })).toMatchObject({
      err: { name: 'Error', message: `auth failed for postgres://a:${REDACTED}@h`, code: '28P01' },
    });
  });

  it('does not mutate its input and cuts deep or cyclic objects', () => {
    const input = { token: 't', nested: { a: 1 } };
    redactSecrets(input);
    expect(input.token).toBe('t');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.stringify(redactSecrets(cyclic))).toContain('[depth]');
  });
});
