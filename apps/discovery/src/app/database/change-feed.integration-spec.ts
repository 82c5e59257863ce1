import { DatabaseHandle, openDatabase } from '@pager/server-kit';
import { TestSchema, openTestSchema } from '@pager/testing';
import { BlocklistService } from '../blocklist/blocklist.service';
import { PeerStore } from '../peers/peer-store.service';
import { PeerTableCache } from '../peers/peer-table.cache';
import { PinStore } from '../pins/pin-store.service';
import { ChangeFeed } from './change-feed';
import { DISCOVERY_ENTITIES } from './entities';
import { DISCOVERY_MIGRATIONS } from './migrations';

/** Polls `check` every 10 ms until it holds (at most `ms`). */
async function until(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Two replicas on one schema: `a` caches through its ChangeFeed, `other` writes as another
 * replica would (plain SQL through its own pool, so only the triggers' NOTIFY tells `a`).
 */
describe('ChangeFeed (PostgreSQL LISTEN/NOTIFY, two replicas)', () => {
  let db: TestSchema;
  let other: DatabaseHandle;
  let feed: ChangeFeed;
  let pins: PinStore;
  let blocklist: BlocklistService;

  const pinRow = (fingerprint: string) =>
    other.dataSource.query(
      `INSERT INTO pins (server_id, fingerprint, public_key, pinned_at, updated_at)
       VALUES ('x.example', $1, 'PEM', now(), now())
       ON CONFLICT (server_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint`,
      [fingerprint],
    );
  /** Runs another replica's `write` and waits until `a` has heard it. */
  const heard = async (table: 'pins' | 'blocklist' | 'peers', write: () => Promise<unknown>) => {
    const before = feed.generation(table);
    await write();
    await until(() => feed.generation(table) !== before);
  };
  /** A change nobody hears: triggers off for that statement's session (superuser). */
  const silently = (sql: string, params: unknown[] = []) =>
    other.dataSource.transaction(async (tx) => {
      await tx.query("SET LOCAL session_replication_role = 'replica'");
      await tx.query(sql, params);
    });

  beforeAll(async () => {
    db = await openTestSchema(DISCOVERY_ENTITIES, DISCOVERY_MIGRATIONS);
    other = await openDatabase({
      url: process.env.TEST_DATABASE_URL,
      schema: db.schema,
      embeddedDir: '',
      entities: DISCOVERY_ENTITIES,
      migrations: DISCOVERY_MIGRATIONS,
    });
    feed = new ChangeFeed(db.dataSource, { databaseSchema: db.schema, changeNotify: true });
    await feed.onApplicationBootstrap();
    pins = new PinStore(db.dataSource, feed);
    blocklist = new BlocklistService(db.dataSource, { serverId: 'self.example' }, feed);
  });
  afterAll(async () => {
    await feed.onApplicationShutdown();
    await other.close();
    await db.close();
  });
  beforeEach(async () => {
    await until(() => feed.isLive());
    await heard('pins', () => other.dataSource.query('DELETE FROM pins'));
    await heard('blocklist', () => other.dataSource.query('DELETE FROM blocklist'));
  });

  it('listens once started', () => {
    expect(feed.isLive()).toBe(true);
    expect(feed.generation('pins')).not.toBeNull();
  });

  it('answers a pin from its cache while nothing is heard', async () => {
    await heard('pins', () => pinRow('fp-1'));
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-1');
    await silently(`UPDATE pins SET fingerprint = 'fp-unheard' WHERE server_id = 'x.example'`);
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-1');
  });

  it("reads a pin again once another replica's change is heard (rotation)", async () => {
    await heard('pins', () => pinRow('fp-1'));
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-1');
    await heard('pins', () => pinRow('fp-2'));
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-2');
  });

  it('caches the absence of a pin and forgets it when one is pinned elsewhere', async () => {
    expect(await pins.get('x.example')).toBeNull();
    await heard('pins', () => pinRow('fp-1'));
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-1');
  });

  it('sees its own pin change at once, without waiting for the NOTIFY', async () => {
    await heard('pins', () => pinRow('fp-1'));
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-1');
    await pins.forget('x.example');
    expect(await pins.get('x.example')).toBeNull();
  });

  it('reads PostgreSQL while the listen connection is lost, and caches again once back', async () => {
    await heard('pins', () => pinRow('fp-1'));
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-1');
    const pid = (
      feed as unknown as { current: { runner: { databaseConnection: { processID: number } } } }
    ).current.runner.databaseConnection.processID;
    await other.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => !feed.isLive());
    // Unheard changes while down are seen: nothing is answered from the cache.
    await silently(`UPDATE pins SET fingerprint = 'fp-while-down' WHERE server_id = 'x.example'`);
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-while-down');
    await until(() => feed.isLive());
    await silently(`UPDATE pins SET fingerprint = 'fp-after' WHERE server_id = 'x.example'`);
    // Back: the generation moved on, so the value cached before the loss is not trusted.
    expect((await pins.get('x.example'))?.fingerprint).toBe('fp-after');
  });

  it("sees another replica's block once heard, and its own at once", async () => {
    expect(await blocklist.isBlocked('evil.example')).toBe(false);
    await heard('blocklist', () =>
      other.dataSource.query(
        `INSERT INTO blocklist (server_id, reason, created_at) VALUES ('evil.example', 'spam', now())`,
      ),
    );
    expect(await blocklist.isBlocked('evil.example')).toBe(true);
    await blocklist.unblock('evil.example');
    expect(await blocklist.isBlocked('evil.example')).toBe(false);
  });

  it('reloads the gossip table when another replica stores an entry, and not otherwise', async () => {
    const peers = new PeerStore(db.dataSource, feed);
    const tables = new PeerTableCache(
      { announcementTtlMs: 86_400_000, serverId: 'self.example' } as never,
      peers,
      feed,
    );
    const first = await tables.table();
    expect(await tables.table()).toBe(first);
    const otherPeers = new PeerStore(other.dataSource);
    const nowMs = Date.now();
    await heard('peers', () =>
      otherPeers.upsertIfNewer(
        {
          serverId: 'b.example',
          timestamp: new Date(nowMs).toISOString(),
          timestampMs: nowMs,
          announcement: { server_id: 'b.example' },
          receivedAtMs: nowMs,
        },
        'fp',
      ),
    );
    // The held timestamp of a stored entry comes from the table only while it is current.
    expect(tables.heldTimestampMs('b.example')).toBeUndefined();
    const second = await tables.table();
    expect(second).not.toBe(first);
    expect(second.get('b.example')).toBeDefined();
    expect(tables.heldTimestampMs('b.example')).toBe(nowMs);
    expect(tables.heldTimestampMs('unknown.example')).toBeUndefined();
    // last_seen only: no NOTIFY, no reload.
    await otherPeers.touch('b.example');
    await new Promise((r) => setTimeout(r, 100));
    expect(await tables.table()).toBe(second);
    // This replica's own write: not current any more at once.
    await peers.remove(['b.example']);
    expect(tables.heldTimestampMs('b.example')).toBeUndefined();
  });
});
