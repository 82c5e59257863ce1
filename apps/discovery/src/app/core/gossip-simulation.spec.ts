import { seededRng } from './seeded-rng';
/**
 * A whole network in one process: 1,000 servers gossiping with the real core functions, in
 * synchronous rounds (each server starts one exchange per round, as the 30 s schedule does),
 * with a seeded rng so every run is the same. Announcements are fake (server_id and
 * timestamp only): signatures are the service's business, not convergence's.
 */
import { differingBuckets } from '@pager/protocol';
import {
  buildTableDigest,
  Digest,
  digestForBuckets,
  mergeDecision,
  PeerEntry,
  planPush,
  selectWanted,
  updateTableDigest,
} from './gossip-state';
import { chooseNeighbours, pickGossipPartner, Rng } from './neighbour-selection';

const SERVERS = 1_000;
const NEIGHBOURS = 8;
const MAX_ROUNDS = 60;
/** Measured: 10 rounds for this seed and for seeds 1 to 4 (log2 of 1,000 is about 10). */
const ROUND_BOUND = 20;
/** A tenth of the servers re-sign their announcement during this round. */
const REFRESH_ROUND = 3;
const T0 = Date.parse('2025-10-15T10:00:00Z');

interface SimServer {
  id: string;
  table: Map<string, PeerEntry>;
  neighbours: string[];
  /** Every known server but itself; the table only grows here, so its size says when to rebuild. */
  candidates: string[];
  /** Kept between exchanges and updated from the changes, as a real daemon would. */
  digest: Digest | null;
  changed: Set<string>;
}

function announce(serverId: string, timestampMs: number): PeerEntry {
  const timestamp = new Date(timestampMs).toISOString().replace('.000Z', 'Z');
  return {
    serverId,
    timestamp,
    timestampMs,
    announcement: { server_id: serverId, timestamp },
    receivedAtMs: timestampMs,
  };
}

function digestOf(server: SimServer): Digest {
  if (server.digest === null) server.digest = buildTableDigest(server.table);
  else if (server.changed.size > 0) {
    server.digest = updateTableDigest(server.table, server.digest, server.changed);
  }
  server.changed.clear();
  return server.digest;
}

function merge(server: SimServer, entries: readonly PeerEntry[]): void {
  for (const entry of entries) {
    if (mergeDecision(server.table.get(entry.serverId), entry.timestampMs) === 'ignore') continue;
    server.table.set(entry.serverId, entry);
    server.changed.add(entry.serverId);
  }
}

/** One SYN/ACK/ACK2 exchange as docs/protocol.md §7 lays it out. */
function exchange(initiator: SimServer, responder: SimServer): void {
  const sent = digestOf(initiator);
  merge(responder, [initiator.table.get(initiator.id)!]);
  const held = digestOf(responder);
  if (held.digestHash === sent.digestHash) return;

  const replyDigest = digestForBuckets(
    responder.table,
    differingBuckets(sent.bucketHashes, held.bucketHashes),
  );
  merge(initiator, [responder.table.get(responder.id)!]);

  const plan = planPush(initiator.table, sent.bucketHashes, held.bucketHashes, replyDigest);
  merge(responder, plan.push);
  merge(initiator, selectWanted(responder.table, plan.want));
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe('gossip among 1,000 simulated servers', () => {
  const rng = seededRng(20251015);
  const ids = Array.from({ length: SERVERS }, (_, i) => `s${i}.sim.example`);
  const bootstrap = ids[0];
  const latest = new Map(ids.map((id, i) => [id, announce(id, T0 + i * 1000)]));
  const network = new Map<string, SimServer>(
    ids.map((id) => {
      const table = new Map([[id, latest.get(id)!]]);
      if (id !== bootstrap) table.set(bootstrap, latest.get(bootstrap)!);
      return [
        id,
        { id, table, neighbours: [], candidates: [], digest: null, changed: new Set<string>() },
      ];
    }),
  );

  /** Every server holds the latest announcement of every server (cheap: no hashing). */
  function converged(): boolean {
    for (const server of network.values()) {
      if (server.table.size !== SERVERS) return false;
      for (const [id, entry] of server.table) {
        if (entry.timestampMs !== latest.get(id)!.timestampMs) return false;
      }
    }
    return true;
  }

  let rounds = 0;
  beforeAll(() => {
    const cpuBefore = process.cpuUsage();
    while (rounds < MAX_ROUNDS && !converged()) {
      rounds++;
      if (rounds === REFRESH_ROUND) {
        for (const id of ids.filter((_, i) => i % 10 === 5)) {
          const fresh = announce(id, latest.get(id)!.timestampMs + 3_600_000);
          latest.set(id, fresh);
          merge(network.get(id)!, [fresh]);
        }
      }
      for (const id of shuffled(ids, rng)) {
        const server = network.get(id)!;
        if (server.candidates.length !== server.table.size - 1) {
          server.candidates = [...server.table.keys()].filter((known) => known !== id);
        }
        server.neighbours = chooseNeighbours({
          current: server.neighbours,
          candidates: server.candidates,
          unresponsive: [],
          target: NEIGHBOURS,
          rng,
        });
        const partner = pickGossipPartner(server.neighbours, rng);
        if (partner !== null) exchange(server, network.get(partner)!);
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = ((cpu.user + cpu.system) / 1e6).toFixed(1);
    console.log(`gossip simulation: ${SERVERS} servers, ${rounds} rounds, ${cpuSeconds} s of CPU`);
  }, 60_000);

  it(`lets every server learn every other within ${ROUND_BOUND} rounds`, () => {
    expect(converged()).toBe(true);
    expect(rounds).toBeLessThanOrEqual(ROUND_BOUND);
  });

  it('ends with every server reporting the same digest hash, so exchanges say in_sync', () => {
    const expected = buildTableDigest(latest).digestHash;
    for (const server of network.values()) expect(digestOf(server).digestHash).toBe(expected);
  });

  it('spreads the announcements re-signed mid-run, newer replacing older everywhere', () => {
    const refreshed = ids[5];
    for (const server of network.values()) {
      expect(server.table.get(refreshed)!.timestampMs).toBe(T0 + 5 * 1000 + 3_600_000);
    }
  });

  it('leaves the bootstrap server a neighbour of about as many servers as any other', () => {
    const holdingBootstrap = [...network.values()].filter((s) => s.neighbours.includes(bootstrap));
    // At random, each server holds 8 of its 999 peers: about 8 hold any given one.
    expect(holdingBootstrap.length).toBeLessThan(40);
  });

  it('keeps every server at the target number of neighbours', () => {
    for (const server of network.values()) expect(server.neighbours).toHaveLength(NEIGHBOURS);
  });
});
