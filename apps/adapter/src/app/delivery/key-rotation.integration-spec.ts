import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RunningService, createKeyFile, freeLoopbackPort, startService } from '@pager/server-kit';
import {
  ReceiverBehaviour,
  StrictReceiver,
  call,
  dropTestSchema,
  eventually,
  testVectors,
} from '@pager/testing';
import { adapterService } from '../adapter.service-definition';
import type { AdapterConfig } from '../config/adapter-config';
import { fakeDaemon, startJsonServer } from '../../../test/fake-peers';

const mirah = testVectors().keys['mirah.example.com'];

jest.setTimeout(60_000);

/** Per recipient, the strict receiver's answer to each request of a page (then `ack`). */
const plans: Record<string, ReceiverBehaviour[]> = {
  // Its pin moves once our announcement was pushed: the retry is accepted.
  moves: ['key_mismatch'],
  // Never moves its pin (it fetches our announcement once a minute at most).
  stubborn: Array(20).fill('key_mismatch'),
};

/**
 * docs/protocol.md §2, sender side of a rotation: an adapter that holds a previous key
 * (PREVIOUS_KEY_PATH) answers `401 key_mismatch` from a strict receiver by asking its daemon
 * to push our announcement (`POST /api/v1/announce`) and sending the same message once more,
 * and does not take that first answer as a final 4xx.
 */
describe('delivery during our key rotation (401 key_mismatch)', () => {
  let service: RunningService<AdapterConfig>;
  let base: string;
  let announces = 0;
  const schema = `it_rot_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'adapter-rot-'));
  const closers: (() => Promise<void>)[] = [];
  const receiver = new StrictReceiver({
    serverId: 'mirah.example.com',
    privateKeyPem: mirah.private_key_pkcs8,
    plan: (message, n) => plans[String(message.to).split('@')[0]]?.[n - 1] ?? 'ack',
  });

  beforeAll(async () => {
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
    const server = await startJsonServer((method, path, body) => {
      if (method === 'POST' && path === '/api/v1/announce') {
        announces++;
        return { status: 200, body: {} };
      }
      return daemon.handler(method, path, body);
    });
    closers.push(server.close);
    // A rotation under way: the previous key beside the current one.
    createKeyFile(join(dataDir, 'server-key.previous.pem'));
    const port = await freeLoopbackPort();
    service = await startService(adapterService, {
      SERVER_ID: 'pager.test',
      BIND_ADDRESS: '127.0.0.1',
      ADAPTER_PORT: String(port),
      FEDERATION_PUBLIC_URL: `http://127.0.0.1:${port}/federation`,
      DISCOVERY_INTERNAL_URL: server.url,
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      DATA_DIR: dataDir,
      PREVIOUS_KEY_PATH: join(dataDir, 'server-key.previous.pem'),
      ACK_TIMEOUT_MS: '1000',
      RETRY_DELAY_MS: '200',
      DELIVERY_ATTEMPTS: '3',
      DELIVERY_BREAKER_THRESHOLD: '100',
      LOG_LEVEL: process.env.ADAPTER_TEST_LOG_LEVEL ?? 'error',
    });
    base = `http://127.0.0.1:${port}`;
    expect(
      (await call(base, 'POST', '/api/v1/users', { user_id: 'u-taylor', username: 'taylor' }))
        .status,
    ).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    for (const close of closers) await close();
    await dropTestSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function sendAndSettle(user: string) {
    const sent = await call(base, 'POST', '/api/v1/messages', {
      sender_user_id: 'u-taylor',
      to: `${user}@mirah.example.com`,
      content: `page for ${user}`,
    });
    expect(sent.status).toBe(202);
    const id = sent.body.message_id as string;
    const state = await eventually(
      async () => {
        const s = (await call(base, 'GET', `/api/v1/messages/${id}`)).body;
        return ['delivered', 'failed', 'rejected'].includes(s.status) ? s : undefined;
      },
      20_000,
      `${id} to settle`,
    );
    return { id, state };
  }

  it('shows the previous key beside the current one (GET /api/v1/keys)', async () => {
    const keys = (await call(base, 'GET', '/api/v1/keys')).body;
    expect(keys.previous_fingerprint).toMatch(/^[0-9A-F]{64}$/);
    expect(keys.previous_fingerprint).not.toBe(keys.fingerprint);
  });

  it('pushes the announcement and retries once in the same attempt: delivered', async () => {
    const before = announces;
    const { id, state } = await sendAndSettle('moves');
    expect(state).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    expect(announces - before).toBe(1);
    const requests = receiver.requestsFor(id);
    expect(requests.map((r) => r.behaviour)).toEqual(['key_mismatch', 'ack']);
    // The same signed message, sent again.
    expect(requests[1].message).toEqual(requests[0].message);
  });

  it('takes a second key_mismatch as transient, not final: every attempt is spent, each retried once', async () => {
    const { id, state } = await sendAndSettle('stubborn');
    expect(state).toMatchObject({ status: 'failed', attempts: 3, last_error: 'key_mismatch' });
    expect(receiver.requestsFor(id)).toHaveLength(6);
  });
});
