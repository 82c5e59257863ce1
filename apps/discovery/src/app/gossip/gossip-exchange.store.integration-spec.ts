import { TestSchema, openTestSchema } from '@pager/testing';
import { DISCOVERY_ENTITIES } from '../database/entities';
import { DISCOVERY_MIGRATIONS } from '../database/migrations';
import { PeerStore } from '../peers/peer-store.service';
import { GossipExchangeStore } from './gossip-exchange.store';

describe('GossipExchangeStore (PostgreSQL)', () => {
  let db: TestSchema;
  let sut: GossipExchangeStore;
  let peers: PeerStore;

  beforeAll(async () => {
    db = await openTestSchema(DISCOVERY_ENTITIES, DISCOVERY_MIGRATIONS);
    sut = new GossipExchangeStore(db.dataSource);
    peers = new PeerStore(db.dataSource);
  });
  afterAll(() => db.close());

  const lastSeen = async (serverId: string): Promise<number> =>
    (await peers.get(serverId))?.lastSeen.getTime() ?? Number.NaN;

  it('opens a gossip_id once, whichever replica asks again (replay refused)', async () => {
    expect(await sut.openAndTouch('a.example', 'id-1')).toBe(true);
    expect(await sut.openAndTouch('a.example', 'id-1')).toBe(false);
    // The same id from another sender is another exchange.
    expect(await sut.openAndTouch('b.example', 'id-1')).toBe(true);
  });

  it("sets a stored sender's last_seen when it opens, and only then", async () => {
    const t = Date.now() - 60_000;
    await peers.upsertIfNewer(
      {
        serverId: 'c.example',
        timestamp: new Date(t).toISOString(),
        timestampMs: t,
        announcement: { server_id: 'c.example' },
        receivedAtMs: t,
      },
      'fp',
    );
    await db.dataSource.query(
      `UPDATE peers SET last_seen = now() - interval '1 hour' WHERE server_id = 'c.example'`,
    );
    const before = await lastSeen('c.example');
    expect(await sut.openAndTouch('c.example', 'id-2')).toBe(true);
    const touched = await lastSeen('c.example');
    expect(touched).toBeGreaterThan(before + 3_000_000);
    await db.dataSource.query(
      `UPDATE peers SET last_seen = now() - interval '1 hour' WHERE server_id = 'c.example'`,
    );
    expect(await sut.openAndTouch('c.example', 'id-2')).toBe(false);
    expect(await lastSeen('c.example')).toBeLessThan(touched - 3_000_000);
  });

  it('lets the push of an opened exchange be claimed once', async () => {
    expect(await sut.openAndTouch('d.example', 'id-3')).toBe(true);
    expect(await sut.claimPush('d.example', 'id-3')).toBe(true);
    expect(await sut.claimPush('d.example', 'id-3')).toBe(false);
    expect(await sut.claimPush('d.example', 'unknown')).toBe(false);
  });
});
