import { ProtocolError, formatProtocolTimestamp, signObject } from '@pager/protocol';
import type { RateLimitDecision } from '@pager/server-kit';
import { testVectors, vectorKey } from '@pager/testing';
import type { Pin } from '../pins/pin-store.service';
import type { KeyConflictReport } from './key-conflicts.service';
import { SenderAuthenticator, SignedEnvelope } from './sender-authenticator';

const v = testVectors();
const MIRAH = vectorKey('mirah.example.com');
const ROTATED = vectorKey('mirah.example.com (rotated)');
const mirahKey = MIRAH.privateKey;
const rotatedKey = ROTATED.privateKey;
const NOW = Date.parse('2025-10-15T10:36:00Z');

function query(overrides: Record<string, unknown> = {}, key = mirahKey): SignedEnvelope {
  const raw = signObject(
    {
      ...v.valid.query.object,
      timestamp: formatProtocolTimestamp(NOW),
      ...overrides,
    },
    key,
  ) as Record<string, unknown>;
  return {
    raw,
    version: raw['version'] as string,
    from: raw['from'] as string,
    timestamp: raw['timestamp'] as string,
  };
}

function makeSut(
  options: { pin?: Pin | null; blocked?: boolean; allowed?: boolean; stored?: boolean } = {},
) {
  const consumed: string[] = [];
  const conflicts: KeyConflictReport[] = [];
  const decision: RateLimitDecision = {
    allowed: options.allowed ?? true,
    retryAfterSeconds: options.allowed === false ? 120 : 0,
    violation: options.allowed === false,
    state: { windowStartMs: 0, count: 0, violations: 0, blockedUntilMs: 0 },
  };
  const sut = new SenderAuthenticator(
    { maxClockSkewMs: 300_000, rateLimitGossipPerHour: 120, rateLimitQueriesPerHour: 100 },
    { isBlocked: async () => options.blocked ?? false },
    {
      get: async () =>
        options.pin === undefined
          ? {
              serverId: 'mirah.example.com',
              fingerprint: MIRAH.fingerprint,
              publicKey: MIRAH.public_key,
            }
          : options.pin,
    },
    {
      get: async () =>
        options.stored ? ({ announcement: { public_key: MIRAH.public_key } } as never) : null,
    },
    {
      consume: async (key: string) => {
        consumed.push(key);
        return decision;
      },
    },
    { record: async (report: KeyConflictReport) => void conflicts.push(report) },
  );
  return { sut, consumed, conflicts };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

describe(SenderAuthenticator.name, () => {
  it('accepts a query signed with the pinned key and counts one unit against its sender', async () => {
    const { sut, consumed } = makeSut();
    expect(await codeOf(sut.authenticate(query(), { traffic: 'query' }, NOW))).toBe('ok');
    expect(consumed).toEqual(['srv:mirah.example.com:query']);
  });

  it('checks the version before the blocklist', async () => {
    const { sut } = makeSut({ blocked: true });
    expect(await codeOf(sut.authenticate(query({ version: '2.0' }), {}, NOW))).toBe(
      'unsupported_version',
    );
  });

  it('refuses a blocked sender before looking for its key', async () => {
    const { sut } = makeSut({ blocked: true, pin: null });
    expect(await codeOf(sut.authenticate(query(), {}, NOW))).toBe('blocked');
  });

  it('refuses a sender whose key is not known', async () => {
    const { sut } = makeSut({ pin: null });
    expect(await codeOf(sut.authenticate(query(), {}, NOW))).toBe('unknown_server');
  });

  it('falls back to the stored announcement when no pin exists', async () => {
    const { sut } = makeSut({ pin: null, stored: true });
    expect(await codeOf(sut.authenticate(query(), {}, NOW))).toBe('ok');
  });

  it('refuses an envelope whose enclosed announcement brings another key than the pinned one', async () => {
    const { sut } = makeSut();
    const envelope = query({}, rotatedKey);
    const enclosed = signObject(
      { ...v.valid.announcement.object, public_key: ROTATED.public_key },
      rotatedKey,
    );
    expect(
      await codeOf(sut.authenticate({ ...envelope, announcements: [enclosed] }, {}, NOW)),
    ).toBe('key_mismatch');
  });

  it('records a key conflict when the new key signed both the announcement and the envelope', async () => {
    const { sut, conflicts } = makeSut();
    const envelope = query({}, rotatedKey);
    const enclosed = signObject(
      { ...v.valid.announcement.object, public_key: ROTATED.public_key },
      rotatedKey,
    );
    await codeOf(sut.authenticate({ ...envelope, announcements: [enclosed] }, {}, NOW));
    expect(conflicts).toEqual([
      {
        serverId: 'mirah.example.com',
        fingerprint: ROTATED.fingerprint,
        otherFingerprint: MIRAH.fingerprint,
        source: 'direct',
        reason: 'pinned_key_differs',
      },
    ]);
  });

  it('calls a rotation_signature that does not verify with the pinned key a forged rotation', async () => {
    const { sut, conflicts } = makeSut();
    const envelope = query({}, rotatedKey);
    const enclosed = {
      ...signObject({ ...v.valid.announcement.object, public_key: ROTATED.public_key }, rotatedKey),
      // outside the signing input: the self-signature still holds, the rotation one does not
      rotation_signature: signObject({ forged: true }, rotatedKey)['signature'],
    };
    expect(
      await codeOf(sut.authenticate({ ...envelope, announcements: [enclosed] }, {}, NOW)),
    ).toBe('key_mismatch');
    expect(conflicts.map((c) => c.reason)).toEqual(['forged_rotation']);
  });

  it('records nothing when the envelope is not signed by the key it brings', async () => {
    const { sut, conflicts } = makeSut();
    const envelope = query({}, mirahKey);
    const enclosed = signObject(
      { ...v.valid.announcement.object, public_key: ROTATED.public_key },
      rotatedKey,
    );
    await codeOf(sut.authenticate({ ...envelope, announcements: [enclosed] }, {}, NOW));
    expect(conflicts).toEqual([]);
  });

  it('uses the new key of an enclosed announcement with a valid rotation signature', async () => {
    const { sut } = makeSut();
    const envelope = query({}, rotatedKey);
    const rotation = v.valid.announcement_rotation.object;
    expect(
      await codeOf(sut.authenticate({ ...envelope, announcements: [rotation] }, {}, NOW)),
    ).toBe('ok');
  });

  it('refuses a bad signature before spending rate-limit quota', async () => {
    const { sut, consumed } = makeSut();
    const envelope = query();
    envelope.raw = { ...envelope.raw, domain: 'tampered.example' };
    expect(await codeOf(sut.authenticate(envelope, { traffic: 'query' }, NOW))).toBe(
      'signature_invalid',
    );
    expect(consumed).toEqual([]);
  });

  it('applies the rate limit before the replay window, with Retry-After', async () => {
    const { sut } = makeSut({ allowed: false });
    const stale = query({ timestamp: formatProtocolTimestamp(NOW - 3_600_000) });
    const error = await sut
      .authenticate(stale, { traffic: 'gossip' }, NOW)
      .catch((e: ProtocolError) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('rate_limited');
    expect((error as ProtocolError).retryAfterSeconds).toBe(120);
  });

  it('refuses a timestamp outside the replay window', async () => {
    const { sut } = makeSut();
    const stale = query({ timestamp: formatProtocolTimestamp(NOW - 301_000) });
    expect(await codeOf(sut.authenticate(stale, {}, NOW))).toBe('clock_skew');
    const future = query({ timestamp: formatProtocolTimestamp(NOW + 301_000) });
    expect(await codeOf(sut.authenticate(future, {}, NOW))).toBe('clock_skew');
  });

  it('refuses a `from` that is no server id as a validation failure', async () => {
    const { sut } = makeSut();
    expect(await codeOf(sut.authenticate(query({ from: 'Not A Server' }), {}, NOW))).toBe(
      'validation_failed',
    );
  });
});
