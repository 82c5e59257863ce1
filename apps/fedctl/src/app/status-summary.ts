import type { Destination, DestinationState, Peer } from '@pager/internal-api';
import { DESTINATION_STATES } from '@pager/internal-api';
import { EXIT, ExitCode } from './exit-codes';

/** What one probe of a service gave: an answer, an error answer, or nothing. */
export type Probe<T> =
  | { ok: true; value: T }
  | { ok: false; kind: 'http'; status: number; error: string; message: string }
  | { ok: false; kind: 'unreachable' | 'bad_answer'; message: string };

export interface StatusInput {
  discoveryReady: Probe<unknown>;
  adapterReady: Probe<unknown>;
  /** The own announcement's server id and key fingerprint. */
  identity: Probe<{ server_id: string; fingerprint: string }>;
  /**
   * The daemon's `GET /api/v1/keys`: the key being rotated away from (shown, never counted as
   * a problem; absent for a daemon without the route).
   */
  keys?: Probe<{ previous_fingerprint: string | null }>;
  peers: Probe<Peer[]>;
  destinations: Probe<Destination[]>;
  /** `discovery_gossip_exchanges_total` as initiator, by result (from /metrics). */
  gossip: Probe<{ ok: number; failed: number }>;
  nowMs: number;
  /** An announcement older than this is not live (ANNOUNCEMENT_TTL_MS, default 24 h). */
  liveWithinMs: number;
}

export type Health = 'healthy' | 'degraded' | 'unreachable';

export interface StatusSummary {
  health: Health;
  /** Why it is not healthy, one short sentence each. */
  problems: string[];
  server_id: string | null;
  fingerprint: string | null;
  /** The key being rotated away from (PREVIOUS_KEY_PATH), null when none or not known. */
  previous_fingerprint: string | null;
  discovery: 'ready' | 'not_ready' | 'unreachable';
  adapter: 'ready' | 'not_ready' | 'unreachable';
  peers_known: number | null;
  peers_live: number | null;
  peers_blocked: number | null;
  neighbours: number | null;
  destinations: Record<DestinationState, number> | null;
  pages_waiting: number | null;
  pages_in_flight: number | null;
  gossip_exchanges: { ok: number; failed: number } | null;
}

function readiness(probe: Probe<unknown>): StatusSummary['discovery'] {
  if (probe.ok) return 'ready';
  return probe.kind === 'http' ? 'not_ready' : 'unreachable';
}

/**
 * The `fedctl status` decision (issue 11): `unreachable` when either service gives no answer
 * to `/health/ready`; `degraded` when one answers not ready (503), or a destination is
 * `unreachable`, or an internal call the summary needs fails; `healthy` otherwise. A
 * stopped destination is the operator's choice and does not degrade; backing off is
 * reported, not counted as degraded (it is a retry in progress).
 */
export function summarizeStatus(input: StatusInput): StatusSummary {
  const problems: string[] = [];
  const discovery = readiness(input.discoveryReady);
  const adapter = readiness(input.adapterReady);
  for (const [name, state, probe] of [
    ['discovery', discovery, input.discoveryReady],
    ['adapter', adapter, input.adapterReady],
  ] as const) {
    if (state === 'unreachable')
      problems.push(`${name} unreachable: ${probe.ok ? '' : probe.message}`);
    if (state === 'not_ready') problems.push(`${name} not ready`);
  }
  let peersKnown: number | null = null;
  let peersLive: number | null = null;
  let peersBlocked: number | null = null;
  let neighbours: number | null = null;
  if (input.peers.ok) {
    const peers = input.peers.value;
    peersKnown = peers.length;
    peersBlocked = peers.filter((p) => p.blocked).length;
    neighbours = peers.filter((p) => p.neighbor).length;
    peersLive = peers.filter((p) => {
      const t = Date.parse(p.timestamp);
      return !p.blocked && Number.isFinite(t) && input.nowMs - t <= input.liveWithinMs;
    }).length;
  } else if (discovery === 'ready') {
    problems.push(`peers: ${input.peers.message}`);
  }
  let byState: Record<DestinationState, number> | null = null;
  let waiting: number | null = null;
  let inFlight: number | null = null;
  if (input.destinations.ok) {
    const list = input.destinations.value;
    byState = Object.fromEntries(DESTINATION_STATES.map((s) => [s, 0])) as Record<
      DestinationState,
      number
    >;
    for (const d of list) if (d.state in byState) byState[d.state]++;
    waiting = list.reduce((sum, d) => sum + (d.pages_waiting ?? 0), 0);
    inFlight = list.reduce((sum, d) => sum + (d.pages_in_flight ?? 0), 0);
    if (byState.unreachable > 0) problems.push(`${byState.unreachable} destination(s) unreachable`);
  } else if (adapter === 'ready') {
    problems.push(`destinations: ${input.destinations.message}`);
  }
  const unreachable = discovery === 'unreachable' || adapter === 'unreachable';
  return {
    health: unreachable ? 'unreachable' : problems.length > 0 ? 'degraded' : 'healthy',
    problems,
    server_id: input.identity.ok ? input.identity.value.server_id : null,
    fingerprint: input.identity.ok ? input.identity.value.fingerprint : null,
    previous_fingerprint: input.keys?.ok ? input.keys.value.previous_fingerprint : null,
    discovery,
    adapter,
    peers_known: peersKnown,
    peers_live: peersLive,
    peers_blocked: peersBlocked,
    neighbours,
    destinations: byState,
    pages_waiting: waiting,
    pages_in_flight: inFlight,
    gossip_exchanges: input.gossip.ok ? input.gossip.value : null,
  };
}

/** The exit code of `fedctl status` for a summary. */
export function statusExitCode(summary: Pick<StatusSummary, 'health'>): ExitCode {
  switch (summary.health) {
    case 'healthy':
      return EXIT.ok;
    case 'degraded':
      return EXIT.degraded;
    case 'unreachable':
      return EXIT.unreachable;
  }
}

/**
 * Sum of a Prometheus counter's samples whose labels include `labels` (text format 0.0.4).
 * Lines that do not parse are skipped; a missing series sums to 0.
 */
export function sumSamples(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      have.set(pair[1], pair[2]);
    }
    if (!Object.entries(labels).every(([k, v]) => have.get(k) === v)) continue;
    const value = Number(m[4]);
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
