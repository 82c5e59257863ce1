import { parseProtocolTimestamp } from '@pager/protocol';
import { DatabaseHandle, openDatabase } from '@pager/server-kit';
import { randomBytes } from 'node:crypto';
import { dropTestSchema, testVectors } from '@pager/testing';
import { BlocklistService } from '../blocklist/blocklist.service';
import { PeerStore } from '../peers/peer-store.service';
import { KeyArrival, PinStore } from '../pins/pin-store.service';
import { DISCOVERY_ENTITIES } from './entities';
import { DISCOVERY_MIGRATIONS } from './migrations';

const url = process.env.TEST_DATABASE_URL as string;
const schema = `it_${randomBytes(6).toString('hex')}`;
const announcement = testVectors().valid.announcement.object;
const MIRAH = testVectors().keys['mirah.example.com'];

const open = (): Promise<DatabaseHandle> =>
  openDatabase({
    url,
    schema,
    embeddedDir: '',
    entities: DISCOVERY_ENTITIES,
    migrations: DISCOVERY_MIGRATIONS,
  });

describe('discovery schema', () => {
  afterAll(() => dropTestSchema(schema));

  it('applies every migration to an empty schema', async () => {
    const db = await open();
    try {
      expect(await db.dataSource.showMigrations()).toBe(false);
      const rows: { table_name: string }[] = await db.dataSource.query(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      expect(rows.map((r) => r.table_name).sort()).toEqual(
        expect.arrayContaining([
          'blocklist',
          'gossip_exchanges',
          'negative_cache',
          'peer_candidates',
          'peers',
          'peers_version',
          'pins',
          'rate_limits',
          'reputation',
          'reputation_reports',
          'seen_queries',
        ]),
      );
    } finally {
      await db.close();
    }
  });

  it('keeps peers, pins and the blocklist across a restart', async () => {
    const first = await open();
    try {
      const peers = new PeerStore(first.dataSource);
      const stored = await peers.upsertIfNewer(
        {
          serverId: announcement.server_id,
          timestamp: announcement.timestamp,
          timestampMs: parseProtocolTimestamp(announcement.timestamp) as number,
          announcement,
          receivedAtMs: Date.now(),
        },
        MIRAH.fingerprint,
      );
      expect(stored).toBe(true);
      const settled = await new PinStore(first.dataSource).settle(
        keyArrival('mirah.example.com', MIRAH.fingerprint, MIRAH.public_key),
      );
      expect(settled.decision.kind).toBe('pin');
      await new BlocklistService(first.dataSource, { serverId: 'self.example' }).block(
        'evil.example',
        'spam',
      );
    } finally {
      await first.close();
    }

    const second = await open();
    try {
      const peer = await new PeerStore(second.dataSource).get('mirah.example.com');
      // Stored as received: the signature still verifies over the jsonb round trip.
      expect(peer?.announcement).toEqual(announcement);
      expect(peer?.timestamp).toBe(announcement.timestamp);
      expect((await new PinStore(second.dataSource).get('mirah.example.com'))?.fingerprint).toBe(
        MIRAH.fingerprint,
      );
      expect(
        await new BlocklistService(second.dataSource, { serverId: 'self.example' }).isBlocked(
          'evil.example',
        ),
      ).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('never replaces a stored announcement by an older one', async () => {
    const db = await open();
    try {
      const peers = new PeerStore(db.dataSource);
      const older = {
        serverId: announcement.server_id,
        timestamp: '2025-10-15T09:00:00Z',
        timestampMs: Date.parse('2025-10-15T09:00:00Z'),
        announcement: { ...announcement, timestamp: '2025-10-15T09:00:00Z' },
        receivedAtMs: Date.now(),
      };
      expect(await peers.upsertIfNewer(older, MIRAH.fingerprint)).toBe(false);
      expect((await peers.get('mirah.example.com'))?.timestamp).toBe(announcement.timestamp);
    } finally {
      await db.close();
    }
  });

  it('lets only the first of two keys win the pin of a new server', async () => {
    const db = await open();
    try {
      const pins = new PinStore(db.dataSource);
      const results = await Promise.all([
        pins.settle(keyArrival('race.example', 'A'.repeat(64), 'pem-a')),
        pins.settle(keyArrival('race.example', 'B'.repeat(64), 'pem-b')),
      ]);
      expect(results.map((r) => r.decision.kind).sort()).toEqual(['conflict', 'pin']);
    } finally {
      await db.close();
    }
  });
});

/** A key arriving directly, for a daemon with PIN_CONFIRMATIONS=1. */
function keyArrival(serverId: string, fingerprint: string, publicKey: string): KeyArrival {
  return {
    serverId,
    fingerprint,
    publicKey,
    path: 'direct',
    pathEstablished: true,
    required: 1,
    announcement: { server_id: serverId },
    timestampMs: Date.now(),
    rotationAgainst: () => 'absent',
  };
}
