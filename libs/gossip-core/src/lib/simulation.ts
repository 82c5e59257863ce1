/**
 * A gossip network of N servers in one process, on the real core: every exchange runs the
 * steps of `exchange.ts`, neighbours come from `chooseNeighbours`, the asynchronous schedule
 * from `nextGossipDelayMs`, digests from `GossipTable` (PROTOCOL.md section 3). Only the
 * transport is simulated (in-memory calls, with message loss and servers down) and the
 * clock (simulated milliseconds).
 *
 * Announcements are plain data of a real announcement's size (placeholder key and signature
 * strings, no RSA): convergence does not depend on crypto, and signing 10,000 of them per
 * refresh would measure RSA, not gossip. The daemon verifies before merging; here every
 * announcement is taken as valid.
 *
 * Scenarios, each measured until every live server holds the target announcements:
 * - `cold`: every server knows only itself and the bootstrap servers; done when every live
 *   server holds the announcement of every live server.
 * - `join`: a converged network; one new server that knows only a bootstrap server joins
 *   (fetches its announcement and gossips with it); done when every live server holds the
 *   new one's announcement.
 * - `refresh`: a converged network; one server re-signs its announcement; done when every
 *   live server holds the new version.
 */
import { formatProtocolTimestamp } from '@pager/protocol';
import {
  answerGossip,
  answerPush,
  GossipAnswer,
  mergeEntries,
  openExchange,
  planExchangePush,
} from './exchange';
import { GossipTable } from './gossip-table';
import { PeerEntry } from './gossip-state';
import { chooseNeighbours, nextGossipDelayMs, pickGossipPartner, Rng } from './neighbour-selection';
import { seededRng } from './seeded-rng';

export type Scenario = 'cold' | 'join' | 'refresh';
export type Schedule = 'lockstep' | 'async';

export interface SimulationOptions {
  /** Servers in the network before a join (the joiner is one more). */
  servers: number;
  seed: number;
  scenario: Scenario;
  schedule: Schedule;
  /** Active neighbours per server (NEIGHBOR_COUNT). Default 8. */
  neighbours?: number;
  /** Fraction of servers down for the whole run (never a bootstrap server or the joiner). */
  down?: number;
  /** Probability that any one message is lost. */
  loss?: number;
  /** Bootstrap servers (cold start: everyone knows them). Default 1. */
  bootstraps?: number;
  /** Give up after this many rounds (lockstep) or round-equivalents of time (async). */
  maxRounds?: number;
  intervalMs?: number;
  jitterMs?: number;
  /** Called after each lockstep round, or each simulated interval of the async schedule. */
  onProgress?: (progress: SimulationProgress) => void;
  /** Called once the run ends, while the network is still in memory (to measure it). */
  onFinish?: () => void;
}

export interface SimulationProgress {
  scenario: Scenario;
  seed: number;
  round: number;
  /** Fraction of the target holdings reached, 0 to 1. */
  reached: number;
}

export interface SimulationResult {
  scenario: Scenario;
  schedule: Schedule;
  servers: number;
  seed: number;
  converged: boolean;
  /** Lockstep rounds, or simulated time divided by the mean interval, rounded up (async). */
  rounds: number;
  /** Simulated milliseconds until converged (lockstep: rounds × mean interval). */
  simulatedMs: number;
  exchanges: number;
  /** Mean wire bytes (four JSON messages at most) per exchange during the run. */
  bytesPerExchange: number;
  /** Mean wire bytes per exchange in a round where nothing changes (measured before the event). */
  steadyBytesPerExchange: number | null;
  /** Largest single exchange during the run, bytes. */
  maxExchangeBytes: number;
  /** Entries held over all servers' tables, not counting ones shared with the common base. */
  privateEntries: number;
}

interface SimServer {
  index: number;
  id: string;
  up: boolean;
  table: GossipTable;
  neighbours: string[];
  unresponsive: string[];
}

const T0 = Date.parse('2025-10-15T10:00:00Z');
const PLACEHOLDER_KEY = `-----BEGIN PUBLIC KEY-----\n${'M'.repeat(392)}\n-----END PUBLIC KEY-----\n`;
const PLACEHOLDER_SIGNATURE = 'S'.repeat(344);
const GOSSIP_ID = `GOSSIP-${'0'.repeat(32)}`;

/** The id of simulated server `i`. */
export function simServerId(i: number): string {
  return `s${i}.sim.example`;
}

/** A plain-data announcement of a real one's size (RSA-2048 PEM key, base64 signature). */
export function simAnnouncement(serverId: string, timestampMs: number): PeerEntry {
  const timestamp = formatProtocolTimestamp(timestampMs);
  return {
    serverId,
    timestamp,
    timestampMs,
    receivedAtMs: timestampMs,
    announcement: {
      version: '1.0',
      server_id: serverId,
      public_key: PLACEHOLDER_KEY,
      capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] },
      endpoints: {
        federation: `https://${serverId}/federation`,
        discovery: `https://${serverId}/discovery`,
      },
      timestamp,
      signature: PLACEHOLDER_SIGNATURE,
    },
  };
}

const announcementBytes = new WeakMap<PeerEntry, number>();
function bytesOf(entry: PeerEntry): number {
  let bytes = announcementBytes.get(entry);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(entry.announcement));
    announcementBytes.set(entry, bytes);
  }
  return bytes;
}

/** JSON size of an envelope with `announcements` (sizes cached per announcement). */
function envelopeBytes(members: Record<string, unknown>, announcements: readonly PeerEntry[]) {
  const shell = Buffer.byteLength(
    JSON.stringify({
      version: '1.0',
      ...members,
      gossip_id: GOSSIP_ID,
      from: 's0000.sim.example',
      timestamp: '2025-10-15T10:00:00Z',
      announcements: [],
      signature: PLACEHOLDER_SIGNATURE,
    }),
  );
  let bytes = shell + Math.max(0, announcements.length - 1);
  for (const entry of announcements) bytes += bytesOf(entry);
  return bytes;
}

/** Runs one scenario once. Deterministic for a given seed and options. */
export function simulate(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation {
  private readonly rng: Rng;
  private readonly servers: SimServer[] = [];
  private readonly byId = new Map<string, SimServer>();
  private readonly neighbourTarget: number;
  private readonly loss: number;
  private readonly intervalMs: number;
  private readonly jitterMs: number;
  private readonly maxRounds: number;
  /** The announcement versions that must reach every live server, by server_id. */
  private readonly targets = new Map<string, number>();
  private holdings = 0;
  private wantedHoldings = 0;
  private exchanges = 0;
  private bytes = 0;
  private maxExchangeBytes = 0;

  constructor(private readonly options: SimulationOptions) {
    this.rng = seededRng(options.seed);
    this.neighbourTarget = options.neighbours ?? 8;
    this.loss = options.loss ?? 0;
    this.intervalMs = options.intervalMs ?? 30_000;
    this.jitterMs = options.jitterMs ?? 5_000;
    this.maxRounds = options.maxRounds ?? 200;
  }

  run(): SimulationResult {
    const { scenario } = this.options;
    const n = this.options.servers;
    const bootstraps = Math.max(1, Math.min(n, this.options.bootstraps ?? 1));
    const latest = Array.from({ length: n }, (_, i) =>
      simAnnouncement(simServerId(i), T0 + i * 1000),
    );
    const downCount = Math.floor((this.options.down ?? 0) * n);
    const downSet = this.pickDown(n, bootstraps, downCount);

    if (scenario === 'cold') {
      for (let i = 0; i < n; i++) {
        const table = new GossipTable([latest[i]]);
        for (let b = 0; b < bootstraps; b++) if (b !== i) table.set(latest[b]);
        this.addServer(i, latest[i].serverId, !downSet.has(i), table);
      }
      for (let i = 0; i < n; i++) {
        if (!downSet.has(i)) this.targets.set(latest[i].serverId, latest[i].timestampMs);
      }
    } else {
      // Converged network: one shared table, one copy-on-write fork per server.
      const base = new GossipTable(latest);
      for (let i = 0; i < n; i++) {
        this.addServer(i, latest[i].serverId, !downSet.has(i), base.fork());
      }
    }

    let steady: number | null = null;
    if (scenario !== 'cold') {
      // A round where nothing changes: every exchange is in sync (or lost).
      const before = { exchanges: this.exchanges, bytes: this.bytes };
      this.lockstepRound();
      const count = this.exchanges - before.exchanges;
      steady = count === 0 ? null : (this.bytes - before.bytes) / count;
      this.exchanges = 0;
      this.bytes = 0;
      this.maxExchangeBytes = 0;
      this.startEvent(latest, bootstraps);
    }
    this.countHoldings();

    const outcome = this.options.schedule === 'lockstep' ? this.runLockstep() : this.runAsync();
    let privateEntries = 0;
    for (const server of this.servers) privateEntries += server.table.privateSize();
    this.options.onFinish?.();
    return {
      scenario,
      schedule: this.options.schedule,
      servers: n,
      seed: this.options.seed,
      converged: outcome.converged,
      rounds: outcome.rounds,
      simulatedMs: outcome.simulatedMs,
      exchanges: this.exchanges,
      bytesPerExchange: this.exchanges === 0 ? 0 : this.bytes / this.exchanges,
      steadyBytesPerExchange: steady,
      maxExchangeBytes: this.maxExchangeBytes,
      privateEntries,
    };
  }

  private pickDown(n: number, protectedCount: number, count: number): Set<number> {
    const down = new Set<number>();
    const eligible = n - protectedCount;
    while (down.size < Math.min(count, eligible)) {
      down.add(protectedCount + Math.floor(this.rng() * eligible));
    }
    return down;
  }

  private addServer(index: number, id: string, up: boolean, table: GossipTable): SimServer {
    const server: SimServer = { index, id, up, table, neighbours: [], unresponsive: [] };
    this.servers.push(server);
    this.byId.set(id, server);
    return server;
  }

  /** Starts the join or the refresh that the run then measures. */
  private startEvent(latest: PeerEntry[], bootstraps: number): void {
    const later = T0 + 7 * 24 * 3_600_000;
    if (this.options.scenario === 'join') {
      const index = this.servers.length;
      const id = simServerId(index);
      const own = simAnnouncement(id, later);
      const bootstrap = latest[Math.floor(this.rng() * bootstraps)];
      const joiner = this.addServer(index, id, true, new GossipTable([own, bootstrap]));
      this.targets.set(id, own.timestampMs);
      // Bootstrap: GET /announcement (done above), then one exchange with that server.
      this.exchange(joiner, this.byId.get(bootstrap.serverId) as SimServer);
    } else {
      const live = this.servers.filter((s) => s.up);
      const server = live[Math.floor(this.rng() * live.length)];
      const fresh = simAnnouncement(server.id, later);
      mergeEntries(server.table, [fresh]);
      this.targets.set(server.id, fresh.timestampMs);
    }
  }

  /** Counts, from scratch, how many (live server, target) pairs hold the target version. */
  private countHoldings(): void {
    const live = this.servers.filter((s) => s.up);
    this.wantedHoldings = live.length * this.targets.size;
    this.holdings = 0;
    for (const server of live) {
      for (const [id, ms] of this.targets) {
        if (server.table.get(id)?.timestampMs === ms) this.holdings++;
      }
    }
  }

  private converged(): boolean {
    return this.holdings >= this.wantedHoldings;
  }

  private merge(server: SimServer, entries: readonly PeerEntry[]): void {
    if (entries.length === 0) return;
    for (const id of mergeEntries(server.table, entries)) {
      if (server.up && this.targets.get(id) === server.table.get(id)?.timestampMs) this.holdings++;
    }
  }

  private lost(): boolean {
    return this.loss > 0 && this.rng() < this.loss;
  }

  /** One exchange on the real steps; the responder's failure marks it unresponsive. */
  private exchange(initiator: SimServer, responder: SimServer): void {
    this.exchanges++;
    const own = initiator.table.get(initiator.id) as PeerEntry;
    const opening = openExchange(initiator.table);
    let bytes = envelopeBytes(
      { type: 'gossip', digest_hash: opening.digestHash, bucket_hashes: opening.bucketHashes },
      [own],
    );
    const fail = (): void => {
      initiator.unresponsive.push(responder.id);
      this.account(bytes);
    };
    if (!responder.up || this.lost()) return fail();

    this.merge(responder, [own]);
    const answer: GossipAnswer = answerGossip(responder.table, opening);
    const responderOwn = responder.table.get(responder.id) as PeerEntry;
    bytes += answer.inSync
      ? envelopeBytes({ type: 'gossip_reply', in_sync: true }, [])
      : envelopeBytes(
          {
            type: 'gossip_reply',
            in_sync: false,
            bucket_hashes: answer.bucketHashes,
            digest: answer.digest,
          },
          [responderOwn],
        );
    if (this.lost()) return fail();
    if (!answer.inSync) this.merge(initiator, [responderOwn]);

    const plan = planExchangePush(initiator.table, opening, answer);
    if (plan === null) return this.account(bytes);
    bytes += envelopeBytes({ type: 'gossip_push', want: plan.want }, plan.push);
    if (this.lost()) return fail();
    this.merge(responder, plan.push);
    const wanted = answerPush(responder.table, plan.want);
    bytes += envelopeBytes({ type: 'gossip_push_reply' }, wanted);
    if (this.lost()) return fail();
    this.merge(initiator, wanted);
    this.account(bytes);
  }

  private account(bytes: number): void {
    this.bytes += bytes;
    if (bytes > this.maxExchangeBytes) this.maxExchangeBytes = bytes;
  }

  /** The server's scheduled turn: new neighbours, then one exchange with one of them. */
  private turn(server: SimServer): void {
    if (!server.up) return;
    server.neighbours = chooseNeighbours({
      current: server.neighbours,
      candidates: server.table.asCandidates(),
      unresponsive: server.unresponsive,
      target: this.neighbourTarget,
      rng: this.rng,
      self: server.id,
    });
    server.unresponsive = [];
    const partner = pickGossipPartner(server.neighbours, this.rng);
    if (partner !== null) this.exchange(server, this.byId.get(partner) as SimServer);
  }

  private lockstepRound(): void {
    const order = this.servers.map((s) => s.index);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const index of order) this.turn(this.servers[index]);
  }

  private meanIntervalMs(): number {
    return this.intervalMs + this.jitterMs / 2;
  }

  private progress(round: number): void {
    this.options.onProgress?.({
      scenario: this.options.scenario,
      seed: this.options.seed,
      round,
      reached: this.wantedHoldings === 0 ? 1 : this.holdings / this.wantedHoldings,
    });
  }

  private runLockstep(): { converged: boolean; rounds: number; simulatedMs: number } {
    let rounds = 0;
    while (!this.converged() && rounds < this.maxRounds) {
      rounds++;
      this.lockstepRound();
      this.progress(rounds);
    }
    return {
      converged: this.converged(),
      rounds,
      simulatedMs: rounds * this.meanIntervalMs(),
    };
  }

  /** The real schedule: each server fires `interval + U(0, jitter)` after its previous turn. */
  private runAsync(): { converged: boolean; rounds: number; simulatedMs: number } {
    const queue = new EventQueue();
    const first = this.intervalMs + this.jitterMs;
    for (const server of this.servers) queue.push(Math.floor(this.rng() * first), server.index);
    const limitMs = this.maxRounds * this.meanIntervalMs();
    let now = 0;
    let nextProgressMs = this.meanIntervalMs();
    while (!this.converged() && queue.size > 0) {
      const [at, index] = queue.pop();
      if (at > limitMs) break;
      now = at;
      while (now >= nextProgressMs) {
        this.progress(Math.round(nextProgressMs / this.meanIntervalMs()));
        nextProgressMs += this.meanIntervalMs();
      }
      this.turn(this.servers[index]);
      queue.push(now + nextGossipDelayMs(this.intervalMs, this.jitterMs, this.rng), index);
    }
    return {
      converged: this.converged(),
      rounds: Math.ceil(now / this.meanIntervalMs()),
      simulatedMs: now,
    };
  }
}

/** A binary min-heap of (time, server index). */
class EventQueue {
  private readonly times: number[] = [];
  private readonly items: number[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, item: number): void {
    let i = this.times.length;
    this.times.push(time);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent] <= this.times[i]) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.times[0], this.items[0]];
    const lastTime = this.times.pop() as number;
    const lastItem = this.items.pop() as number;
    if (this.times.length > 0) {
      this.times[0] = lastTime;
      this.items[0] = lastItem;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.times.length && this.times[l] < this.times[m]) m = l;
        if (r < this.times.length && this.times[r] < this.times[m]) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b], this.times[a]];
    [this.items[a], this.items[b]] = [this.items[b], this.items[a]];
  }
}
