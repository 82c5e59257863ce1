import { RunningService, freeLoopbackPort, startService } from '@pager/server-kit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveryConfig } from './config/discovery-config';
import { discoveryService } from './discovery.service-definition';

/** A discovery daemon of an integration test, and the base URL it serves. */
export interface TestDaemon {
  service: RunningService<DiscoveryConfig>;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  base: string;
}

/**
 * Starts the whole daemon in this process for an integration spec: on a free loopback port,
 * in `schema` of TEST_DATABASE_URL's database (or the Jest setup's embedded one), with a
 * fresh data directory, development endpoints and a gossip schedule that never fires on its
 * own (1 h). `env` adds or overrides variables (e.g. `PIN_CONFIRMATIONS`).
 */
export async function startTestDaemon(
  serverId: string,
  schema: string,
  env: Record<string, string> = {},
): Promise<TestDaemon> {
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const service = await startService(discoveryService, {
    SERVER_ID: serverId,
    BIND_ADDRESS: '127.0.0.1',
    DISCOVERY_PORT: String(port),
    DISCOVERY_PUBLIC_URL: `${base}/discovery`,
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    DATA_DIR: mkdtempSync(join(tmpdir(), `daemon-${serverId}-`)),
    ALLOW_PRIVATE_ENDPOINTS: 'true',
    GOSSIP_INTERVAL_MS: '3600000',
    LOG_LEVEL: 'error',
    ...env,
  });
  return { service, base };
}
