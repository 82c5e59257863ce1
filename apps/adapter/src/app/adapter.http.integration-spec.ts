import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  formatProtocolTimestamp,
  messageDigest,
  newMessageId,
  parsePrivateKey,
  signObject,
  verifyObjectSignature,
} from '@pager/protocol';
import { RunningService, ServerKey, freeLoopbackPort, startService } from '@pager/server-kit';
import { call, dropTestSchema, eventually, naughtyStrings, testVectors } from '@pager/testing';
import { adapterService } from './adapter.service-definition';
import type { AdapterConfig } from './config/adapter-config';
import { fakeDaemon, fakeReceiver, startJsonServer } from '../../test/fake-peers';

const SERVER_ID = 'pager.test';
const PUBLIC_PATH = '/fed/v1';
const vectors = testVectors();
const mirah = vectors.keys['mirah.example.com'];
const other = vectors.keys['other-server.com'];
const mirahKey = parsePrivateKey(mirah.private_key_pkcs8);
const otherKey = parsePrivateKey(other.private_key_pkcs8);

jest.setTimeout(30_000);

describe('adapter over HTTP', () => {
  let service: RunningService<AdapterConfig>;
  let base: string;
  let ownKey: ServerKey;
  const schema = `it_http_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'adapter-http-'));
  const closers: (() => Promise<void>)[] = [];

  const receiver = fakeReceiver('mirah.example.com', mirah.private_key_pkcs8, (m) => {
    if (m.to === 'nobody@mirah.example.com')
      return { status: 200, ack: 'rejected', reason: 'unknown_recipient' };
    if (m.to === 'flaky@mirah.example.com') return { status: 503, headers: { 'retry-after': '0' } };
    if (m.to === 'refuser@mirah.example.com') return { status: 400 };
    return { status: 200, ack: 'delivered' };
  });

  beforeAll(async () => {
    const remote = await startJsonServer(receiver.handler);
    closers.push(remote.close);
    const daemon = fakeDaemon([
      {
        serverId: 'mirah.example.com',
        publicKeyPem: mirah.public_key,
        fingerprint: mirah.fingerprint,
        federationUrl: `${remote.url}/federation`,
      },
      {
        serverId: 'other-server.com',
        publicKeyPem: other.public_key,
        fingerprint: other.fingerprint,
        federationUrl: 'http://127.0.0.1:9/federation',
      },
    ]);
    const daemonServer = await startJsonServer(daemon.handler);
    closers.push(daemonServer.close);
    const port = await freeLoopbackPort();
    service = await startService(adapterService, {
      SERVER_ID,
      BIND_ADDRESS: '127.0.0.1',
      ADAPTER_PORT: String(port),
      FEDERATION_PUBLIC_URL: `http://127.0.0.1:${port}${PUBLIC_PATH}`,
      DISCOVERY_INTERNAL_URL: daemonServer.url,
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      DATA_DIR: dataDir,
      ACK_TIMEOUT_MS: '2000',
      RETRY_DELAY_MS: '200',
      DELIVERY_ATTEMPTS: '2',
      LOG_LEVEL: process.env.ADAPTER_TEST_LOG_LEVEL ?? 'error',
    });
    base = `http://127.0.0.1:${port}`;
    ownKey = new ServerKey(parsePrivateKey(readFileSync(join(dataDir, 'server-key.pem'), 'utf8')));
    for (const [user_id, username] of [
      ['u-alice', 'alice'],
      ['u-bob', 'bob'],
      ['u-carol', 'carol'],
    ]) {
      expect((await call(base, 'POST', '/api/v1/users', { user_id, username })).status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    for (const close of closers) await close();
    await dropTestSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  function message(overrides: Record<string, unknown> = {}, key = mirahKey) {
    return signObject(
      {
        version: '1.0',
        message_id: newMessageId(),
        message_type: 'pager',
        from: 'taylor@mirah.example.com',
        to: `alice@${SERVER_ID}`,
        content: 'server room is on fire',
        priority: 2,
        timestamp: formatProtocolTimestamp(Date.now()),
        sender_fingerprint: mirah.fingerprint,
        ...overrides,
      },
      key,
    );
  }
  const post = (body: unknown) => call(base, 'POST', `${PUBLIC_PATH}/messages`, body);
  const inbox = async (userId: string) =>
    (await call(base, 'GET', `/api/v1/users/${userId}/messages?box=inbox&limit=200`)).body.messages;

  describe('users', () => {
    it('registers a username case-insensitively and answers its address', async () => {
      const res = await call(base, 'POST', '/api/v1/users', {
        user_id: 'u:Dave.1',
        username: 'Dave_1',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user_id: 'u:Dave.1',
        username: 'dave_1',
        address: `dave_1@${SERVER_ID}`,
      });
      expect((await call(base, 'GET', '/api/v1/users/DAVE_1')).body.user_id).toBe('u:Dave.1');
    });

    it('refuses a taken username, a second username for a user and an invalid username', async () => {
      expect(
        (await call(base, 'POST', '/api/v1/users', { user_id: 'u-x', username: 'ALICE' })).body
          .error,
      ).toBe('username_taken');
      expect(
        (await call(base, 'POST', '/api/v1/users', { user_id: 'u-alice', username: 'alice2' })).body
          .error,
      ).toBe('user_already_registered');
      const bad = await call(base, 'POST', '/api/v1/users', { user_id: 'u-y', username: 'ab' });
      expect([bad.status, bad.body.error]).toEqual([400, 'invalid_username']);
    });

    it('answers 404 for an unknown username', async () => {
      expect((await call(base, 'GET', '/api/v1/users/nosuchuser')).status).toBe(404);
    });
  });

  describe('contacts', () => {
    it('creates, lists and deletes a contact, visible only to its owner', async () => {
      const created = await call(base, 'POST', '/api/v1/users/u-bob/contacts', {
        name: '  Ops Lead ',
        email: 'ops@example.com',
        phone: '+1 (555) 010-0000',
        pager_address: 'Carol',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'Ops Lead', pager_address: 'carol' });
      expect((await call(base, 'GET', '/api/v1/users/u-bob/contacts')).body.contacts).toHaveLength(
        1,
      );
      expect(
        (await call(base, 'GET', '/api/v1/users/u-carol/contacts')).body.contacts,
      ).toHaveLength(0);
      expect(
        (await call(base, 'DELETE', `/api/v1/users/u-carol/contacts/${created.body.id}`)).status,
      ).toBe(404);
      expect(
        (await call(base, 'DELETE', `/api/v1/users/u-bob/contacts/${created.body.id}`)).status,
      ).toBe(204);
      expect((await call(base, 'GET', '/api/v1/users/u-bob/contacts')).body.contacts).toHaveLength(
        0,
      );
    });

    it('refuses a malformed pager address, email or phone, and an unknown user', async () => {
      expect(
        (
          await call(base, 'POST', '/api/v1/users/u-bob/contacts', {
            name: 'x',
            pager_address: 'a@b@c',
          })
        ).body.error,
      ).toBe('invalid_address');
      expect(
        (
          await call(base, 'POST', '/api/v1/users/u-bob/contacts', {
            name: 'x',
            pager_address: 'carol',
            email: 'nope',
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(base, 'POST', '/api/v1/users/u-bob/contacts', {
            name: 'x',
            pager_address: 'carol',
            phone: 'call me',
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(base, 'POST', '/api/v1/users/u-nobody/contacts', {
            name: 'x',
            pager_address: 'carol',
          })
        ).status,
      ).toBe(404);
    });
  });

  describe('local pages', () => {
    it('delivers at once into the sender sent box and the recipient inbox', async () => {
      const res = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-alice',
        to: 'bob',
        content: 'db is down',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'delivered',
        from: `alice@${SERVER_ID}`,
        to: `bob@${SERVER_ID}`,
      });
      const sent = (await call(base, 'GET', '/api/v1/users/u-alice/messages?box=sent')).body
        .messages;
      expect(sent.map((m: { message_id: string }) => m.message_id)).toContain(res.body.message_id);
      const received = await inbox('u-bob');
      expect(
        received.find((m: { message_id: string }) => m.message_id === res.body.message_id),
      ).toMatchObject({ content: 'db is down', priority: 1, status: 'delivered' });
      expect(
        (await inbox('u-alice')).map((m: { message_id: string }) => m.message_id),
      ).not.toContain(res.body.message_id);
    });

    it('resolves a contact name of the sender to its address', async () => {
      await call(base, 'POST', '/api/v1/users/u-carol/contacts', {
        name: 'The Boss',
        pager_address: `ALICE@${SERVER_ID}`,
      });
      const res = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-carol',
        to: 'the boss',
        content: 'hi',
        priority: 0,
      });
      expect([res.status, res.body.to]).toEqual([201, `alice@${SERVER_ID}`]);
    });

    it('refuses pages from a blocked sender and, under the contacts policy, from strangers', async () => {
      expect(
        (await call(base, 'POST', '/api/v1/users/u-carol/blocks', { address: 'bob' })).status,
      ).toBe(201);
      const blocked = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-bob',
        to: 'carol',
        content: 'x',
      });
      expect([blocked.status, blocked.body.error]).toEqual([403, 'blocked']);
      expect(
        (await call(base, 'DELETE', `/api/v1/users/u-carol/blocks/bob@${SERVER_ID}`)).status,
      ).toBe(204);
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-bob',
            to: 'carol',
            content: 'x',
          })
        ).status,
      ).toBe(201);
      expect(
        (await call(base, 'PUT', '/api/v1/users/u-carol/policy', { accept: 'contacts' })).status,
      ).toBe(200);
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-bob',
            to: 'carol',
            content: 'x',
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-alice',
            to: 'carol',
            content: 'x',
          })
        ).status,
      ).toBe(201);
      expect(
        (await call(base, 'PUT', '/api/v1/users/u-carol/policy', { accept: 'anyone' })).status,
      ).toBe(200);
    });

    it('answers unknown_recipient, invalid_address and validation errors', async () => {
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-alice',
            to: 'ghost',
            content: 'x',
          })
        ).body.error,
      ).toBe('unknown_recipient');
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-alice',
            to: 'not an address!',
            content: 'x',
          })
        ).body.error,
      ).toBe('invalid_address');
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-alice',
            to: 'bob',
            content: '',
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-alice',
            to: 'bob',
            content: 'x',
            priority: 3,
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(base, 'POST', '/api/v1/messages', {
            sender_user_id: 'u-alice',
            to: 'bob',
            content: 'x'.repeat(4097),
          })
        ).status,
      ).toBe(400);
    });

    it('pages through a box with limit and a message_id cursor', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          (
            await call(base, 'POST', '/api/v1/messages', {
              sender_user_id: 'u-bob',
              to: 'alice',
              content: `page ${i}`,
            })
          ).body.message_id,
        );
      }
      const first = (await call(base, 'GET', '/api/v1/users/u-bob/messages?box=sent&limit=2')).body
        .messages;
      expect(first.map((m: { message_id: string }) => m.message_id)).toEqual([ids[4], ids[3]]);
      const next = (
        await call(base, 'GET', `/api/v1/users/u-bob/messages?box=sent&limit=2&before=${ids[3]}`)
      ).body.messages;
      expect(next.map((m: { message_id: string }) => m.message_id)).toEqual([ids[2], ids[1]]);
      expect(
        (await call(base, 'GET', '/api/v1/users/u-bob/messages?box=sent&limit=0')).status,
      ).toBe(400);
    });
  });

  describe('federated pages out', () => {
    it('queues, sends and records a verified delivered ack', async () => {
      const res = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-alice',
        to: 'alex@mirah.example.com',
        content: 'café ☕',
        priority: 2,
      });
      expect([res.status, res.body.status]).toEqual([202, 'queued']);
      const state = await eventually(
        async () => {
          const s = (await call(base, 'GET', `/api/v1/messages/${res.body.message_id}`)).body;
          return s.status === 'delivered' ? s : undefined;
        },
        10_000,
        'delivery',
        100,
      );
      expect(state.attempts).toBe(1);
      const sent = receiver.received.find((m) => m.message_id === res.body.message_id)!;
      expect(sent).toMatchObject({
        from: `alice@${SERVER_ID}`,
        to: 'alex@mirah.example.com',
        content: 'café ☕',
        sender_fingerprint: ownKey.fingerprint,
      });
      expect(verifyObjectSignature(sent, ownKey.publicKey)).toBe(true);
    });

    it('ends rejected, without retrying, when the signed ack rejects', async () => {
      const res = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-alice',
        to: 'nobody@mirah.example.com',
        content: 'x',
      });
      const state = await eventually(
        async () => {
          const s = (await call(base, 'GET', `/api/v1/messages/${res.body.message_id}`)).body;
          return s.status === 'rejected' ? s : undefined;
        },
        10_000,
        'rejection',
        100,
      );
      expect([state.attempts, state.last_error]).toEqual([1, 'unknown_recipient']);
    });

    it('retries a 5xx up to DELIVERY_ATTEMPTS and then fails', async () => {
      const res = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-alice',
        to: 'flaky@mirah.example.com',
        content: 'x',
      });
      const state = await eventually(
        async () => {
          const s = (await call(base, 'GET', `/api/v1/messages/${res.body.message_id}`)).body;
          return s.status === 'failed' ? s : undefined;
        },
        10_000,
        'failure',
        100,
      );
      expect(state.attempts).toBe(2);
      expect(receiver.received.filter((m) => m.message_id === res.body.message_id)).toHaveLength(2);
    });

    it('fails at once on another 4xx, with its error code', async () => {
      const res = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u-alice',
        to: 'refuser@mirah.example.com',
        content: 'x',
      });
      const state = await eventually(
        async () => {
          const s = (await call(base, 'GET', `/api/v1/messages/${res.body.message_id}`)).body;
          return s.status === 'failed' ? s : undefined;
        },
        10_000,
        'failure',
        100,
      );
      expect([state.attempts, state.last_error]).toEqual([1, 'internal_error']);
    });
  });

  describe('federated pages in', () => {
    it('stores a valid message and answers an ack signed by this server over its digest', async () => {
      const msg = message();
      const res = await post(msg);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        ack_type: 'message_received',
        message_id: msg.message_id,
        status: 'delivered',
        recipient_server: SERVER_ID,
        message_digest: messageDigest(msg),
      });
      expect(verifyObjectSignature(res.body, ownKey.publicKey)).toBe(true);
      expect(
        (await inbox('u-alice')).filter(
          (m: { message_id: string }) => m.message_id === msg.message_id,
        ),
      ).toHaveLength(1);
    });

    it('answers a duplicate with the same status and adds nothing to the inbox', async () => {
      const msg = message();
      const answers = await Promise.all([post(msg), post(msg), post(msg)]);
      expect(answers.map((a) => [a.status, a.body.status])).toEqual([
        [200, 'delivered'],
        [200, 'delivered'],
        [200, 'delivered'],
      ]);
      expect((await post(msg)).body.status).toBe('delivered');
      expect(
        (await inbox('u-alice')).filter(
          (m: { message_id: string }) => m.message_id === msg.message_id,
        ),
      ).toHaveLength(1);
    });

    it("answers a repeat signed afresh (new timestamp) with the first copy's digest", async () => {
      const first = message();
      const repeat = message({
        message_id: first.message_id,
        content: first.content,
        timestamp: formatProtocolTimestamp(Date.now() + 2_000),
      });
      expect(messageDigest(repeat)).not.toBe(messageDigest(first));
      const a = await post(first);
      const b = await post(repeat);
      expect(a.body).toMatchObject({ status: 'delivered', message_digest: messageDigest(first) });
      expect(b.status).toBe(200);
      expect(b.body).toMatchObject({
        message_id: first.message_id,
        status: 'delivered',
        message_digest: messageDigest(first),
      });
      expect(verifyObjectSignature(b.body, ownKey.publicKey)).toBe(true);
      expect(
        (await inbox('u-alice')).filter(
          (m: { message_id: string }) => m.message_id === first.message_id,
        ),
      ).toHaveLength(1);
    });

    it('acks rejected for an unknown recipient, and again on a repeat', async () => {
      const msg = message({ to: `ghost@${SERVER_ID}` });
      const first = await post(msg);
      expect([first.status, first.body.status, first.body.reason]).toEqual([
        200,
        'rejected',
        'unknown_recipient',
      ]);
      expect((await post(msg)).body.reason).toBe('unknown_recipient');
    });

    it('acks rejected when the recipient blocks the sender', async () => {
      await call(base, 'POST', '/api/v1/users/u-bob/blocks', {
        address: 'taylor@mirah.example.com',
      });
      const res = await post(message({ to: `bob@${SERVER_ID}` }));
      expect([res.body.status, res.body.reason]).toEqual(['rejected', 'blocked_by_recipient']);
    });

    it('refuses a tampered message with signature_invalid', async () => {
      const res = await post({ ...message(), content: 'tampered' });
      expect([res.status, res.body.error]).toEqual([401, 'signature_invalid']);
    });

    it('counts unknown members in the signature', async () => {
      const res = await post({ ...message(), extra: 'not signed' });
      expect([res.status, res.body.error]).toEqual([401, 'signature_invalid']);
      expect((await post(message({ extra: 'signed' }))).status).toBe(200);
    });

    it('refuses a message whose key is not the pinned one with key_mismatch', async () => {
      const res = await post(message({ sender_fingerprint: other.fingerprint }, otherKey));
      expect([res.status, res.body.error]).toEqual([401, 'key_mismatch']);
    });

    it('refuses a sender whose key cannot be resolved with unknown_server', async () => {
      const res = await post(message({ from: 'xavier@unknown.example' }));
      expect([res.status, res.body.error]).toEqual([401, 'unknown_server']);
    });

    it('refuses a stale message with clock_skew', async () => {
      const res = await post(
        message({ timestamp: formatProtocolTimestamp(Date.now() - 10 * 60_000) }),
      );
      expect([res.status, res.body.error]).toEqual([400, 'clock_skew']);
    });

    it('refuses a message for another server with wrong_server', async () => {
      const res = await post(message({ to: 'alice@elsewhere.example' }));
      expect([res.status, res.body.error]).toEqual([400, 'wrong_server']);
    });

    it('refuses an oversize body with 413', async () => {
      const res = await post({ ...message(), padding: 'x'.repeat(70 * 1024) });
      expect([res.status, res.body.error]).toEqual([413, 'payload_too_large']);
    });

    it('refuses version 2.0 and an unknown message_type, in that order', async () => {
      expect((await post(message({ version: '2.0' }))).body.error).toBe('unsupported_version');
      expect((await post(message({ message_type: 'x' }))).body.error).toBe(
        'unsupported_message_type',
      );
      expect((await post(message({ version: '2.0', message_type: 'x' }))).body.error).toBe(
        'unsupported_version',
      );
    });

    it('checks the schema before the version, and answers invalid JSON', async () => {
      const noId = { ...message({ version: '2.0' }) } as Record<string, unknown>;
      delete noId.message_id;
      expect((await post(noId)).body.error).toBe('validation_failed');
      expect((await post('{not json')).body.error).toBe('invalid_json');
    });

    it('mounts the public route under the path of FEDERATION_PUBLIC_URL only', async () => {
      expect((await call(base, 'POST', '/federation/messages', message())).status).toBe(404);
    });
  });

  describe('naughty strings', () => {
    const strings = naughtyStrings();

    it('never answers 5xx to a naughty username, and stores accepted ones as given', async () => {
      for (const [i, s] of strings.entries()) {
        const res = await call(base, 'POST', '/api/v1/users', {
          user_id: `blns-${i}`,
          username: s,
        });
        expect(res.status).toBeLessThan(500);
        if (res.status === 201) expect(res.body.username).toBe(s.toLowerCase());
        expect(
          (await call(base, 'GET', `/api/v1/users/${encodeURIComponent(s)}`)).status,
        ).toBeLessThan(500);
      }
    });

    it('round-trips every accepted naughty contact name, and uses naughty addresses safely', async () => {
      for (const s of strings) {
        const res = await call(base, 'POST', '/api/v1/users/u-carol/contacts', {
          name: s,
          pager_address: 'alice',
        });
        expect(res.status).toBeLessThan(500);
        if (res.status === 201) expect(res.body.name).toBe(s.trim());
        const asAddress = await call(base, 'POST', '/api/v1/users/u-carol/contacts', {
          name: 'n',
          pager_address: s,
        });
        expect(asAddress.status).toBeLessThan(500);
        const block = await call(base, 'POST', '/api/v1/users/u-carol/blocks', { address: s });
        expect(block.status).toBeLessThan(500);
      }
      const names = (await call(base, 'GET', '/api/v1/users/u-carol/contacts')).body.contacts.map(
        (c: { name: string }) => c.name,
      );
      for (const s of strings)
        if (s.trim() !== '' && !/\p{Cc}/u.test(s) && [...s.trim()].length <= 100)
          expect(names).toContain(s.trim());
    }, 60_000);

    it('round-trips every naughty content exactly, locally and from a peer', async () => {
      const sentIds = new Map<string, string>();
      for (const s of strings) {
        const res = await call(base, 'POST', '/api/v1/messages', {
          sender_user_id: 'u-dave',
          to: s,
          content: s,
        });
        expect(res.status).toBeLessThan(500);
        const local = await call(base, 'POST', '/api/v1/messages', {
          sender_user_id: 'u-bob',
          to: 'carol',
          content: s,
        });
        expect(local.status).toBeLessThan(500);
        if (s === '') expect(local.status).toBe(400);
        else {
          expect(local.status).toBe(201);
          sentIds.set(local.body.message_id, s);
        }
        const msg = message({ to: `carol@${SERVER_ID}`, content: s });
        const inbound = await post(msg);
        expect(inbound.status).toBeLessThan(500);
        if (s !== '') sentIds.set(msg.message_id, s);
      }
      const seen = new Map<string, string>();
      let before = '';
      for (;;) {
        const page = (
          await call(base, 'GET', `/api/v1/users/u-carol/messages?box=inbox&limit=200${before}`)
        ).body.messages;
        for (const m of page) seen.set(m.message_id, m.content);
        if (page.length < 200) break;
        before = `&before=${page[page.length - 1].message_id}`;
      }
      for (const [id, content] of sentIds) expect(seen.get(id)).toBe(content);
    }, 120_000);
  });
});
