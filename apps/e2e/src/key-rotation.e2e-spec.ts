import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeysAnswer, RouteAnswer } from '@pager/internal-api';
import {
  PROTOCOL_VERSION,
  fingerprint,
  formatProtocolTimestamp,
  newMessageId,
  parsePrivateKey,
  signObject,
  verifyRotationSignature,
} from '@pager/protocol';
import { REPO_ROOT, TestServer, call, eventually } from '@pager/testing';

/**
 * Key rotation end to end (docs/operations.md, "Key rotation"): three real servers A, B, C
 * page each other; C rotates its key with `fedctl keys rotate` (files, then both services
 * reload); A and B, which pinned C's old key, move their pins without any operator action,
 * and pages keep flowing both ways before, during and after. A page C still signs with its
 * old key right after the switch is refused by A with `401 key_mismatch`, as the protocol
 * says (A runs with the default settings); B, whose operator opted into KEY_ROTATION_GRACE_MS
 * (outside the protocol), takes it. A fourth server D that meets C only after the rotation
 * pins the new key, and pages flow between D and C.
 */
const FEDCTL = join(REPO_ROOT, 'dist', 'apps', 'fedctl', 'main.js');
const timers = { ACK_TIMEOUT_MS: '2000', RETRY_DELAY_MS: '1500', DELIVERY_ATTEMPTS: '5' };
const keyDir = mkdtempSync(join(tmpdir(), 'pager-rotation-'));
const C_KEY = join(keyDir, 'server-key.pem');
const C_PREVIOUS = join(keyDir, 'server-key.previous.pem');

describe('key rotation across four servers', () => {
  const a = new TestServer({ serverId: 'rot-a', host: '127.0.0.81', env: timers });
  const bootstrap = { BOOTSTRAP_SERVERS: 'http://127.0.0.81:4100/discovery' };
  // B opts into the grace for a key its pin moved away from (default 0: off).
  const b = new TestServer({
    serverId: 'rot-b',
    host: '127.0.0.82',
    env: { ...timers, ...bootstrap, KEY_ROTATION_GRACE_MS: '600000' },
  });
  const c = new TestServer({
    serverId: 'rot-c',
    host: '127.0.0.83',
    env: { ...timers, ...bootstrap, PRIVATE_KEY_PATH: C_KEY, PREVIOUS_KEY_PATH: C_PREVIOUS },
  });
  // D knows only C, and starts after the rotation.
  const d = new TestServer({
    serverId: 'rot-d',
    host: '127.0.0.84',
    env: { ...timers, BOOTSTRAP_SERVERS: 'http://127.0.0.83:4100/discovery' },
  });
  const servers = [a, b, c, d];
  const users: Record<string, string> = {
    'rot-a': 'alice',
    'rot-b': 'bruno',
    'rot-c': 'chen',
    'rot-d': 'dana',
  };

  async function page(from: TestServer, to: TestServer, content: string): Promise<string> {
    const response = await call(from.adapter!.baseUrl, 'POST', '/api/v1/messages', {
      sender_user_id: `u-${users[from.serverId]}`,
      to: `${users[to.serverId]}@${to.serverId}`,
      content,
    });
    expect(response.status).toBe(202);
    return response.body.message_id as string;
  }

  async function delivered(from: TestServer, messageId: string): Promise<void> {
    const state = await eventually(
      async () => {
        const r = await call(from.adapter!.baseUrl, 'GET', `/api/v1/messages/${messageId}`);
        return ['delivered', 'failed', 'rejected'].includes(r.body.status) ? r.body : null;
      },
      25_000,
      `${messageId} from ${from.serverId} to settle`,
    );
    expect({ message_id: messageId, status: state.status, error: state.last_error }).toEqual({
      message_id: messageId,
      status: 'delivered',
      error: null,
    });
  }

  /** Pages both ways between each pair, all delivered. */
  async function pagesBothWays(pairs: [TestServer, TestServer][], label: string): Promise<void> {
    const sent: [TestServer, string][] = [];
    for (const [x, y] of pairs) {
      sent.push([x, await page(x, y, `${label} ${x.serverId}->${y.serverId}`)]);
      sent.push([y, await page(y, x, `${label} ${y.serverId}->${x.serverId}`)]);
    }
    await Promise.all(sent.map(([from, id]) => delivered(from, id)));
  }

  async function pinnedAt(server: TestServer, domain: string): Promise<string> {
    const r = await call(server.discovery.baseUrl, 'POST', `/api/v1/route/${domain}`);
    expect(r.status).toBe(200);
    return (r.body as RouteAnswer).fingerprint;
  }

  function fedctl(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [FEDCTL, ...args],
        {
          env: {
            PATH: process.env.PATH,
            FEDCTL_DISCOVERY_URL: c.discovery.baseUrl,
            FEDCTL_ADAPTER_URL: c.adapter!.baseUrl,
          },
          timeout: 30_000,
        },
        (err, stdout) => {
          const code = err ? ((err as { code?: number }).code ?? -1) : 0;
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(stdout);
          } catch {
            json = { stdout };
          }
          resolve({ code, json });
        },
      );
    });
  }

  beforeAll(async () => {
    await Promise.all(servers.map((s) => s.dropSchemas()));
    await a.start();
    await Promise.all([b.start(), c.start()]);
    for (const s of [a, b, c]) {
      const r = await call(s.adapter!.baseUrl, 'POST', '/api/v1/users', {
        user_id: `u-${users[s.serverId]}`,
        username: users[s.serverId],
      });
      expect(r.status).toBe(201);
    }
    // Everybody knows everybody (A and B pin C's first key).
    await eventually(
      async () => {
        for (const [x, y] of [
          [a, c],
          [b, c],
          [c, a],
          [c, b],
          [a, b],
          [b, a],
        ]) {
          const r = await call(x.discovery.baseUrl, 'GET', '/api/v1/peers');
          if (!r.body.peers.some((p: { server_id: string }) => p.server_id === y.serverId))
            return false;
        }
        return true;
      },
      20_000,
      'A, B and C to know each other',
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('C rotates; A and B move their pins by themselves; pages flow before, during and after; D pins the new key', async () => {
    const oldKey = parsePrivateKey(readFileSync(C_KEY, 'utf8'));
    const oldFingerprint = fingerprint(createPublicKey(oldKey));
    expect(await pinnedAt(a, 'rot-c')).toBe(oldFingerprint);
    expect(await pinnedAt(b, 'rot-c')).toBe(oldFingerprint);

    // Before.
    await pagesBothWays(
      [
        [a, c],
        [b, c],
      ],
      'before',
    );

    // During: pages queued just before the rotation, while it happens.
    const inFlight: [TestServer, string][] = [
      [a, await page(a, c, 'queued before the switch a->c')],
      [c, await page(c, a, 'queued before the switch c->a')],
      [b, await page(b, c, 'queued before the switch b->c')],
      [c, await page(c, b, 'queued before the switch c->b')],
    ];
    const rotated = await fedctl([
      '--json',
      'keys',
      'rotate',
      '--private-key-path',
      C_KEY,
      '--previous-key-path',
      C_PREVIOUS,
    ]);
    expect(rotated).toMatchObject({ code: 0, json: { problems: [] } });
    const newFingerprint = rotated.json['new_fingerprint'] as string;
    expect(rotated.json['old_fingerprint']).toBe(oldFingerprint);
    expect(newFingerprint).not.toBe(oldFingerprint);
    const duringPages = pagesBothWays(
      [
        [a, c],
        [b, c],
      ],
      'during',
    );
    await Promise.all(inFlight.map(([from, id]) => delivered(from, id)));
    await duringPages;

    // C announces the new key with the old key's rotation_signature, and says so.
    const announcement = (await call(c.discovery.baseUrl, 'GET', '/discovery/announcement')).body;
    expect(fingerprint(announcement.public_key)).toBe(newFingerprint);
    expect(verifyRotationSignature(announcement, createPublicKey(oldKey))).toBe(true);
    for (const service of [c.discovery, c.adapter!]) {
      const keys = (await call(service.baseUrl, 'GET', '/api/v1/keys')).body as KeysAnswer;
      expect(keys).toEqual({ fingerprint: newFingerprint, previous_fingerprint: oldFingerprint });
    }

    // After: A and B hold the new pin, with no key conflict counted against C.
    for (const s of [a, b]) {
      expect(await pinnedAt(s, 'rot-c')).toBe(newFingerprint);
      const reputation = (await call(s.discovery.baseUrl, 'GET', '/api/v1/reputation/rot-c')).body;
      expect(reputation.key_conflicts).toBe(0);
      expect(s.discovery.events('discovery.key_rotated')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ server_id: 'rot-c', from: oldFingerprint, to: newFingerprint }),
        ]),
      );
    }
    await pagesBothWays(
      [
        [a, c],
        [b, c],
      ],
      'after',
    );

    // C, still signing with its old key a moment after the switch (a replica not reloaded
    // yet). A and B hold C's new key by now (C's pages with it made them refresh).
    const late = (to: string) =>
      signObject(
        {
          version: PROTOCOL_VERSION,
          message_id: newMessageId(),
          message_type: 'pager',
          from: 'chen@rot-c',
          to,
          content: 'signed with the old key after the switch',
          priority: 1,
          timestamp: formatProtocolTimestamp(Date.now()),
          sender_fingerprint: oldFingerprint,
        },
        oldKey,
      );
    const postLate = (server: TestServer, to: string) =>
      call(server.adapter!.baseUrl, 'POST', '/federation/messages', late(to));
    // A, with the default settings: the key does not match the pin, key_mismatch (after A
    // refreshed C's key, which still names the new one).
    const refused = await postLate(a, 'alice@rot-a');
    expect({ status: refused.status, error: refused.body.error }).toEqual({
      status: 401,
      error: 'key_mismatch',
    });
    expect(a.adapter!.events('federation.previous_key_accepted')).toEqual([]);
    // B opted into KEY_ROTATION_GRACE_MS: it takes the page within the grace.
    const accepted = await postLate(b, 'bruno@rot-b');
    expect({ status: accepted.status, ack: accepted.body.status }).toEqual({
      status: 200,
      ack: 'delivered',
    });
    expect(b.adapter!.events('federation.previous_key_accepted')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ server_id: 'rot-c', fingerprint: oldFingerprint }),
      ]),
    );

    // D meets C only now: it pins the new key, and pages flow between D and C.
    await d.start();
    const r = await call(d.adapter!.baseUrl, 'POST', '/api/v1/users', {
      user_id: 'u-dana',
      username: 'dana',
    });
    expect(r.status).toBe(201);
    await eventually(
      async () => (await pinnedAt(d, 'rot-c')) === newFingerprint,
      15_000,
      'D to pin C',
    );
    await pagesBothWays([[d, c]], 'newcomer');
  }, 90_000);
});
