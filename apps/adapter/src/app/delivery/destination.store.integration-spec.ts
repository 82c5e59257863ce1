import { DataSource } from 'typeorm';
import { withAdapterSchema } from '../../../test/adapter-schema';
import { BreakerPolicy } from './destination-rules';
import { DestinationStore } from './destination.store';

const policy: BreakerPolicy = {
  breakerThreshold: 5,
  probeIntervalMs: 60_000,
  retryDelayMs: 1_000,
  holdMs: 3_600_000,
};

describe(DestinationStore.name, () => {
  let dataSource: DataSource;
  withAdapterSchema((opened) => (dataSource = opened));

  it('applies concurrent attempt outcomes of several replicas one after the other', async () => {
    const stores = Array.from({ length: 4 }, () => new DestinationStore(dataSource));
    const now = Date.now();
    const changes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stores[i % 4].recordAttempt('busy.test', 'failure', 'ack_timeout', now + i, policy),
      ),
    );
    const state = await stores[0].get('busy.test');
    expect(state).toMatchObject({ state: 'unreachable', consecutiveFailures: 40 });
    // Exactly one attempt saw the breaker open.
    expect(
      changes.filter((c) => c.before.state !== 'unreachable' && c.after.state === 'unreachable'),
    ).toHaveLength(1);
  });

  it('gives each due probe to one caller only, and brings a probe forward on a sign of life', async () => {
    const store = new DestinationStore(dataSource);
    const now = Date.now();
    for (let i = 0; i < 5; i++)
      await store.recordAttempt('down.test', 'failure', 'connection_failed', now, policy);
    expect(await store.claimProbes(now + 1_000, now + 30_000)).toEqual([]);
    expect(await store.signOfLife('down.test', now + 1_000)).toBe(true);
    const claims = await Promise.all([
      store.claimProbes(now + 1_000, now + 30_000),
      new DestinationStore(dataSource).claimProbes(now + 1_000, now + 30_000),
    ]);
    expect(claims.flat()).toEqual(['down.test']);
    expect(await store.signOfLife('healthy.test', now)).toBe(false);
  });

  it('closes the breaker on concurrent acks once: the acks that arrive meanwhile change nothing', async () => {
    const store = new DestinationStore(dataSource);
    const now = Date.now();
    for (let i = 0; i < 5; i++)
      await store.recordAttempt('back.test', 'failure', 'connection_failed', now, policy);
    const changes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.recordAttempt('back.test', 'ack', null, now + 10 + i, policy),
      ),
    );
    expect(await store.get('back.test')).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 0,
    });
    expect(changes.filter((c) => c.before.state !== c.after.state)).toHaveLength(1);
  });

  it('applies the signs of life of several senders arriving together, each once', async () => {
    const store = new DestinationStore(dataSource);
    const now = Date.now();
    for (const server of ['one.test', 'two.test'])
      for (let i = 0; i < 5; i++)
        await store.recordAttempt(server, 'failure', 'connection_failed', now, policy);
    const brought = await Promise.all([
      store.signOfLife('one.test', now + 1_000),
      store.signOfLife('one.test', now + 1_000),
      store.signOfLife('two.test', now + 1_000),
      store.signOfLife('healthy.test', now + 1_000),
    ]);
    expect(brought.filter(Boolean)).toHaveLength(2);
    expect(brought[2]).toBe(true);
    expect(await store.claimProbes(now + 1_000, now + 30_000)).toEqual(
      expect.arrayContaining(['one.test', 'two.test']),
    );
  });

  it('lists a destination whose first pages are pending before it has a row, as new and healthy', async () => {
    await dataSource.query('DELETE FROM destinations');
    const store = new DestinationStore(dataSource);
    const now = Date.now();
    await store.recordAttempt('known.test', 'failure', 'ack_timeout', now, policy);
    const counts = new Map([
      ['known.test', { waiting: 1, inFlight: 0, firstPageMs: now - 5_000 }],
      ['first.test', { waiting: 36, inFlight: 4, firstPageMs: now - 2_000 }],
    ]);
    const all = await store.list(counts);
    expect(all.map((d) => d.server_id).sort()).toEqual(['first.test', 'known.test']);
    expect(all.find((d) => d.server_id === 'first.test')).toMatchObject({
      state: 'healthy',
      since: new Date(now - 2_000).toISOString(),
      last_success_at: null,
      pages_waiting: 36,
      pages_in_flight: 4,
    });
    // The state filter: a pending new destination is healthy, never backing_off.
    expect((await store.list(counts, 'healthy')).map((d) => d.server_id)).toEqual(['first.test']);
    expect((await store.list(counts, 'backing_off')).map((d) => d.server_id)).toEqual([
      'known.test',
    ]);
    expect(await store.one('first.test', counts.get('first.test'))).toMatchObject({
      server_id: 'first.test',
      pages_in_flight: 4,
    });
    expect(await store.one('none.test', undefined)).toBeUndefined();
  });
});
