import { randomBytes } from 'node:crypto';
import { DatabaseHandle, openDatabase } from '../database/open-database';
import { CreateRateLimits1764100000000, RateLimitStore } from './rate-limit.store';

describe(RateLimitStore.name, () => {
  let database: DatabaseHandle;
  let sut: RateLimitStore;
  const schema = `it_rl_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await openDatabase({
      url: process.env.TEST_DATABASE_URL,
      schema,
      embeddedDir: '',
      entities: [],
      migrations: [CreateRateLimits1764100000000],
    });
    sut = new RateLimitStore(database.dataSource);
  });

  afterAll(async () => {
    await database.dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
    await database.close();
  });

  it('admits exactly the limit under concurrent requests, as replicas would send them', async () => {
    const now = Date.now();
    const decisions = await Promise.all(
      Array.from({ length: 40 }, () => sut.consume('messages:flood.example', 10, now)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.filter((d) => d.violation)).toHaveLength(1);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterSeconds >= 1)).toBe(true);
  });

  it('holds the limit across replicas: two stores on one database admit the limit in all', async () => {
    const replica = new RateLimitStore(database.dataSource);
    const now = Date.now();
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? sut : replica).consume('gossip:two.example', 25, now),
      ),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    expect(decisions.filter((d) => d.violation)).toHaveLength(1);
  });

  it('takes the first unit of a new key with one INSERT, and counts on from the row another replica created', async () => {
    const replica = new RateLimitStore(database.dataSource);
    const now = Date.now();
    expect((await sut.consume('gossip:first.example', 2, now)).allowed).toBe(true);
    // The replica holds no state of the key: its INSERT conflicts, it decides on the row.
    expect((await replica.consume('gossip:first.example', 2, now)).allowed).toBe(true);

    const third = await replica.consume('gossip:first.example', 2, now);

    expect(third.allowed).toBe(false);
    expect(third.violation).toBe(true);
    expect(await sut.violations('gossip:first.example')).toBe(1);
  });

  it('decides on the row as another replica left it, not on the state it last wrote', async () => {
    const replica = new RateLimitStore(database.dataSource);
    const now = Date.now();
    expect((await sut.consume('messages:stale.example', 3, now)).allowed).toBe(true);
    expect((await replica.consume('messages:stale.example', 3, now)).allowed).toBe(true);
    expect((await replica.consume('messages:stale.example', 3, now)).allowed).toBe(true);

    const fourth = await sut.consume('messages:stale.example', 3, now);

    expect(fourth.violation).toBe(true);
    expect(await sut.violations('messages:stale.example')).toBe(1);
  });

  it('keeps sources apart and counts violations by prefix', async () => {
    const now = Date.now();
    expect((await sut.consume('messages:quiet.example', 1, now)).allowed).toBe(true);
    expect((await sut.consume('messages:quiet.example', 1, now)).violation).toBe(true);
    expect(await sut.violations('messages:quiet.example')).toBe(1);
    expect(await sut.violations('messages:flood.example')).toBe(1);
    expect(await sut.violations('nobody')).toBe(0);
  });

  it('blocks for 60 s after the first violation; the spent hour stays spent until its window ends', async () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    await sut.consume('gossip:b.example', 1, start);
    const violation = await sut.consume('gossip:b.example', 1, start + 1000);
    expect(violation.retryAfterSeconds).toBe(60);
    expect((await sut.consume('gossip:b.example', 1, start + 30_000)).allowed).toBe(false);
    const again = await sut.consume('gossip:b.example', 1, start + 61_001);
    expect(again).toMatchObject({ allowed: false, violation: true, retryAfterSeconds: 120 });
    expect(await sut.violations('gossip:b.example')).toBe(2);
    expect((await sut.consume('gossip:b.example', 1, start + 3_600_000)).allowed).toBe(true);
  });
});
