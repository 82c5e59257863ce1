import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCommonConfig } from './common-config';
import {
  DatabaseUrlParts,
  checkDatabaseUrl,
  describeConnectFailure,
  describeDatabaseUrl,
  passwordOf,
} from './database-url';
import { ConfigError } from './env-reader';

// The Big List of Naughty Strings, kept in the repository (libs/protocol/test/fixtures).
const blns: string[] = JSON.parse(
  readFileSync(join(__dirname, '../../../../protocol/test/fixtures/blns.json'), 'utf8'),
);

const parts = (raw: string): DatabaseUrlParts => {
  const checked = checkDatabaseUrl(raw);
  if (!checked.ok) throw new Error(`refused: ${checked.problem}`);
  return checked.parts;
};
const problem = (raw: string): string => {
  const checked = checkDatabaseUrl(raw);
  if (checked.ok) throw new Error(`accepted: ${raw}`);
  return checked.problem;
};

describe('checkDatabaseUrl', () => {
  it('takes postgres:// and postgresql:// URLs with user, password, host, port and database', () => {
    expect(parts('postgres://pager:secret@db.internal:5432/pager')).toEqual({
      scheme: 'postgres',
      user: 'pager',
      hasPassword: true,
      host: 'db.internal',
      port: 5432,
      database: 'pager',
    });
    expect(parts('POSTGRESQL://db/pager?sslmode=require')).toMatchObject({
      scheme: 'postgresql',
      user: undefined,
      hasPassword: false,
      port: undefined,
      database: 'pager',
    });
  });

  it('decodes percent-escapes in the user and database, keeps an IPv6 host without brackets', () => {
    expect(parts('postgres://p%40ger:s%3Acret@[::1]:6543/my%20db')).toMatchObject({
      user: 'p@ger',
      host: '::1',
      port: 6543,
      database: 'my db',
    });
  });

  it('takes a socket directory given as ?host= when the authority names no host', () => {
    expect(parts('postgres://pager@/pager?host=/run/postgresql')).toMatchObject({
      host: '/run/postgresql',
      database: 'pager',
    });
  });

  it('takes a password containing @ and :', () => {
    expect(parts('postgres://u:p@ss:w@rd@h/d')).toMatchObject({ user: 'u', host: 'h' });
  });

  it.each([
    ['', 'is empty or only whitespace'],
    ['   \t', 'is empty or only whitespace'],
    [' postgres://h/d', 'contains whitespace or control characters'],
    ['postgres://h/d\n', 'contains whitespace or control characters'],
    ['db.internal:5432/pager', 'must start with postgres:// or postgresql://'],
    ['postgres:/h/d', 'must start with postgres:// or postgresql://'],
    ['mysql://h/d', 'has the scheme "mysql"; expected postgres:// or postgresql://'],
    ['https://h/d', 'has the scheme "https"'],
    ['postgres://u:p@/d', 'names no host'],
    ['postgres:///d', 'names no host'],
    ['postgres://h1,h2/d', 'has an invalid host "h1,h2"'],
    ['postgres://[::1/d', 'without its closing "]"'],
    ['postgres://[zz]/d', 'has an invalid IPv6 host "zz"'],
    ['postgres://[::1]x/d', 'after the IPv6 host'],
    ['postgres://h:0/d', 'has the port "0"; expected a number from 1 to 65535'],
    ['postgres://h:65536/d', 'has the port "65536"'],
    ['postgres://h:-1/d', 'has the port "-1"'],
    ['postgres://h:54x/d', 'has the port "54x"'],
    ['postgres://h:/d', 'has the port ""'],
    ['postgres://h:5432', 'names no database'],
    ['postgres://h:5432/', 'names no database'],
    ['postgres://h/d#x', 'has a fragment'],
    ['postgres://u%zz@h/d', 'malformed percent-escape in the user name'],
    ['postgres://h/%E0%A4%A', 'malformed percent-escape in the database name'],
  ])('refuses %j: %s', (raw, expected) => {
    expect(problem(raw)).toContain(expected);
  });

  it('never repeats the password in its problem', () => {
    expect(problem('postgres://u:hunter2%zz@h/d')).not.toContain('hunter2');
    expect(problem('postgres://u:hunter2@h:99999/d')).not.toContain('hunter2');
    expect(problem('postgres://u:hunter2@h')).not.toContain('hunter2');
  });

  it(`answers (never throws) for each of the ${blns.length} BLNS strings, alone and as each part`, () => {
    for (const s of blns) {
      const e = encodeURIComponent(s);
      for (const raw of [
        s,
        `postgres://${s}`,
        `postgres://u:${s}@h/d`,
        `postgres://u:${e}@h/d`,
        `postgres://${e}@h/d`,
        `postgres://h/${e}`,
        `postgres://h:${s}/d`,
        `postgres://h/d?${s}`,
      ]) {
        const checked = checkDatabaseUrl(raw);
        if (checked.ok) {
          expect(checked.parts.database).not.toBe('');
          expect(checked.parts.host).not.toBe('');
          expect(describeDatabaseUrl(checked.parts).includes(':***@')).toBe(
            checked.parts.hasPassword && checked.parts.user !== undefined,
          );
        } else {
          expect(typeof checked.problem).toBe('string');
        }
      }
    }
  });

  it('keeps every BLNS password out of its problem and out of the description', () => {
    for (const s of blns) {
      if (s.length < 4) continue; // "a" or "1" would be found in any text
      const secret = `pw${encodeURIComponent(s)}`;
      for (const raw of [`postgres://u:${secret}@h/d`, `postgres://u:${secret}@h:0/d`]) {
        const checked = checkDatabaseUrl(raw);
        const text = checked.ok ? describeDatabaseUrl(checked.parts) : checked.problem;
        expect(text).not.toContain(secret);
      }
    }
  });
});

describe('describeDatabaseUrl', () => {
  it('shows user:***@host:port/database, the password masked', () => {
    expect(describeDatabaseUrl(parts('postgres://pager:secret@db:6000/pager'))).toBe(
      'pager:***@db:6000/pager',
    );
  });

  it('shows the default port, no mask without a password, no user part without a user', () => {
    expect(describeDatabaseUrl(parts('postgres://pager@db/pager'))).toBe('pager@db:5432/pager');
    expect(describeDatabaseUrl(parts('postgres://db/pager'))).toBe('db:5432/pager');
  });

  it('brackets an IPv6 host, not a socket directory', () => {
    expect(describeDatabaseUrl(parts('postgres://u:p@[::1]/d'))).toBe('u:***@[::1]:5432/d');
    expect(describeDatabaseUrl(parts('postgres://u@/d?host=/run/pg'))).toBe('u@/run/pg:5432/d');
  });
});

describe('passwordOf', () => {
  it('answers the decoded password, or undefined', () => {
    expect(passwordOf('postgres://u:s%40cret@h/d')).toBe('s@cret');
    expect(passwordOf('postgres://u:p@ss@h/d')).toBe('p@ss');
    expect(passwordOf('postgres://u@h/d')).toBeUndefined();
    expect(passwordOf('postgres://u:@h/d')).toBeUndefined();
    expect(passwordOf('postgres://h:5432/d')).toBeUndefined();
    expect(passwordOf('nonsense')).toBeUndefined();
  });
});

describe('describeConnectFailure', () => {
  const err = (code: string | undefined, message: string) =>
    Object.assign(new Error(message), { code });

  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1', 'connection refused: nothing listens'],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND db', 'does not resolve (ENOTFOUND)'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN db', '(EAI_AGAIN)'],
    ['EHOSTUNREACH', 'x', 'unreachable (EHOSTUNREACH)'],
    ['ENETUNREACH', 'x', '(ENETUNREACH)'],
    ['ECONNRESET', 'x', 'closed the connection (ECONNRESET)'],
    ['ETIMEDOUT', 'x', 'connect timeout (ETIMEDOUT)'],
    ['28P01', 'password authentication failed for user "u"', 'authentication failed'],
    ['28000', 'no pg_hba.conf entry', 'pg_hba.conf'],
    ['3D000', 'database "x" does not exist', 'database does not exist (3D000)'],
    ['53300', 'sorry, too many clients already', 'too many connections (53300)'],
    ['57P03', 'the database system is starting up', 'starting up or shutting down'],
  ])('names %s', (code, message, expected) => {
    expect(describeConnectFailure(err(code, message))).toContain(expected);
  });

  it('names a connect timeout that pg reports without a code', () => {
    expect(describeConnectFailure(new Error('timeout expired'))).toBe(
      'no answer within the connect timeout',
    );
    expect(
      describeConnectFailure(new Error('Connection terminated due to connection timeout')),
    ).toBe('no answer within the connect timeout');
  });

  it('looks into an AggregateError (localhost tried over IPv6 and IPv4)', () => {
    const aggregate = new AggregateError([err('ECONNREFUSED', 'connect ECONNREFUSED ::1:1')], '');
    expect(describeConnectFailure(aggregate)).toContain('(ECONNREFUSED)');
  });

  it('names TLS trouble and falls back to the message with its code', () => {
    expect(describeConnectFailure(new Error('The server does not support SSL connections'))).toBe(
      'TLS: The server does not support SSL connections',
    );
    expect(describeConnectFailure(err('XX000', 'odd'))).toBe('odd (XX000)');
    expect(describeConnectFailure('plain')).toBe('plain');
    expect(describeConnectFailure(err(undefined, 'x'.repeat(400)))).toHaveLength(301);
  });

  it('masks the secret wherever it appears', () => {
    expect(describeConnectFailure(err('XX000', 'bad hunter2 here'), 'hunter2')).toBe(
      'bad *** here (XX000)',
    );
  });
});

describe('DATABASE_URL in loadCommonConfig', () => {
  const load = (env: Record<string, string>) => loadCommonConfig('adapter', env);

  it('leaves an unset or empty DATABASE_URL to the embedded PostgreSQL', () => {
    expect(load({}).databaseUrl).toBeUndefined();
    expect(load({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('refuses a DATABASE_URL of only whitespace instead of starting embedded', () => {
    expect(() => load({ DATABASE_URL: '  \t ' })).toThrow(ConfigError);
    expect(() => load({ DATABASE_URL: '  \t ' })).toThrow('DATABASE_URL is only whitespace');
  });

  it('names DATABASE_URL and what is wrong, never the password', () => {
    let message = '';
    try {
      load({ DATABASE_URL: 'postgres://pager:hunter2@db:70000/pager' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('DATABASE_URL has the port "70000"; expected a number from 1 to 65535');
    expect(() => load({ DATABASE_URL: 'mysql://db/pager' })).toThrow(
      /^DATABASE_URL has the scheme/,
    );
  });

  it('names DATABASE_URL_FILE when the bad URL came from the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dburl-')), 'url');
    writeFileSync(file, 'postgres://db\n');
    expect(() => load({ DATABASE_URL_FILE: file })).toThrow(
      `DATABASE_URL (from DATABASE_URL_FILE ${file}) names no database`,
    );
  });

  it('takes a well-formed URL as it is', () => {
    expect(load({ DATABASE_URL: ' postgres://u:p@db:5432/pager ' }).databaseUrl).toBe(
      'postgres://u:p@db:5432/pager',
    );
  });
});
