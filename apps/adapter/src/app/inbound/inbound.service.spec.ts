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
import type { AdapterConfig } from '../config/adapter-config';
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
  } as AdapterConfig;
  let discovery: {
    isBlocked: jest.Mock;
    resolveRoute: jest.Mock;
    reportRateLimitViolation: jest.Mock;
  };
  let rateLimits: { consume: jest.Mock };
  let receipts: { find: jest.Mock; recordOnce: jest.Mock };
  let sut: InboundService;

  beforeEach(() => {
    discovery = {
      isBlocked: jest.fn().mockResolvedValue(false),
      resolveRoute: jest.fn().mockResolvedValue({
        kind: 'found',
        route: {
          serverId: 'mirah.example.com',
          federationUrl: 'https://x/federation',
          publicKey: parsePublicKey(mirah.public_key),
          fingerprint: mirah.fingerprint,
        },
      }),
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
    expect(discovery.resolveRoute).not.toHaveBeenCalled();
  });
});
