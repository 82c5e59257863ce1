/** One minute's reading for the status page's charts. */
export interface StatusSample {
  atMs: number;
  /** `discovery_gossip_exchanges_total{role="initiator"}` (a counter), null if unread. */
  gossipRounds: number | null;
  /** Pages waiting or in flight over every destination, null if unread. */
  outboxDepth: number | null;
}

/** The charts cover one hour, one sample a minute. */
export const SAMPLE_INTERVAL_MS = 60_000;
export const SAMPLE_WINDOW_MS = 3_600_000;
const MAX_SAMPLES = 120;

/** `samples` with `sample` appended and everything older than the window dropped (bounded). */
export function addSample(
  samples: readonly StatusSample[],
  sample: StatusSample,
  windowMs = SAMPLE_WINDOW_MS,
): StatusSample[] {
  return [...samples, sample]
    .filter((s) => s.atMs > sample.atMs - windowMs && s.atMs <= sample.atMs)
    .slice(-MAX_SAMPLES);
}

/**
 * Rounds between consecutive samples (a counter: a decrease means the daemon restarted, and
 * the new value is the count since). Null with fewer than two readings.
 */
export function gossipPerInterval(samples: readonly StatusSample[]): number[] | null {
  const read = samples.filter((s) => s.gossipRounds !== null) as (StatusSample & {
    gossipRounds: number;
  })[];
  if (read.length < 2) return null;
  return read
    .slice(1)
    .map((s, i) =>
      s.gossipRounds >= read[i].gossipRounds
        ? s.gossipRounds - read[i].gossipRounds
        : s.gossipRounds,
    );
}

/** The outbox depth readings, oldest first; null when there is none. */
export function outboxSeries(samples: readonly StatusSample[]): number[] | null {
  const values = samples.flatMap((s) => (s.outboxDepth === null ? [] : [s.outboxDepth]));
  return values.length === 0 ? null : values;
}

/**
 * Sum of a Prometheus counter's samples whose labels include `labels` (text format).
 * Unparsable lines are skipped.
 */
export function sumCounter(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((p) => [
        p[1],
        p[2],
      ]),
    );
    if (!Object.entries(labels).every(([k, v]) => have.get(k) === v)) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
