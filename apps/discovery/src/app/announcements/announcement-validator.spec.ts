import { fingerprint, parseProtocolTimestamp } from '@pager/protocol';
import { testVectors } from '@pager/testing';
import { EndpointChecker } from '../common/endpoint-checker';
import { HostResolver } from '../common/host-resolver';
import { AnnouncementValidator } from './announcement-validator';
import type { Pin } from '../pins/pin-store.service';

const v = testVectors();
const MIRAH = v.keys['mirah.example.com'];
const ROTATED = v.keys['mirah.example.com (rotated)'];
const DAY = 86_400_000;

function at(timestamp: string, offsetMs = 0): number {
  return (parseProtocolTimestamp(timestamp) as number) + offsetMs;
}

function makeSut(
  options: {
    pins?: Record<string, Pin>;
    blocked?: string[];
    resolver?: HostResolver;
    allowPrivate?: boolean;
    own?: Record<string, unknown>;
  } = {},
) {
  const resolver: HostResolver = options.resolver ?? (async () => ['93.184.216.34']);
  const endpoints = new EndpointChecker(
    { allowPrivateEndpoints: options.allowPrivate ?? false },
    resolver,
  );
  return new AnnouncementValidator(
    { serverId: 'self.example.org', announcementTtlMs: DAY },
    { get: async (id: string) => options.pins?.[id] ?? null },
    { isBlocked: async (id: string) => (options.blocked ?? []).includes(id) },
    endpoints,
    { get: () => (options.own ?? null) as never },
  );
}

const pinOf = (key: { public_key: string; fingerprint: string }): Pin => ({
  serverId: 'mirah.example.com',
  fingerprint: key.fingerprint,
  publicKey: key.public_key,
});

describe(AnnouncementValidator.name, () => {
  const announcement = v.valid.announcement.object;
  const now = at(announcement.timestamp, 60_000);

  it('accepts the valid vector announcement and pins its key on first use', async () => {
    const verdict = await makeSut().validate(announcement, now);
    expect(verdict).toMatchObject({ kind: 'accept', pin: 'new', fingerprint: MIRAH.fingerprint });
  });

  it('accepts it again when the same key is pinned', async () => {
    const verdict = await makeSut({ pins: { 'mirah.example.com': pinOf(MIRAH) } }).validate(
      announcement,
      now,
    );
    expect(verdict).toMatchObject({ kind: 'accept', pin: 'same' });
  });

  it('refuses a 1024-bit key', async () => {
    const weak = v.invalid.announcement_weak_key.object;
    const verdict = await makeSut().validate(weak, at(weak.timestamp, 60_000));
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'weak_key' });
  });

  it('refuses an announcement whose signed field was changed', async () => {
    const tampered = {
      ...announcement,
      endpoints: { ...announcement.endpoints, federation: 'https://mirah.example.com/evil' },
    };
    expect(await makeSut().validate(tampered, now)).toMatchObject({
      kind: 'reject',
      reason: 'signature',
    });
  });

  it('counts members it does not know in the signature', async () => {
    const extended = { ...announcement, extra_member: 'added after signing' };
    expect(await makeSut().validate(extended, now)).toMatchObject({
      kind: 'reject',
      reason: 'signature',
    });
  });

  it('moves the pin when the rotation signature verifies with the pinned key', async () => {
    const rotation = v.valid.announcement_rotation.object;
    const verdict = await makeSut({ pins: { 'mirah.example.com': pinOf(MIRAH) } }).validate(
      rotation,
      at(rotation.timestamp, 60_000),
    );
    expect(verdict).toMatchObject({
      kind: 'accept',
      pin: 'rotate',
      fingerprint: ROTATED.fingerprint,
      pinnedFingerprint: MIRAH.fingerprint,
    });
  });

  it('refuses a rotation whose rotation signature was not made with the pinned key', async () => {
    const rotation = v.valid.announcement_rotation.object;
    const otherPin = pinOf(v.keys['other-server.com']);
    const verdict = await makeSut({ pins: { 'mirah.example.com': otherPin } }).validate(
      rotation,
      at(rotation.timestamp, 60_000),
    );
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'key_conflict' });
  });

  it('refuses another key without a rotation signature as a key conflict', async () => {
    const verdict = await makeSut({ pins: { 'mirah.example.com': pinOf(ROTATED) } }).validate(
      announcement,
      now,
    );
    expect(verdict).toMatchObject({
      kind: 'reject',
      reason: 'key_conflict',
      serverId: 'mirah.example.com',
    });
  });

  it('refuses a timestamp more than 5 minutes in the future', async () => {
    const verdict = await makeSut().validate(announcement, at(announcement.timestamp, -6 * 60_000));
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'future' });
  });

  it('accepts a timestamp slightly in the future', async () => {
    const verdict = await makeSut().validate(announcement, at(announcement.timestamp, -4 * 60_000));
    expect(verdict.kind).toBe('accept');
  });

  it('refuses a timestamp older than the announcement lifetime', async () => {
    const verdict = await makeSut().validate(announcement, at(announcement.timestamp, DAY + 1000));
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'stale' });
  });

  it('refuses, in strict mode, endpoints whose host resolves to a loopback address', async () => {
    const resolver: HostResolver = async (host) =>
      host === 'mirah.example.com' ? ['127.0.0.1'] : [];
    const verdict = await makeSut({ resolver }).validate(announcement, now);
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'endpoint' });
  });

  it('refuses, in strict mode, a host with one private address among public ones', async () => {
    const resolver: HostResolver = async () => ['93.184.216.34', '10.0.0.7'];
    expect(await makeSut({ resolver }).validate(announcement, now)).toMatchObject({
      reason: 'endpoint',
    });
  });

  it('refuses, in strict mode, a host that does not resolve', async () => {
    const resolver: HostResolver = async () => [];
    expect(await makeSut({ resolver }).validate(announcement, now)).toMatchObject({
      reason: 'endpoint',
    });
  });

  it('allows loopback endpoints in development mode', async () => {
    const resolver: HostResolver = async () => ['127.0.0.1'];
    const verdict = await makeSut({ resolver, allowPrivate: true }).validate(announcement, now);
    expect(verdict.kind).toBe('accept');
  });

  it('refuses an announcement of a blocked server', async () => {
    const verdict = await makeSut({ blocked: ['mirah.example.com'] }).validate(announcement, now);
    expect(verdict).toMatchObject({ kind: 'reject', reason: 'blocked' });
  });

  it('refuses a major version it does not speak', async () => {
    expect(await makeSut().validate({ ...announcement, version: '2.0' }, now)).toMatchObject({
      reason: 'version',
    });
  });

  it('refuses a server_id that is no lowercase DNS name', async () => {
    expect(
      await makeSut().validate({ ...announcement, server_id: 'Mirah.Example.com' }, now),
    ).toMatchObject({
      reason: 'server_id',
    });
  });

  it('refuses input of the wrong shape without throwing', async () => {
    for (const bad of [null, 42, 'x', [], {}, { ...announcement, capabilities: [] }]) {
      expect(await makeSut().validate(bad, now)).toMatchObject({
        kind: 'reject',
        reason: 'schema',
      });
    }
  });

  it('never accepts an announcement for our own server_id from others', async () => {
    const sut = new AnnouncementValidator(
      { serverId: 'mirah.example.com', announcementTtlMs: DAY },
      { get: async () => null },
      { isBlocked: async () => false },
      new EndpointChecker({ allowPrivateEndpoints: false }, async () => ['93.184.216.34']),
      { get: () => null },
    );
    expect(await sut.validate(announcement, now)).toMatchObject({
      kind: 'reject',
      reason: 'own_server_id',
    });
  });

  it('ignores a byte-for-byte copy of our own current announcement', async () => {
    const sut = new AnnouncementValidator(
      { serverId: 'mirah.example.com', announcementTtlMs: DAY },
      { get: async () => null },
      { isBlocked: async () => false },
      new EndpointChecker({ allowPrivateEndpoints: false }, async () => ['93.184.216.34']),
      { get: () => announcement },
    );
    expect(await sut.validate({ ...announcement }, now)).toEqual({
      kind: 'ignore',
      reason: 'own_copy',
    });
  });

  it('computes the vector fingerprint of the accepted key', () => {
    expect(fingerprint(announcement.public_key)).toBe(MIRAH.fingerprint);
  });
});
