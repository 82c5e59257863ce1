import { resolve, join } from 'node:path';
import { isValidServerId } from '@pager/protocol';
import { checkDatabaseUrl } from './database-url';
import { ConfigError, Env, EnvReader } from './env-reader';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Settings both services read, validated once at boot (README.md, Configuration). */
export interface CommonConfig {
  serviceName: 'discovery' | 'adapter';
  serverId: string;
  discoveryPublicUrl: string;
  federationPublicUrl: string;
  discoveryPort: number;
  adapterPort: number;
  bindAddress: string;
  discoveryInternalUrl: string;
  /**
   * DATABASE_URL (or the content of DATABASE_URL_FILE), its form checked (`checkDatabaseUrl`);
   * undefined: unset or empty, the service starts an embedded PostgreSQL.
   */
  databaseUrl: string | undefined;
  databaseSchema: string;
  /** DATABASE_POOL_MAX: connections this process opens at most (default 10). */
  databasePoolMax: number;
  /** DATABASE_STATEMENT_TIMEOUT_MS: server-side limit per statement, 0 = none (default 15 000). */
  databaseStatementTimeoutMs: number;
  dataDir: string;
  privateKeyPath: string;
  /**
   * PREVIOUS_KEY_PATH: the key being rotated away from (unset: none). The daemon announces
   * the current key with a rotation_signature made by this one (docs/protocol.md §2).
   */
  previousKeyPath: string | undefined;
  internalApiToken: string | undefined;
  allowPrivateEndpoints: boolean;
  maxClockSkewMs: number;
  logLevel: LogLevel;
}

/** Connections per process unless DATABASE_POOL_MAX says otherwise (docs/operations.md). */
export const DEFAULT_DATABASE_POOL_MAX = 10;
/** Statement timeout (ms) unless DATABASE_STATEMENT_TIMEOUT_MS says otherwise. */
export const DEFAULT_DATABASE_STATEMENT_TIMEOUT_MS = 15_000;

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export function loadCommonConfig(
  serviceName: CommonConfig['serviceName'],
  env: Env = process.env,
): CommonConfig {
  const read = new EnvReader(env);
  const appUrl = read.string('APP_URL') !== undefined ? read.url('APP_URL', '') : undefined;
  const appHost = appUrl !== undefined ? new URL(appUrl).hostname.toLowerCase() : undefined;

  const serverId = read.string('SERVER_ID', appHost ?? 'localhost') as string;
  if (!isValidServerId(serverId)) {
    throw new ConfigError(`SERVER_ID must be a lowercase DNS name, got "${serverId}"`);
  }
  const databaseSchema = read.string('DATABASE_SCHEMA', serviceName) as string;
  if (!SCHEMA_RE.test(databaseSchema)) {
    throw new ConfigError(`DATABASE_SCHEMA must match ${SCHEMA_RE}, got "${databaseSchema}"`);
  }
  const dataDir = resolve(read.string('DATA_DIR', './.data') as string);
  const internalApiToken = read.secret('INTERNAL_API_TOKEN');
  if (internalApiToken !== undefined && internalApiToken.length < 16) {
    throw new ConfigError('INTERNAL_API_TOKEN must be at least 16 characters');
  }
  return {
    serviceName,
    serverId,
    discoveryPublicUrl: read.url(
      'DISCOVERY_PUBLIC_URL',
      appUrl !== undefined ? `${appUrl}/discovery` : 'http://127.0.0.1:4100/discovery',
    ),
    federationPublicUrl: read.url(
      'FEDERATION_PUBLIC_URL',
      appUrl !== undefined ? `${appUrl}/federation` : 'http://127.0.0.1:4200/federation',
    ),
    discoveryPort: read.int('DISCOVERY_PORT', 4100, 1, 65535),
    adapterPort: read.int('ADAPTER_PORT', 4200, 1, 65535),
    bindAddress: read.string('BIND_ADDRESS', '127.0.0.1') as string,
    discoveryInternalUrl: read.url('DISCOVERY_INTERNAL_URL', 'http://127.0.0.1:4100'),
    databaseUrl: readDatabaseUrl(read, env),
    databaseSchema,
    databasePoolMax: read.int('DATABASE_POOL_MAX', DEFAULT_DATABASE_POOL_MAX, 1, 1_000),
    databaseStatementTimeoutMs: read.int(
      'DATABASE_STATEMENT_TIMEOUT_MS',
      DEFAULT_DATABASE_STATEMENT_TIMEOUT_MS,
      0,
      3_600_000,
    ),
    dataDir,
    privateKeyPath: resolve(
      read.string('PRIVATE_KEY_PATH', join(dataDir, 'server-key.pem')) as string,
    ),
    previousKeyPath:
      read.string('PREVIOUS_KEY_PATH') !== undefined
        ? resolve(read.string('PREVIOUS_KEY_PATH') as string)
        : undefined,
    internalApiToken,
    allowPrivateEndpoints: read.bool('ALLOW_PRIVATE_ENDPOINTS', false),
    maxClockSkewMs: read.int('MAX_CLOCK_SKEW_MS', 300_000, 1_000, 86_400_000),
    logLevel: read.oneOf<LogLevel>('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error']),
  };
}

/**
 * DATABASE_URL or DATABASE_URL_FILE, checked: unset or empty means embedded; a value of only
 * whitespace is refused (a secret that lost its content must not silently start an embedded
 * database), and so is one not of the form
 * `postgres[ql]://[user[:password]@]host[:port]/database` (`checkDatabaseUrl`).
 * @throws ConfigError naming the variable and what is wrong, never the password.
 */
function readDatabaseUrl(read: EnvReader, env: Env): string | undefined {
  const direct = env['DATABASE_URL'];
  if (direct !== undefined && direct !== '' && direct.trim() === '') {
    throw new ConfigError(
      'DATABASE_URL is only whitespace; unset it for the embedded PostgreSQL, or give a postgres:// URL',
    );
  }
  const url = read.secret('DATABASE_URL');
  if (url === undefined) return undefined;
  const checked = checkDatabaseUrl(url);
  if (!checked.ok) {
    const file = read.string('DATABASE_URL_FILE');
    const name =
      file === undefined ? 'DATABASE_URL' : `DATABASE_URL (from DATABASE_URL_FILE ${file})`;
    throw new ConfigError(`${name} ${checked.problem}`);
  }
  return url;
}

/** Path part of a public URL, where the service mounts its public routes (`/discovery`). */
export function publicPathOf(publicUrl: string): string {
  const path = new URL(publicUrl).pathname.replace(/\/+$/, '');
  return path === '' ? '' : path;
}
