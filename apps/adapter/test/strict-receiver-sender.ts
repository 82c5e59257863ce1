import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RunningService, freeLoopbackPort, startService } from '@pager/server-kit';
import {
  ReceiverBehaviour,
  StrictReceiver,
  StrictReceiverOptions,
  call,
  dropTestSchema,
  eventually,
  testVectors,
} from '@pager/testing';
import { adapterService } from '../src/app/adapter.service-definition';
import type { AdapterConfig } from '../src/app/config/adapter-config';
import { fakeDaemon, startJsonServer } from './fake-peers';

/** A message's outcome as `GET /api/v1/messages/{id}` shows it once it settled. */
export type SettledPage = Record<string, unknown> & { status: string };

/** Our adapter sending to a strict receiver (`mirah.example.com`), for integration specs. */
export interface SenderUnderTest {
  service: RunningService<AdapterConfig>;
  /** `http://127.0.0.1:<port>` of the adapter. */
  base: string;
  dataDir: string;
  receiver: StrictReceiver;
  /** Sends a page from `u-taylor` to `user@mirah.example.com`; waits ≤ 20 s until it settles. */
  sendAndSettle(user: string): Promise<{ id: string; state: SettledPage }>;
  close(): Promise<void>;
}

/**
 * Starts a strict receiver for `mirah.example.com` (the test-vector key) answering each
 * request of a page as `plans[recipient user][n - 1]` (then `ack`), a fake daemon that
 * resolves it (and answers `daemonRoutes` first), and our adapter in this process with short
 * delivery timers (ack timeout 1 s, retries 200 ms apart, 3 attempts, no breaker), with user
 * `u-taylor` registered. `beforeStart(dataDir)` runs before the adapter starts (e.g. to
 * write key files) and may answer variables to add; `env` adds or overrides variables.
 */
export async function startSenderAgainstStrictReceiver(options: {
  plans: Record<string, ReceiverBehaviour[]>;
  receiver?: Partial<StrictReceiverOptions>;
  daemonRoutes?: (
    method: string,
    path: string,
    body: unknown,
  ) => { status: number; body?: unknown } | undefined;
  beforeStart?: (dataDir: string) => Record<string, string> | void;
  env?: Record<string, string>;
}): Promise<SenderUnderTest> {
  const mirah = testVectors().keys['mirah.example.com'];
  const schema = `it_snd_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'adapter-sender-'));
  const closers: (() => Promise<void>)[] = [];
  const receiver = new StrictReceiver({
    serverId: 'mirah.example.com',
    privateKeyPem: mirah.private_key_pkcs8,
    plan: (message, n) => options.plans[String(message.to).split('@')[0]]?.[n - 1] ?? 'ack',
    ...options.receiver,
  });
  await receiver.start();
  closers.push(() => receiver.close());
  const daemon = fakeDaemon([
    {
      serverId: 'mirah.example.com',
      publicKeyPem: mirah.public_key,
      fingerprint: mirah.fingerprint,
      federationUrl: `${receiver.url}/federation`,
    },
  ]);
  const server = await startJsonServer(
    (method, path, body) =>
      options.daemonRoutes?.(method, path, body) ?? daemon.handler(method, path, body),
  );
  closers.push(server.close);
  const startEnv = options.beforeStart?.(dataDir) ?? {};
  const port = await freeLoopbackPort();
  const service = await startService(adapterService, {
    SERVER_ID: 'pager.test',
    BIND_ADDRESS: '127.0.0.1',
    ADAPTER_PORT: String(port),
    FEDERATION_PUBLIC_URL: `http://127.0.0.1:${port}/federation`,
    DISCOVERY_INTERNAL_URL: server.url,
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    DATA_DIR: dataDir,
    ACK_TIMEOUT_MS: '1000',
    RETRY_DELAY_MS: '200',
    DELIVERY_ATTEMPTS: '3',
    // These pages fail on purpose, several in a row: the breaker is the business of other tests.
    DELIVERY_BREAKER_THRESHOLD: '100',
    LOG_LEVEL: process.env.ADAPTER_TEST_LOG_LEVEL ?? 'error',
    ...options.env,
    ...startEnv,
  });
  const base = `http://127.0.0.1:${port}`;
  const registered = await call(base, 'POST', '/api/v1/users', {
    user_id: 'u-taylor',
    username: 'taylor',
  });
  if (registered.status !== 201) throw new Error(`registering u-taylor: ${registered.status}`);
  return {
    service,
    base,
    dataDir,
    receiver,
    async sendAndSettle(user: string) {
      const sent = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-taylor',
        to: `${user}@mirah.example.com`,
        content: `page for ${user}`,
      });
      if (sent.status !== 202) throw new Error(`sending to ${user}: ${sent.status}`);
      const id = sent.body.message_id as string;
      const state = await eventually(
        async () => {
          const s = (await call(base, 'GET', `/api/v1/messages/${id}`)).body as SettledPage;
          return ['delivered', 'failed', 'rejected'].includes(s.status) ? s : undefined;
        },
        20_000,
        `${id} to settle`,
      );
      return { id, state };
    },
    async close() {
      await service.close();
      for (const close of closers) await close();
      await dropTestSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
