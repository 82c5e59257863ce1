/** The tables whose changes the daemon caches against: `ChangeFeed` hears them all. */
export type WatchedTable = 'peers' | 'blocklist' | 'pins';

export const WATCHED_TABLES: readonly WatchedTable[] = ['peers', 'blocklist', 'pins'];

/**
 * Generation counters of the watched tables, the pure core of `ChangeFeed`: a cache entry
 * read at generation g stays valid while `current(table)` is still g.
 *
 * - `changed(table)`: a change was heard (a NOTIFY from PostgreSQL, on any replica's commit)
 *   or made by this process (its owner calls it once its write has committed);
 * - `setLive(live)`: the listen connection came up (its LISTEN done) or went away; either
 *   way every generation moves on, since changes made while nobody listened were not heard;
 * - `current(table)`: null while not live (no cache may be trusted then: readers read
 *   PostgreSQL), else a number that changes with each of the above.
 */
export class ChangeGenerations {
  private live = false;
  private epoch = 0;
  private readonly counters = new Map<WatchedTable, number>(WATCHED_TABLES.map((t) => [t, 0]));

  isLive(): boolean {
    return this.live;
  }

  setLive(live: boolean): void {
    this.live = live;
    this.epoch++;
  }

  changed(table: WatchedTable): void {
    this.counters.set(table, (this.counters.get(table) ?? 0) + 1);
  }

  /** The table's generation (epoch and changes folded into one number), or null when not live. */
  current(table: WatchedTable): number | null {
    if (!this.live) return null;
    // Counters below 2^32 (changes) and epochs below 2^20 stay exact in a double.
    return this.epoch * 2 ** 32 + (this.counters.get(table) ?? 0);
  }
}

/**
 * The watched table a NOTIFY payload (`<schema>.<table>`, from the triggers of the
 * `ChangeNotify` migration) is about, or null when it is another schema's (several daemons
 * may share a database, each in its own schema) or not a watched table.
 */
export function watchedTableOf(payload: string | undefined, schema: string): WatchedTable | null {
  if (payload === undefined) return null;
  const dot = payload.lastIndexOf('.');
  if (dot < 0 || payload.slice(0, dot) !== schema) return null;
  const table = payload.slice(dot + 1);
  return (WATCHED_TABLES as readonly string[]).includes(table) ? (table as WatchedTable) : null;
}

/**
 * Values by key, all read at one generation of a table (`ChangeGenerations.current`): a
 * lookup at another generation misses, and the first store at a new generation drops
 * everything older. At most `maxEntries` values (then cleared and refilled).
 */
export class GenerationCache<V> {
  private generation: number | null = null;
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  /** `{ value }` when `key` was stored at `generation`; undefined otherwise (or null generation). */
  get(generation: number | null, key: string): { value: V } | undefined {
    if (generation === null || generation !== this.generation || !this.entries.has(key)) {
      return undefined;
    }
    return { value: this.entries.get(key) as V };
  }

  /**
   * Keeps `value`, read at `readAt`, if the generation is still `now` (nothing changed while
   * it was read); otherwise, or with no generation (not live), keeps nothing.
   */
  set(readAt: number | null, now: number | null, key: string, value: V): void {
    if (readAt === null || readAt !== now) return;
    if (this.generation !== readAt || this.entries.size >= this.maxEntries) {
      this.entries.clear();
      this.generation = readAt;
    }
    this.entries.set(key, value);
  }
}
