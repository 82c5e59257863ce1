import { PeerEntry } from '@pager/gossip-core';
import { TestSchema, openTestSchema } from '@pager/testing';
import { DISCOVERY_ENTITIES } from '../database/entities';
import { DISCOVERY_MIGRATIONS } from '../database/migrations';
import { PeerStore } from './peer-store.service';

describe('PeerStore.tableVersion (PostgreSQL, peers_version)', () => {
  let db: TestSchema;
  let sut: PeerStore;

  beforeAll(async () => {
    db = await openTestSchema(DISCOVERY_ENTITIES, DISCOVERY_MIGRATIONS);
    sut = new PeerStore(db.dataSource);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.dataSource.query('DELETE FROM blocklist');
    await db.dataSource.query('DELETE FROM peers');
  });

  const entry = (serverId: string, timestampMs: number): PeerEntry => ({
    serverId,
    timestamp: new Date(timestampMs).toISOString(),
    timestampMs,
    announcement: { server_id: serverId, timestamp_ms: timestampMs },
    receivedAtMs: timestampMs,
  });

  it('changes when an entry is stored', async () => {
    const before = await sut.tableVersion();
    await sut.upsertIfNewer(entry('a.example', 1_000), 'fp');
    expect(await sut.tableVersion()).not.toBe(before);
  });

  it('changes when a newer announcement replaces an entry', async () => {
    await sut.upsertIfNewer(entry('a.example', 1_000), 'fp');
    const before = await sut.tableVersion();
    expect(await sut.upsertIfNewer(entry('a.example', 2_000), 'fp')).toBe(true);
    expect(await sut.tableVersion()).not.toBe(before);
  });

  it('stays the same when an announcement is not newer (no row written)', async () => {
    await sut.upsertIfNewer(entry('a.example', 2_000), 'fp');
    const before = await sut.tableVersion();
    expect(await sut.upsertIfNewer(entry('a.example', 1_000), 'fp')).toBe(false);
    expect(await sut.tableVersion()).toBe(before);
  });

  it('stays the same when only last_seen is touched', async () => {
    await sut.upsertIfNewer(entry('a.example', 1_000), 'fp');
    const before = await sut.tableVersion();
    await sut.touch('a.example');
    expect(await sut.tableVersion()).toBe(before);
  });

  it('changes when an entry is deleted, and not for a DELETE that deletes nothing', async () => {
    await sut.upsertIfNewer(entry('a.example', 1_000), 'fp');
    const before = await sut.tableVersion();
    expect(await sut.removeOlderThan(500, 'self.example')).toEqual([]);
    expect(await sut.tableVersion()).toBe(before);
    expect(await sut.removeOlderThan(1_500, 'self.example')).toEqual(['a.example']);
    expect(await sut.tableVersion()).not.toBe(before);
  });

  it('changes when another writer (a replica) changes a column directly', async () => {
    await sut.upsertIfNewer(entry('a.example', 1_000), 'fp');
    const before = await sut.tableVersion();
    await db.dataSource.query(`UPDATE peers SET fingerprint = 'other' WHERE server_id = $1`, [
      'a.example',
    ]);
    expect(await sut.tableVersion()).not.toBe(before);
  });

  it('does not show a version whose rows are not committed yet', async () => {
    const before = await sut.tableVersion();
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query(
        `INSERT INTO peers (server_id, announcement, timestamp, timestamp_ms, fingerprint, received_at, last_seen)
         VALUES ('b.example', '{}'::jsonb, 't', 1, 'fp', now(), now())`,
      );
      expect(await sut.tableVersion()).toBe(before);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(await sut.tableVersion()).not.toBe(before);
  });

  it('changes when the blocklist changes', async () => {
    const before = await sut.tableVersion();
    await db.dataSource.query(
      `INSERT INTO blocklist (server_id, reason, created_at) VALUES ('x.example', 'spam', now())`,
    );
    expect(await sut.tableVersion()).not.toBe(before);
  });
});
