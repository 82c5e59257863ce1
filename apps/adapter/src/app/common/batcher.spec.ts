import { Batcher } from './batcher';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe(Batcher.name, () => {
  it('runs an item at once when idle, and groups what arrives meanwhile into the next batch', async () => {
    const gate = deferred<void>();
    const batches: number[][] = [];
    const sut = new Batcher<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.promise;
        return items.map((i) => i * 10);
      },
      { maxBatch: 10, maxRunning: 1 },
    );
    const first = sut.submit(1);
    const later = [sut.submit(2), sut.submit(3), sut.submit(4)];
    gate.resolve();
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts two items with the same key in one batch', async () => {
    const batches: string[][] = [];
    const sut = new Batcher<string, string>(
      async (items) => {
        batches.push(items);
        return items;
      },
      { maxBatch: 10, maxRunning: 1, keyOf: (item) => item.split(':')[0] },
    );
    const gate = sut.submit('x:0');
    await Promise.all([gate, sut.submit('a:1'), sut.submit('a:2'), sut.submit('b:1')]);
    expect(batches).toEqual([['x:0'], ['a:1', 'b:1'], ['a:2']]);
  });

  it('retries each item of a failed batch on its own, so one bad item fails alone', async () => {
    const sut = new Batcher<number, number>(
      async (items) => {
        if (items.includes(13)) throw new Error('unlucky');
        return items;
      },
      { maxBatch: 10, maxRunning: 1 },
    );
    const gate = sut.submit(0);
    const results = await Promise.allSettled([
      gate,
      sut.submit(12),
      sut.submit(13),
      sut.submit(14),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
  });

  it('respects the batch size and the number of batches running at once', async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const sut = new Batcher<number, number>(
      async (items) => {
        running++;
        most = Math.max(most, running);
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return items;
      },
      { maxBatch: 3, maxRunning: 2 },
    );
    await Promise.all(Array.from({ length: 20 }, (_, i) => sut.submit(i)));
    expect(most).toBe(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20);
  });
});
