/**
 * Group commit in the application: items submitted while a batch is running are run
 * together in the next one, so that a busy server issues one statement (one round trip,
 * one commit) per batch rather than per item. An idle server runs an item at once.
 *
 * Each caller's promise settles only when the batch holding its item has returned, so a
 * caller that waits for it still waits for its own write to be committed.
 */
export interface BatcherOptions<I> {
  /** Items per batch at most. */
  maxBatch: number;
  /** Batches running at once at most. */
  maxRunning: number;
  /**
   * Items with equal keys never share a batch (the later waits for the next one), for
   * statements that could not take the same row twice.
   */
  keyOf?: (item: I) => string;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;

  /** `run` answers with one result per item, in the items' order. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions<I>,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.maxRunning && this.queue.length > 0) {
      const batch = this.take();
      this.running++;
      void this.runBatch(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private take(): Pending<I, O>[] {
    const keyOf = this.options.keyOf;
    if (keyOf === undefined) return this.queue.splice(0, this.options.maxBatch);
    const batch: Pending<I, O>[] = [];
    const rest: Pending<I, O>[] = [];
    const keys = new Set<string>();
    for (const pending of this.queue) {
      const key = keyOf(pending.item);
      if (batch.length < this.options.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(pending);
      } else {
        rest.push(pending);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
      // One bad item must not fail the others: each is tried on its own.
      await Promise.all(
        batch.map((p) =>
          this.run([p.item]).then(
            (results) => p.resolve(results[0]),
            (e: unknown) => p.reject(e),
          ),
        ),
      );
    }
  }
}
