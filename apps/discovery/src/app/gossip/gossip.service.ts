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
  differingBuckets,
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
  PeerEntry,
  buildTableDigest,
  chooseNeighbours,
  digestForBuckets,
  expire,
  pickGossipPartner,
  planPush,
  selectWanted,
} from '../core';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import { NeighbourSet } from '../peers/neighbour-set';
import { NeighbourService } from '../peers/neighbour.service';
import { PeerStore } from '../peers/peer-store.service';
import { PEER_HTTP, PeerHttp, describeFailure, joinUrl } from '../shared/peer-http';
import { requireValid } from '../shared/server-id-param';
import { GossipExchangeStore } from './gossip-exchange.store';

/** Where to gossip: a known server, or a bootstrap URL whose server we just learnt. */
export interface GossipTarget {
  serverId: string;
  discoveryUrl: string;
}

const GOSSIP_TIMEOUT_MS = 10_000;

/**
 * Anti-entropy gossip (docs/protocol.md §7), both sides: answering `gossip` and
 * `gossip_push`, and starting exchanges with neighbours.
 */
@Injectable()
export class GossipService {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(ServerKey) private readonly key: ServerKey,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(NeighbourSet) private readonly neighbours: NeighbourSet,
    @Inject(NeighbourService) private readonly activeNeighbours: NeighbourService,
    @Inject(AnnouncementIntake) private readonly intake: AnnouncementIntake,
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(SenderAuthenticator) private readonly auth: SenderAuthenticator,
    @Inject(GossipExchangeStore) private readonly exchanges: GossipExchangeStore,
    @Inject(PEER_HTTP) private readonly http: PeerHttp,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
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
    if (!(await this.exchanges.open(dto.from, dto.gossip_id))) {
      throw new ProtocolError('validation_failed', 'gossip_id: already used');
    }
    await this.intake.acceptAll(announcements, dto.from);
    await this.peers.touch(dto.from);
    const table = await this.table();
    const digest = buildTableDigest(table);
    this.metrics.gossipRounds.inc({ role: 'responder', result: 'ok' });
    if (digest.digestHash === dto.digest_hash) {
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
      bucket_hashes: digest.bucketHashes,
      digest: digestForBuckets(table, differingBuckets(dto.bucket_hashes, digest.bucketHashes)),
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
    const table = await this.table();
    return this.sign<GossipPushReply>({
      type: 'gossip_push_reply',
      gossip_id: dto.gossip_id,
      announcements: selectWanted(table, dto.want).map(
        (entry) => entry.announcement as unknown as GossipPushReply['announcements'][number],
      ),
    });
  }

  // ---- initiator ----------------------------------------------------------------------

  /** One complete exchange with `target`; throws with a reason when it fails. */
  async exchangeWith(target: GossipTarget): Promise<void> {
    const url = joinUrl(target.discoveryUrl, '/gossip');
    const sent = buildTableDigest(await this.table());
    const gossipId = newGossipId();
    const envelope = await this.sign<Record<string, unknown>>({
      type: 'gossip',
      gossip_id: gossipId,
      digest_hash: sent.digestHash,
      bucket_hashes: sent.bucketHashes,
      announcements: [await this.own.current()],
    });
    const reply = await this.post(url, envelope);
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
    if (replyDto.in_sync) return;

    const plan = planPush(
      await this.table(),
      sent.bucketHashes,
      replyDto.bucket_hashes ?? [],
      replyDto.digest ?? {},
    );
    if (plan.push.length === 0 && plan.want.length === 0) return;
    const push = await this.sign<Record<string, unknown>>({
      type: 'gossip_push',
      gossip_id: gossipId,
      announcements: plan.push.map((entry: PeerEntry) => entry.announcement),
      want: plan.want,
    });
    const pushReply = await this.post(url, push);
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

  /** Exchanges with a known server by id (its stored discovery endpoint). */
  async exchangeWithServer(serverId: string): Promise<void> {
    const peer = await this.peers.live(serverId, Date.now(), this.config.announcementTtlMs);
    const endpoints = peer?.announcement['endpoints'] as Record<string, unknown> | undefined;
    const discoveryUrl = endpoints?.['discovery'];
    if (typeof discoveryUrl !== 'string') throw new Error(`${serverId} is not a live peer`);
    await this.exchangeWith({ serverId, discoveryUrl });
  }

  /**
   * One scheduled round: drop expired entries, choose the neighbours (one swapped, the
   * unresponsive replaced), exchange with one of them at random.
   */
  async runRound(nowMs: number = Date.now()): Promise<void> {
    await this.expire(nowMs);
    await this.exchanges.prune();
    const table = await this.table(nowMs);
    const candidates = [...table.keys()].filter((id) => id !== this.config.serverId);
    const chosen = chooseNeighbours({
      current: this.neighbours.list(),
      candidates,
      unresponsive: this.neighbours.unresponsiveList(),
      target: this.config.neighborCount,
      rng: Math.random,
    });
    this.neighbours.replace(chosen);
    this.metrics.peersKnown.set(table.size);
    const partner = pickGossipPartner(chosen, Math.random);
    if (partner !== null) await this.tryExchange(partner);
  }

  /** Exchanges with every neighbour at once (after a re-signed own announcement). */
  async pushToNeighbours(): Promise<void> {
    await Promise.all((await this.activeNeighbours.active()).map((id) => this.tryExchange(id)));
  }

  private async tryExchange(serverId: string): Promise<boolean> {
    try {
      await this.exchangeWithServer(serverId);
      this.metrics.gossipRounds.inc({ role: 'initiator', result: 'ok' });
      return true;
    } catch (err) {
      this.neighbours.markUnresponsive(serverId);
      this.metrics.gossipRounds.inc({ role: 'initiator', result: 'failed' });
      this.logger.event(
        'discovery.gossip_failed',
        { peer: serverId, error: (err as Error).message },
        'debug',
      );
      return false;
    }
  }

  private async expire(nowMs: number): Promise<void> {
    const all = await this.peers.all();
    const table = new Map(
      all.map((p) => [
        p.serverId,
        {
          serverId: p.serverId,
          timestamp: p.timestamp,
          timestampMs: p.timestampMs,
          announcement: {},
          receivedAtMs: p.receivedAt.getTime(),
        } satisfies PeerEntry,
      ]),
    );
    const dropped = expire(table, nowMs, this.config.announcementTtlMs, this.config.serverId);
    if (dropped.length > 0) {
      await this.peers.remove(dropped);
      for (const id of dropped) this.neighbours.remove(id);
      this.logger.event('discovery.peers_expired', { server_ids: dropped });
    }
  }

  private table(nowMs: number = Date.now()): Promise<Map<string, PeerEntry>> {
    return this.peers.shareableTable(nowMs, this.config.announcementTtlMs);
  }

  private async post(url: string, body: object): Promise<Record<string, unknown>> {
    const response = await this.http.post(url, body, { timeout: GOSSIP_TIMEOUT_MS });
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
