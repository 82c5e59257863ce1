import { join } from 'node:path';
import { ServiceProcess, makeTempDir } from './server-process';
import { dropTestSchema } from './test-database';

export interface TestServerOptions {
  /** Server id, also used for schema names: lowercase letters, digits, hyphens. */
  serverId: string;
  /** Loopback address to bind, e.g. 127.0.0.2 (each server its own). */
  host: string;
  discoveryPort?: number;
  adapterPort?: number;
  withAdapter?: boolean;
  /** Extra environment for both services (short timers, bootstrap servers...). */
  env?: Record<string, string>;
  discoveryEnv?: Record<string, string>;
  adapterEnv?: Record<string, string>;
}

/** Short timers for tests; each test may override them. */
export const FAST_TIMERS: Record<string, string> = {
  GOSSIP_INTERVAL_MS: '500',
  GOSSIP_JITTER_MS: '200',
  ACK_TIMEOUT_MS: '2000',
  RETRY_DELAY_MS: '1000',
};

/**
 * A complete server (discovery daemon, optionally the adapter) on its own loopback
 * address, sharing one key, with its data in the test PostgreSQL (TEST_DATABASE_URL)
 * under schemas of its own.
 */
export class TestServer {
  readonly discovery: ServiceProcess;
  readonly adapter: ServiceProcess | undefined;
  readonly dataDir: string;

  constructor(readonly options: TestServerOptions) {
    const databaseUrl = process.env.TEST_DATABASE_URL;
    if (!databaseUrl)
      throw new Error('TEST_DATABASE_URL is not set (jest global setup provides it)');
    this.dataDir = makeTempDir(options.serverId);
    const discoveryPort = options.discoveryPort ?? 4100;
    const adapterPort = options.adapterPort ?? 4200;
    const schemaBase = options.serverId.replace(/[^a-z0-9]/g, '_');
    const common: Record<string, string> = {
      SERVER_ID: options.serverId,
      BIND_ADDRESS: options.host,
      DISCOVERY_PORT: String(discoveryPort),
      ADAPTER_PORT: String(adapterPort),
      DISCOVERY_PUBLIC_URL: `http://${options.host}:${discoveryPort}/discovery`,
      FEDERATION_PUBLIC_URL: `http://${options.host}:${adapterPort}/federation`,
      DISCOVERY_INTERNAL_URL: `http://${options.host}:${discoveryPort}`,
      DATA_DIR: this.dataDir,
      DATABASE_URL: databaseUrl,
      ALLOW_PRIVATE_ENDPOINTS: 'true',
      LOG_LEVEL: 'debug',
      ...FAST_TIMERS,
      ...options.env,
    };
    this.discovery = new ServiceProcess({
      service: 'discovery',
      baseUrl: `http://${options.host}:${discoveryPort}`,
      logFile: join(this.dataDir, 'discovery.log'),
      env: { ...common, DATABASE_SCHEMA: `d_${schemaBase}`, ...options.discoveryEnv },
    });
    this.adapter =
      options.withAdapter === false
        ? undefined
        : new ServiceProcess({
            service: 'adapter',
            baseUrl: `http://${options.host}:${adapterPort}`,
            logFile: join(this.dataDir, 'adapter.log'),
            env: { ...common, DATABASE_SCHEMA: `a_${schemaBase}`, ...options.adapterEnv },
          });
  }

  get serverId(): string {
    return this.options.serverId;
  }

  /**
   * Drops this server's schemas, for a test that must start from nothing even on a
   * TEST_DATABASE_URL kept between runs (peers' pins of an earlier run's keys, for one).
   */
  async dropSchemas(): Promise<void> {
    const base = this.options.serverId.replace(/[^a-z0-9]/g, '_');
    await dropTestSchema(`d_${base}`);
    await dropTestSchema(`a_${base}`);
  }

  async start(): Promise<this> {
    await this.discovery.start();
    await this.adapter?.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.adapter?.stop();
    await this.discovery.stop();
  }
}

/** Calls an internal or public endpoint; returns status, headers and parsed body. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result) return result;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}

/**
 * The sum of every sample of `GET {baseUrl}/metrics` (Prometheus text) whose line starts
 * with `series`, e.g. `discovery_gossip_exchanges_total{role="responder"` sums that
 * counter over its other labels. 0 when no line matches.
 */
export async function metricSum(baseUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(series)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
