import { Inject, Injectable } from '@nestjs/common';
import {
  GossipDto,
  assertSupportedVersion,
  GossipPushDto,
  GossipPushReplyDto,
  GossipReply,
  GossipReplyDto,
  GossipPushReply,
  PROTOCOL_VERSION,
  ProtocolError,
  formatProtocolTimestamp,
  newGossipId,
  validateWire,
} from '@pager/protocol';
import { JsonLogger, ServerKey } from '@pager/server-kit';
import { AnnouncementIntake } from '../announcements/announcement-intake.service';
import { OwnAnnouncementService } from '../announcements/own-announcement.service';
import { SenderAuthenticator } from '../announcements/sender-authenticator';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import {
  GossipAnswer,
  GossipTable,
  PeerEntry,
  answerGossip,
  answerPush,
  chooseNeighbours,
  openExchange,
  pickGossipPartner,
  planExchangePush,
} from '@pager/gossip-core';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import { NeighbourSet } from '../peers/neighbour-set';
import { NeighbourService } from '../peers/neighbour.service';
import { PeerStore } from '../peers/peer-store.service';
import { PeerTableCache } from '../peers/peer-table.cache';
import { GOSSIP_HTTP, GossipHttp, describeFailure, joinUrl } from '../common/peer-http';
import { requireValid } from '../common/server-id-param';
import { GossipExchangeStore } from './gossip-exchange.store';
import { PinStore } from '../pins/pin-store.service';

/** Where to gossip: a known server, or a bootstrap URL whose server we just learnt. */
export interface GossipTarget {
  serverId: string;
  discoveryUrl: string;
}

/** Longest an exchange may take, whatever the interval (the former request timeout). */
const MAX_EXCHANGE_DEADLINE_MS = 10_000;
/** Shortest deadline, for test intervals of a few hundred ms. */
const MIN_EXCHANGE_DEADLINE_MS = 250;
/** Longest time between two housekeeping passes (expired entries, exchange ids, pending pins). */
const MAX_HOUSEKEEPING_PERIOD_MS = 10_000;

/**
 * How often a round deletes what has expired from PostgreSQL: every round up to
 * `MAX_HOUSEKEEPING_PERIOD_MS` (10 s), and at most a tenth of the announcement TTL (ms), so a
 * steady round with nothing to delete issues none of those DELETEs. The shared table never
 * waits for it: the cached table drops aged entries itself (`PeerTableCache`), and the
 * stored table's readers filter by the TTL.
 */
export function housekeepingPeriodMs(announcementTtlMs: number): number {
  return Math.min(MAX_HOUSEKEEPING_PERIOD_MS, Math.floor(announcementTtlMs / 10));
}

/**
 * The deadline of one whole exchange (both requests, replies verified): half the interval,
 * between 250 ms and 10 s. Well under the interval, so a neighbour that never answers has
 * been given up on, and marked unresponsive, before the next round chooses neighbours.
 */
export function exchangeDeadlineMs(intervalMs: number): number {
  return Math.min(
    MAX_EXCHANGE_DEADLINE_MS,
    Math.max(MIN_EXCHANGE_DEADLINE_MS, Math.floor(intervalMs / 2)),
  );
}

/**
 * Body bytes of a peer's reply: its Content-Length, else the parsed body re-serialised
 * (chunked replies; the same JSON within whitespace).
 */
export function replyBytes(response: { headers?: unknown; data?: unknown }): number {
  const headers = (response.headers ?? {}) as Record<string, unknown>;
  const length = Number(headers['content-length']);
  if (Number.isInteger(length) && length >= 0) return length;
  if (typeof response.data === 'string') return Buffer.byteLength(response.data);
  return Buffer.byteLength(JSON.stringify(response.data ?? null));
}

/**
 * Anti-entropy gossip (docs/protocol.md §7), both sides: answering `gossip` and
 * `gossip_push`, and starting exchanges with neighbours.
 */
@Injectable()
export class GossipService {
  /** Exchanges this replica started and that have not ended yet, by neighbour. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  /** When this replica last deleted expired rows (ms; -Infinity: never). */
  private lastHousekeepingMs = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(ServerKey) private readonly key: ServerKey,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(PeerTableCache) private readonly tables: PeerTableCache,
    @Inject(NeighbourSet) private readonly neighbours: NeighbourSet,
    @Inject(NeighbourService) private readonly activeNeighbours: NeighbourService,
    @Inject(AnnouncementIntake) private readonly intake: AnnouncementIntake,
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(SenderAuthenticator) private readonly auth: SenderAuthenticator,
    @Inject(GossipExchangeStore) private readonly exchanges: GossipExchangeStore,
    @Inject(GOSSIP_HTTP) private readonly http: GossipHttp,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(PinStore) private readonly pins: PinStore,
  ) {}

  // ---- responder ----------------------------------------------------------------------

  /** `POST {discovery}/gossip`: a `gossip` or `gossip_push` envelope. */
  async receive(body: unknown): Promise<GossipReply | GossipPushReply> {
    assertSupportedVersion(body); // first, before the type and the schema (order of checks)
    const type =
      typeof body === 'object' && body !== null
        ? (body as Record<string, unknown>)['type']
        : undefined;
    if (type === 'gossip') return this.receiveGossip(body as Record<string, unknown>);
    if (type === 'gossip_push') return this.receivePush(body as Record<string, unknown>);
    throw new ProtocolError('validation_failed', 'type: must be "gossip" or "gossip_push"');
  }

  private async receiveGossip(raw: Record<string, unknown>): Promise<GossipReply> {
    const dto = requireValid(validateWire(GossipDto, raw));
    const announcements = raw['announcements'] as unknown[];
    await this.auth.authenticate(
      { raw, version: dto.version, from: dto.from, timestamp: dto.timestamp, announcements },
      { traffic: 'gossip' },
    );
    // The exchange id and the sender's last_seen in one statement (before the intake: a
    // sender stored by it gets last_seen from its insert).
    if (!(await this.exchanges.openAndTouch(dto.from, dto.gossip_id))) {
      throw new ProtocolError('validation_failed', 'gossip_id: already used');
    }
    await this.intake.acceptAll(announcements, dto.from);
    const answer = answerGossip(await this.table(), {
      digestHash: dto.digest_hash,
      bucketHashes: dto.bucket_hashes,
    });
    this.metrics.gossipRounds.inc({ role: 'responder', result: 'ok' });
    if (answer.inSync) {
      return this.sign<GossipReply>({
        type: 'gossip_reply',
        gossip_id: dto.gossip_id,
        in_sync: true,
      });
    }
    return this.sign<GossipReply>({
      type: 'gossip_reply',
      gossip_id: dto.gossip_id,
      in_sync: false,
      bucket_hashes: answer.bucketHashes,
      digest: answer.digest,
      announcements: [await this.own.current()],
    });
  }

  private async receivePush(raw: Record<string, unknown>): Promise<GossipPushReply> {
    const dto = requireValid(validateWire(GossipPushDto, raw));
    const announcements = raw['announcements'] as unknown[];
    // No rate-limit unit: the push belongs to the exchange its `gossip` already paid for.
    await this.auth.authenticate({
      raw,
      version: dto.version,
      from: dto.from,
      timestamp: dto.timestamp,
      announcements,
    });
    if (!(await this.exchanges.claimPush(dto.from, dto.gossip_id))) {
      throw new ProtocolError('validation_failed', 'gossip_id: unknown, expired or already pushed');
    }
    await this.intake.acceptAll(announcements, dto.from);
    return this.sign<GossipPushReply>({
      type: 'gossip_push_reply',
      gossip_id: dto.gossip_id,
      announcements: answerPush(await this.table(), dto.want).map(
        (entry) => entry.announcement as unknown as GossipPushReply['announcements'][number],
      ),
    });
  }

  // ---- initiator ----------------------------------------------------------------------

  /**
   * One complete exchange with `target` within the exchange deadline (`exchangeDeadlineMs`);
   * throws with a reason when it fails or the deadline passes (the requests are aborted).
   */
  async exchangeWith(target: GossipTarget, table?: GossipTable): Promise<void> {
    const deadlineMs = exchangeDeadlineMs(this.config.gossipIntervalMs);
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`no complete exchange within ${deadlineMs} ms`));
      }, deadlineMs);
      timer.unref();
    });
    try {
      await Promise.race([this.exchangeSteps(target, abort.signal, table), expired]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  private async exchangeSteps(
    target: GossipTarget,
    signal: AbortSignal,
    table?: GossipTable,
  ): Promise<void> {
    const url = joinUrl(target.discoveryUrl, '/gossip');
    const opening = openExchange(table ?? (await this.table()));
    const gossipId = newGossipId();
    const envelope = await this.sign<Record<string, unknown>>({
      type: 'gossip',
      gossip_id: gossipId,
      digest_hash: opening.digestHash,
      bucket_hashes: opening.bucketHashes,
      announcements: [await this.own.current()],
    });
    const reply = await this.post(url, envelope, signal);
    const replyDto = requireValid(validateWire(GossipReplyDto, reply));
    this.checkReply(replyDto, 'gossip_reply', gossipId, target);
    const replyAnnouncements = (reply['announcements'] as unknown[] | undefined) ?? [];
    await this.auth.authenticate(
      {
        raw: reply,
        version: replyDto.version,
        from: replyDto.from,
        timestamp: replyDto.timestamp,
        announcements: replyAnnouncements,
      },
      { checkBlocklist: false },
    );
    await this.intake.acceptAll(replyAnnouncements, replyDto.from);
    // In sync: nothing to push or want, and no table to read again.
    if (replyDto.in_sync) return;
    const answer: GossipAnswer = {
      inSync: false,
      bucketHashes: replyDto.bucket_hashes ?? [],
      digest: replyDto.digest ?? {},
    };
    const plan = planExchangePush(await this.table(), opening, answer);
    if (plan === null) return;
    const push = await this.sign<Record<string, unknown>>({
      type: 'gossip_push',
      gossip_id: gossipId,
      announcements: plan.push.map((entry: PeerEntry) => entry.announcement),
      want: plan.want,
    });
    const pushReply = await this.post(url, push, signal);
    const pushDto = requireValid(validateWire(GossipPushReplyDto, pushReply));
    this.checkReply(pushDto, 'gossip_push_reply', gossipId, target);
    const pushed = pushReply['announcements'] as unknown[];
    await this.auth.authenticate(
      {
        raw: pushReply,
        version: pushDto.version,
        from: pushDto.from,
        timestamp: pushDto.timestamp,
        announcements: pushed,
      },
      { checkBlocklist: false },
    );
    await this.intake.acceptAll(pushed, pushDto.from);
  }

  /**
   * Exchanges with a known server by id (its discovery endpoint in the shared table: live
   * and unblocked entries only). `table`: the round's table, read once for the round.
   */
  async exchangeWithServer(serverId: string, table?: GossipTable): Promise<void> {
    const shared = table ?? (await this.table());
    const entry = shared.get(serverId);
    const endpoints = entry?.announcement['endpoints'] as Record<string, unknown> | undefined;
    const discoveryUrl = endpoints?.['discovery'];
    if (typeof discoveryUrl !== 'string') throw new Error(`${serverId} is not a live peer`);
    await this.exchangeWith({ serverId, discoveryUrl }, shared);
  }

  /**
   * One scheduled round: drop expired entries, choose the neighbours (one swapped, the
   * unresponsive replaced), and start an exchange with one of them at random. Resolves once
   * the exchange has *started*: it runs on its own under its deadline, so a neighbour that
   * never answers delays neither the next round nor any other exchange (it is marked
   * unresponsive when its deadline passes, and replaced by the next round).
   */
  async runRound(nowMs: number = Date.now()): Promise<void> {
    if (nowMs - this.lastHousekeepingMs >= housekeepingPeriodMs(this.config.announcementTtlMs)) {
      this.lastHousekeepingMs = nowMs;
      await this.exchanges.prune();
      await this.expire(nowMs);
    }
    const table = await this.table(nowMs);
    const chosen = chooseNeighbours({
      current: this.neighbours.list(),
      candidates: table.asCandidates(),
      self: this.config.serverId,
      unresponsive: this.neighbours.unresponsiveList(),
      target: this.config.neighborCount,
      rng: Math.random,
    });
    this.neighbours.replace(chosen);
    this.metrics.peersKnown.set(table.size);
    const partner = pickGossipPartner(chosen, Math.random);
    if (partner !== null) this.startExchange(partner, table);
  }

  /** Exchanges with every neighbour at once (after a re-signed own announcement). */
  async pushToNeighbours(): Promise<void> {
    await Promise.all((await this.activeNeighbours.active()).map((id) => this.tryExchange(id)));
  }

  /** Waits for the exchanges in flight (each ends by its deadline); for shutdown and tests. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight.values()]);
  }

  /** Starts an exchange without waiting for it; one at a time per neighbour. */
  private startExchange(serverId: string, table: GossipTable): void {
    if (this.inFlight.has(serverId)) return;
    const running = this.tryExchange(serverId, table).finally(() => this.inFlight.delete(serverId));
    this.inFlight.set(serverId, running);
  }

  private async tryExchange(serverId: string, table?: GossipTable): Promise<boolean> {
    const began = Date.now();
    try {
      await this.exchangeWithServer(serverId, table);
      this.metrics.gossipRounds.inc({ role: 'initiator', result: 'ok' });
      return true;
    } catch (err) {
      this.neighbours.markUnresponsive(serverId);
      this.metrics.gossipRounds.inc({ role: 'initiator', result: 'failed' });
      this.logger.event(
        'discovery.gossip_failed',
        { peer: serverId, error: (err as Error).message, duration_ms: Date.now() - began },
        'debug',
      );
      return false;
    }
  }

  /**
   * Drops the entries whose announcement is older than the TTL: the cached table drops them
   * with the core's `expire`, PostgreSQL by the same rule. Blocked entries stay listed
   * (SERVICES.md: an entry known before the block stays listed). Pending pin confirmations
   * not seen again within the TTL go too.
   */
  private async expire(nowMs: number): Promise<void> {
    const dropped = await this.peers.removeOlderThan(
      nowMs - this.config.announcementTtlMs,
      this.config.serverId,
    );
    if (dropped.length > 0) {
      for (const id of dropped) this.neighbours.remove(id);
      this.logger.event('discovery.peers_expired', { server_ids: dropped });
    }
    // Confirmations of servers not pinned yet expire with the announcements they confirmed.
    const unconfirmed = await this.pins.prunePending(nowMs - this.config.announcementTtlMs);
    if (unconfirmed.length > 0) {
      this.logger.event('discovery.pending_pins_expired', { server_ids: unconfirmed });
    }
  }

  private table(nowMs: number = Date.now()): Promise<GossipTable> {
    return this.tables.table(nowMs);
  }

  private async post(
    url: string,
    body: object,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    // Serialised once: the bytes counted are the bytes sent.
    const payload = JSON.stringify(body);
    this.metrics.gossipBytes.inc({ direction: 'sent' }, Buffer.byteLength(payload));
    // The client's own timeout is MAX_EXCHANGE_DEADLINE_MS (10 s); `signal` ends it sooner.
    const response = await this.http.post(url, payload, { signal });
    this.metrics.gossipBytes.inc({ direction: 'received' }, replyBytes(response));
    if (response.status !== 200)
      throw new Error(`${url}: ${describeFailure(response.status, response.data)}`);
    const data: unknown = response.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new Error(`${url}: reply is not a JSON object`);
    }
    return data as Record<string, unknown>;
  }

  private checkReply(
    dto: { type: string; gossip_id: string; from: string },
    type: string,
    gossipId: string,
    target: GossipTarget,
  ): void {
    if (dto.type !== type) throw new Error(`reply type ${dto.type}, expected ${type}`);
    if (dto.gossip_id !== gossipId) throw new Error('reply for another gossip_id');
    if (dto.from !== target.serverId)
      throw new Error(`reply from ${dto.from}, expected ${target.serverId}`);
  }

  private async sign<T>(members: Record<string, unknown>): Promise<T> {
    const envelope = {
      version: PROTOCOL_VERSION,
      ...members,
      from: this.config.serverId,
      timestamp: formatProtocolTimestamp(Date.now()),
    };
    return (await this.key.sign(envelope)) as unknown as T;
  }
}
