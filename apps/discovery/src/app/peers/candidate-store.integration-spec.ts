import { TestSchema, openTestSchema } from '@pager/testing';
import { DISCOVERY_ENTITIES } from '../database/entities';
import { DISCOVERY_MIGRATIONS } from '../database/migrations';
import {
  CANDIDATES_PER_ROUND,
  CANDIDATE_GIVE_UP_MS,
  CandidateStore,
  candidateBackoffMs,
} from './candidate-store.service';

describe('candidate pacing (PostgreSQL)', () => {
  let db: TestSchema;
  let store: CandidateStore;

  beforeAll(async () => {
    db = await openTestSchema(DISCOVERY_ENTITIES, DISCOVERY_MIGRATIONS);
    store = new CandidateStore(db.dataSource);
  });
  afterAll(() => db.close());
  beforeEach(() => db.dataSource.query('DELETE FROM peer_candidates'));

  const urls = (n: number, prefix = 'c') =>
    Array.from({ length: n }, (_, i) => ({
      url: `http://${prefix}${i}.example/d`,
      serverId: null,
    }));

  it('hands out at most CANDIDATES_PER_ROUND of 10,000 imported candidates per round', async () => {
    await store.addMany(urls(10_000), 'import');
    const first = await store.due();
    expect(first).toHaveLength(CANDIDATES_PER_ROUND);
    for (const c of first) await store.markFailure(c.url, 'refused');
    const second = await store.due();
    expect(second).toHaveLength(CANDIDATES_PER_ROUND);
    // The failed ones back off: the next round takes others.
    const firstUrls = new Set(first.map((c) => c.url));
    expect(second.some((c) => firstUrls.has(c.url))).toBe(false);
  });

  it('answers an empty round for 10 s without asking again, until this replica adds a candidate', async () => {
    const now = Date.now();
    expect(await store.dueForRound(now)).toEqual([]);
    // Written behind its back (as another replica would): not seen within the 10 s.
    await db.dataSource.query(
      `INSERT INTO peer_candidates (url, server_id, source, added_at, failures)
       VALUES ('http://other.example/d', NULL, 'import', now(), 0)`,
    );
    expect(await store.dueForRound(now + 9_999)).toEqual([]);
    expect((await store.dueForRound(now + 10_000)).map((c) => c.url)).toEqual([
      'http://other.example/d',
    ]);
  });

  it('asks again at once after this replica added candidates', async () => {
    const now = Date.now();
    expect(await store.dueForRound(now)).toEqual([]);
    await store.addMany(urls(1), 'import');
    expect(await store.dueForRound(now + 1)).toHaveLength(1);
  });

  it('backs a failing candidate off, 1 min doubling to 1 h', async () => {
    await store.addMany(urls(1), 'import');
    const [candidate] = await store.due();
    for (let i = 0; i < 3; i++) await store.markFailure(candidate.url, 'timeout');
    const rows: { wait_s: number; failures: number }[] = await db.dataSource.query(
      `SELECT extract(epoch FROM next_attempt_at - now())::float8 AS wait_s, failures
       FROM peer_candidates`,
    );
    expect(rows[0].failures).toBe(3);
    expect(rows[0].wait_s).toBeGreaterThan(candidateBackoffMs(3) / 1000 - 5);
    expect(rows[0].wait_s).toBeLessThanOrEqual(candidateBackoffMs(3) / 1000);
    expect(await store.due()).toHaveLength(0);
    expect([1, 2, 3, 7, 30].map(candidateBackoffMs)).toEqual([
      60_000, 120_000, 240_000, 3_600_000, 3_600_000,
    ]);
  });

  it('retries a configured bootstrap server every round', async () => {
    await store.add('http://boot.example/d', null, 'bootstrap');
    await store.markFailure('http://boot.example/d', 'refused');
    expect((await store.due()).map((c) => c.url)).toEqual(['http://boot.example/d']);
  });

  it('drops file and import candidates that never verified within the give-up time', async () => {
    await store.addMany(urls(3, 'old'), 'import');
    await store.add('http://boot.example/d', null, 'bootstrap');
    await store.addMany(urls(2, 'new'), 'file:/peers.json');
    await db.dataSource.query(
      `UPDATE peer_candidates SET added_at = now() - make_interval(secs => $1::float8 / 1000 + 60)
       WHERE url LIKE 'http://old%' OR url LIKE 'http://boot%'`,
      [CANDIDATE_GIVE_UP_MS],
    );
    await store.markSuccess('http://old0.example/d', 'old0.example');
    expect((await store.dropStale()).sort()).toEqual([
      'http://old1.example/d',
      'http://old2.example/d',
    ]);
    const left: { url: string }[] = await db.dataSource.query(
      'SELECT url FROM peer_candidates ORDER BY url',
    );
    expect(left.map((r) => r.url)).toEqual([
      'http://boot.example/d',
      'http://new0.example/d',
      'http://new1.example/d',
      'http://old0.example/d',
    ]);
  });

  it('stores a file with repeated URLs once', async () => {
    await store.addMany([...urls(2), ...urls(2)], 'import');
    expect(await store.pending()).toHaveLength(2);
  });
});
