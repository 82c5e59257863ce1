import {
  formatProtocolTimestamp,
  newMessageId,
  parsePrivateKey,
  parsePublicKey,
  signObject,
  ProtocolError,
} from '@pager/protocol';
import { JsonLogger, RateLimitStore, ServerKey } from '@pager/server-kit';
import { Registry } from 'prom-client';
import { testVectors } from '@pager/testing';
import { AdapterMetrics } from '../common/adapter-metrics';
import { AdapterConfig, DEFAULT_KEY_ROTATION_GRACE_MS } from '../config/adapter-config';
import type { DiscoveryClientService } from '../discovery-client/discovery-client.service';
import type { UsersService } from '../users/users.service';
import type { DeliveryScheduler } from '../delivery/delivery.scheduler';
import type { DestinationStore } from '../delivery/destination.store';
import type { WebhooksService } from '../webhooks/webhooks.service';
import type { MessageStore } from '../messages/message.store';
import { InboundService } from './inbound.service';

describe(InboundService.name, () => {
  const v = testVectors();
  const mirah = v.keys['mirah.example.com'];
  const mirahPrivate = parsePrivateKey(mirah.private_key_pkcs8);
  const config = {
    serverId: 'home.test',
    maxClockSkewMs: 300_000,
    rateLimitMessagesPerHour: 1000,
    keyRotationGraceMs: DEFAULT_KEY_ROTATION_GRACE_MS,
  } as AdapterConfig;
  let discovery: {
    isBlocked: jest.Mock;
    resolveSender: jest.Mock;
    refreshSender: jest.Mock;
    reportRateLimitViolation: jest.Mock;
  };
  let rateLimits: { consume: jest.Mock };
  let receipts: { find: jest.Mock; recordOnce: jest.Mock };
  let sut: InboundService;

  beforeEach(() => {
    discovery = {
      isBlocked: jest.fn().mockResolvedValue(false),
      resolveSender: jest.fn().mockResolvedValue({
        kind: 'found',
        route: {
          serverId: 'mirah.example.com',
          federationUrl: 'https://x/federation',
          publicKey: parsePublicKey(mirah.public_key),
          fingerprint: mirah.fingerprint,
        },
      }),
      refreshSender: jest.fn().mockResolvedValue(null),
      reportRateLimitViolation: jest.fn(),
    };
    rateLimits = {
      consume: jest
        .fn()
        .mockResolvedValue({ allowed: true, retryAfterSeconds: 0, violation: false }),
    };
    receipts = {
      find: jest.fn().mockResolvedValue(undefined),
      // Like the store: a new receipt keeps the digest it was given.
      recordOnce: jest.fn().mockImplementation(async (d: { digest: string }) => ({
        status: 'delivered',
        reason: null,
        digest: d.digest,
        created: true,
      })),
    };
    const users = {
      findByUsername: jest
        .fn()
        .mockResolvedValue({ user_id: 'u1', username: 'alice', accept_policy: 'anyone' }),
      recipientRules: jest
        .fn()
        .mockResolvedValue({ acceptPolicy: 'anyone', blockedAddresses: [], contactAddresses: [] }),
    };
    sut = new InboundService(
      config,
      discovery as unknown as DiscoveryClientService,
      rateLimits as unknown as RateLimitStore,
      receipts as unknown as MessageStore,
      users as unknown as UsersService,
      new ServerKey(mirahPrivate),
      new JsonLogger('adapter', 'error'),
      new AdapterMetrics(new Registry()),
      { emit: jest.fn() } as unknown as WebhooksService,
      { signOfLife: jest.fn().mockResolvedValue(false) } as unknown as DestinationStore,
      { nudge: jest.fn() } as unknown as DeliveryScheduler,
    );
  });

  const message = (overrides: Record<string, unknown> = {}) =>
    signObject(
      {
        version: '1.0',
        message_id: newMessageId(),
        message_type: 'pager',
        from: 'taylor@mirah.example.com',
        to: 'alice@home.test',
        content: 'hi',
        priority: 1,
        timestamp: formatProtocolTimestamp(Date.now()),
        sender_fingerprint: mirah.fingerprint,
        ...overrides,
      },
      mirahPrivate,
    );

  async function refusal(body: unknown): Promise<ProtocolError> {
    try {
      await sut.receive(body);
    } catch (err) {
      return err as ProtocolError;
    }
    throw new Error('expected a refusal');
  }

  it("stores the request's trace with the page and hands it to the daemon's look-up", async () => {
    const trace = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
    };
    await sut.receive(message(), '203.0.113.7', trace);
    expect(discovery.resolveSender).toHaveBeenCalledWith(
      'mirah.example.com',
      '203.0.113.7',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
    expect(receipts.recordOnce).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        traceParent: '00f067aa0ba902b7',
      }),
    );
  });

  it('logs a daemon outage once and its end once, not one refusal per page', async () => {
    const events = jest.spyOn(JsonLogger.prototype, 'event');
    try {
      discovery.resolveSender.mockResolvedValue({ kind: 'unavailable', error: 'daemon_down' });
      for (let i = 0; i < 20; i++)
        expect((await refusal(message())).code).toBe('service_unavailable');
      discovery.resolveSender.mockResolvedValue({ kind: 'not_found' });
      for (let i = 0; i < 3; i++) expect((await refusal(message())).code).toBe('unknown_server');
      expect(events.mock.calls.map((c) => c[0])).toEqual([
        'federation.inbound_daemon_unreachable',
        'federation.inbound_daemon_reachable',
        'federation.message_refused',
        'federation.message_refused',
        'federation.message_refused',
      ]);
      expect(events.mock.calls[1][1]).toMatchObject({ key: 'daemon', total: 20 });
    } finally {
      events.mockRestore();
    }
  });

  it('spends the rate limit of the verified sender server', async () => {
    await sut.receive(message());
    expect(rateLimits.consume).toHaveBeenCalledWith('messages:mirah.example.com', 1000);
  });

  it('answers 429 rate_limited with Retry-After and reports the violation to the daemon', async () => {
    rateLimits.consume.mockResolvedValue({
      allowed: false,
      retryAfterSeconds: 60,
      violation: true,
    });
    const err = await refusal(message());
    expect([err.code, err.retryAfterSeconds]).toEqual(['rate_limited', 60]);
    expect(discovery.reportRateLimitViolation).toHaveBeenCalledWith(
      'mirah.example.com',
      expect.any(String),
    );
    expect(receipts.recordOnce).not.toHaveBeenCalled();
  });

  it('does not report refusals during a block, which are no new violation', async () => {
    rateLimits.consume.mockResolvedValue({
      allowed: false,
      retryAfterSeconds: 30,
      violation: false,
    });
    expect((await refusal(message())).code).toBe('rate_limited');
    expect(discovery.reportRateLimitViolation).not.toHaveBeenCalled();
  });

  describe('a sender whose key rotated before its new announcement reached us', () => {
    const rotated = v.keys['mirah.example.com (rotated)'];
    const rotatedPrivate = parsePrivateKey(rotated.private_key_pkcs8);
    const rotatedMessage = () =>
      signObject(
        { ...message(), sender_fingerprint: rotated.fingerprint, signature: undefined },
        rotatedPrivate,
      );
    const rotatedRoute = {
      serverId: 'mirah.example.com',
      federationUrl: 'https://x/federation',
      publicKey: parsePublicKey(rotated.public_key),
      fingerprint: rotated.fingerprint,
    };

    it('asks the daemon to refresh the key, and takes the message once the pin moved', async () => {
      discovery.refreshSender.mockResolvedValue(rotatedRoute);
      const ack = await sut.receive(rotatedMessage());
      expect(ack.status).toBe('delivered');
      expect(discovery.refreshSender).toHaveBeenCalledWith('mirah.example.com');
    });

    it('answers key_mismatch when the refreshed pin is still the old key', async () => {
      discovery.refreshSender.mockResolvedValue({
        ...rotatedRoute,
        publicKey: parsePublicKey(mirah.public_key),
        fingerprint: mirah.fingerprint,
      });
      expect((await refusal(rotatedMessage())).code).toBe('key_mismatch');
      expect(receipts.recordOnce).not.toHaveBeenCalled();
    });

    it('answers key_mismatch when the daemon cannot refresh', async () => {
      expect((await refusal(rotatedMessage())).code).toBe('key_mismatch');
      expect(rateLimits.consume).not.toHaveBeenCalled();
    });

    it('does not refresh a sender whose fingerprint matches the pin', async () => {
      await sut.receive(message());
      expect(discovery.refreshSender).not.toHaveBeenCalled();
    });
  });

  describe('a sender still signing with the key our pin moved away from', () => {
    const rotated = v.keys['mirah.example.com (rotated)'];
    // Our pin moved from mirah's first key to the rotated one a second ago.
    const movedRoute = () => ({
      serverId: 'mirah.example.com',
      federationUrl: 'https://x/federation',
      publicKey: parsePublicKey(rotated.public_key),
      fingerprint: rotated.fingerprint,
      previous: {
        publicKey: parsePublicKey(mirah.public_key),
        fingerprint: mirah.fingerprint,
        rotatedAtMs: Date.now() - 1_000,
      },
    });
    let events: { event: string }[];

    beforeEach(() => {
      discovery.resolveSender.mockResolvedValue({ kind: 'found', route: movedRoute() });
      discovery.refreshSender.mockResolvedValue(movedRoute());
      events = [];
      jest
        .spyOn(JsonLogger.prototype, 'event')
        .mockImplementation((event: string) => void events.push({ event }));
    });

    afterEach(() => {
      config.keyRotationGraceMs = DEFAULT_KEY_ROTATION_GRACE_MS;
      jest.restoreAllMocks();
    });

    it('answers key_mismatch by default (docs/protocol.md §6), after refreshing the key once', async () => {
      expect((await refusal(message())).code).toBe('key_mismatch');
      expect(discovery.refreshSender).toHaveBeenCalledTimes(1);
      expect(receipts.recordOnce).not.toHaveBeenCalled();
      expect(rateLimits.consume).not.toHaveBeenCalled();
    });

    it('takes it within KEY_ROTATION_GRACE_MS when the operator opted in (outside the protocol)', async () => {
      config.keyRotationGraceMs = 600_000;
      const ack = await sut.receive(message());
      expect(ack.status).toBe('delivered');
      expect(discovery.refreshSender).not.toHaveBeenCalled();
      expect(events.map((e) => e.event)).toContain('federation.previous_key_accepted');
    });

    it('answers key_mismatch with the opt-in once its grace has passed', async () => {
      config.keyRotationGraceMs = 500;
      expect((await refusal(message())).code).toBe('key_mismatch');
    });
  });

  it('spends no quota on a message whose signature does not verify', async () => {
    expect((await refusal({ ...message(), content: 'tampered' })).code).toBe('signature_invalid');
    expect(rateLimits.consume).not.toHaveBeenCalled();
  });

  it('checks the rate limit before the replay window', async () => {
    rateLimits.consume.mockResolvedValue({
      allowed: false,
      retryAfterSeconds: 60,
      violation: false,
    });
    expect((await refusal(message({ timestamp: '2020-01-01T00:00:00Z' }))).code).toBe(
      'rate_limited',
    );
  });

  it('refuses a blocked sender before looking its key up', async () => {
    discovery.isBlocked.mockResolvedValue(true);
    expect((await refusal(message())).code).toBe('blocked');
    expect(discovery.resolveSender).not.toHaveBeenCalled();
  });

  it('asks for the sender on behalf of the client address, and answers 429 when the daemon is over its flood budget', async () => {
    discovery.resolveSender.mockResolvedValue({ kind: 'busy', retryAfterSeconds: 42 });
    let error: ProtocolError | undefined;
    try {
      await sut.receive(message(), '203.0.113.7');
    } catch (err) {
      error = err as ProtocolError;
    }
    expect([error?.code, error?.retryAfterSeconds]).toEqual(['rate_limited', 42]);
    expect(discovery.resolveSender).toHaveBeenCalledWith(
      'mirah.example.com',
      '203.0.113.7',
      expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
    );
    expect(rateLimits.consume).not.toHaveBeenCalled();
  });

  it('answers unsupported_version to a 2.0 body of another shape, before the schema and the daemon', async () => {
    const err = await refusal({ version: '2.0', frames: [{ to: 'alice@home.test' }] });
    expect([err.code, err.status]).toEqual(['unsupported_version', 400]);
    expect(discovery.isBlocked).not.toHaveBeenCalled();
  });

  it('answers validation_failed to a message without a string version', async () => {
    const { version: _dropped, ...unversioned } = message();
    expect((await refusal(unversioned)).code).toBe('validation_failed');
    expect((await refusal({ ...message(), version: 1 })).code).toBe('validation_failed');
  });
});
