/**
 * The bound on the table of known servers (issue 9, table flooding). Anyone can make
 * self-signed announcements for any number of invented server ids (one key may sign all of
 * them) and a neighbour can relay them all; each stored one costs memory in every gossip
 * exchange and is relayed further. Two limits: new servers learned through any one relaying
 * neighbour per hour, and the table's size (MAX_KNOWN_SERVERS). Pure: the service keeps
 * the state and does the I/O.
 */

/** How an announcement of a server we do not hold reached us. */
export type Origin =
  /** From the server itself (its gossip envelope, bootstrap, its own announcement URL). */
  | 'direct'
  /** The answer to a query we flooded for it (our users, or a query we relay). */
  | 'requested'
  /** Passed on by another server (gossip). */
  | 'relay';

export interface TableBoundPolicy {
  /** MAX_KNOWN_SERVERS: the most entries the table holds, the own one included. */
  maxKnownServers: number;
  /** RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR: new servers one neighbour may introduce per hour. */
  relayedPerNeighbourPerHour: number;
}

/** What the table knows about an entry, to choose one to drop. */
export interface HeldEntry {
  serverId: string;
  receivedAtMs: number;
  origin: Origin;
  /** Our users routed to it (a page went there) since we learnt it. */
  contactedByUsers: boolean;
  /** One of our active neighbours. */
  neighbour: boolean;
}

export type Admission =
  | { admit: true; evict?: string }
  | { admit: false; reason: 'neighbour_quota' | 'table_full' };

export interface AdmissionInput {
  origin: Origin;
  /** New servers this relaying neighbour introduced in the current hour (relay only). */
  relayedThisHour: number;
  tableSize: number;
  /** The entry to drop if one must go (chooseEviction), or null if none may. */
  evictable: string | null;
}

/**
 * Whether to store a server we do not hold yet. A relayed one is refused once its
 * neighbour's hourly quota is used, and when the table is full (what we hold stays: it was
 * verified first and may be in use). A direct or requested one is admitted, and when the
 * table is full it replaces the least valuable entry, if there is one that may go.
 */
export function decideAdmission(input: AdmissionInput, policy: TableBoundPolicy): Admission {
  if (input.origin === 'relay' && input.relayedThisHour >= policy.relayedPerNeighbourPerHour) {
    return { admit: false, reason: 'neighbour_quota' };
  }
  if (input.tableSize < policy.maxKnownServers) return { admit: true };
  if (input.origin === 'relay' || input.evictable === null) {
    return { admit: false, reason: 'table_full' };
  }
  return { admit: true, evict: input.evictable };
}

const ORIGIN_VALUE: Record<Origin, number> = { relay: 0, requested: 1, direct: 2 };

/**
 * The entry to drop when a better one needs the room: never one our users contacted, nor an
 * active neighbour, nor `self`; among the rest, relayed before requested before direct, and
 * the oldest first. Null when nothing may go.
 */
export function chooseEviction(entries: readonly HeldEntry[], self: string): string | null {
  let victim: HeldEntry | null = null;
  for (const entry of entries) {
    if (entry.contactedByUsers || entry.neighbour || entry.serverId === self) continue;
    if (
      victim === null ||
      ORIGIN_VALUE[entry.origin] < ORIGIN_VALUE[victim.origin] ||
      (ORIGIN_VALUE[entry.origin] === ORIGIN_VALUE[victim.origin] &&
        entry.receivedAtMs < victim.receivedAtMs)
    ) {
      victim = entry;
    }
  }
  return victim?.serverId ?? null;
}

/** Hourly windows of servers introduced per neighbour: neighbour → window start and count. */
export type RelayWindows = ReadonlyMap<string, { startMs: number; count: number }>;

const HOUR_MS = 3_600_000;

/** New servers `neighbour` introduced in the window that holds `nowMs` (0 for a new window). */
export function relayedThisHour(windows: RelayWindows, neighbour: string, nowMs: number): number {
  const window = windows.get(neighbour);
  return window !== undefined && nowMs - window.startMs < HOUR_MS ? window.count : 0;
}

/** The windows after `neighbour` introduced one more server; expired windows are dropped. */
export function recordRelayed(
  windows: RelayWindows,
  neighbour: string,
  nowMs: number,
): RelayWindows {
  const next = new Map<string, { startMs: number; count: number }>();
  for (const [id, w] of windows) if (nowMs - w.startMs < HOUR_MS) next.set(id, w);
  const current = next.get(neighbour);
  next.set(
    neighbour,
    current === undefined ? { startMs: nowMs, count: 1 } : { ...current, count: current.count + 1 },
  );
  return next;
}
