import { Inject, Injectable } from '@nestjs/common';
import {
  Announcement,
  assertSupportedVersion,
  PROTOCOL_VERSION,
  MAX_QUERY_HOPS,
  ProtocolError,
  Query,
  QueryDto,
  QueryReply,
  QueryReplyDto,
  formatProtocolTimestamp,
  isValidServerId,
  newQueryId,
  validateWire,
} from '@pager/protocol';
import { JsonLogger, ServerKey } from '@pager/server-kit';
import { AnnouncementIntake } from '../announcements/announcement-intake.service';
import { OwnAnnouncementService } from '../announcements/own-announcement.service';
import { SenderAuthenticator } from '../announcements/sender-authenticator';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { decideQuery, forwardTargets, forwardedMaxHops } from '../core';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import { NeighbourService } from '../peers/neighbour.service';
import { PeerStore } from '../peers/peer-store.service';
import { PEER_HTTP, PeerHttp, joinUrl } from '../common/peer-http';
import { requireValid } from '../common/server-id-param';
import { QueryCacheStore } from './query-cache.store';

/** Time a relay gives each hop still to come; the requester waits at most REQUESTER_TIMEOUT_MS. */
const PER_HOP_TIMEOUT_MS = 2_500;
const REQUESTER_TIMEOUT_MS = 15_000;

/**
 * Domain resolution by query flooding (docs/protocol.md §8): answering and relaying
 * queries, and flooding our own.
 */
@Injectable()
export class QueryService {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(ServerKey) private readonly key: ServerKey,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(NeighbourService) private readonly neighbours: NeighbourService,
    @Inject(BlocklistService) private readonly blocklist: BlocklistService,
    @Inject(AnnouncementIntake) private readonly intake: AnnouncementIntake,
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(SenderAuthenticator) private readonly auth: SenderAuthenticator,
    @Inject(QueryCacheStore) private readonly cache: QueryCacheStore,
    @Inject(PEER_HTTP) private readonly http: PeerHttp,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  /** `POST {discovery}/query` from another daemon. */
  async receive(raw: unknown): Promise<QueryReply> {
    assertSupportedVersion(raw); // first, before the schema (order of checks)
    const query = requireValid(validateWire(QueryDto, raw));
    // The requester is re-signed into every forwarded copy: a lowercase DNS name or nothing.
    if (!isValidServerId(query.requester)) {
      throw new ProtocolError('validation_failed', 'requester: must be a lowercase DNS name');
    }
    // A domain is a server id (PROTOCOL §1): its syntax is part of the schema, checked before
    // the sender is looked up (order of checks, §5).
    if (!isValidServerId(query.domain)) {
      throw new ProtocolError('validation_failed', 'domain: must be a lowercase DNS name');
    }
    await this.auth.authenticate(
      {
        raw: raw as Record<string, unknown>,
        version: query.version,
        from: query.from,
        timestamp: query.timestamp,
      },
      { traffic: 'query' },
    );
    const notFound: QueryReply = { query_id: query.query_id, found: false };
    const domain = query.domain;
    if (await this.blocklist.isBlocked(domain)) {
      this.metrics.queries.inc({ role: 'relay', result: 'not_found' });
      return notFound;
    }
    const known = await this.known(domain);
    const decision = decideQuery({
      domain,
      maxHops: query.max_hops,
      queryId: query.query_id,
      self: this.config.serverId,
      knowsDomain: known !== null,
      seenRecently: known === null && (await this.cache.markSeen(query.query_id)),
      negativeCached: known === null && (await this.cache.isNegative(domain)),
    });
    this.metrics.queries.inc({ role: 'relay', result: decision });
    if (decision === 'answer' && known !== null) {
      return {
        query_id: query.query_id,
        found: true,
        announcement: known as unknown as Announcement,
      };
    }
    if (decision !== 'forward') return notFound;
    const targets = forwardTargets(
      await this.neighbours.active(),
      query.from,
      query.requester,
      this.config.serverId,
    );
    const hops = forwardedMaxHops(query.max_hops);
    const found = await this.flood(
      { query_id: query.query_id, domain, requester: query.requester, max_hops: hops },
      targets,
      PER_HOP_TIMEOUT_MS * hops,
    );
    if (found === null) {
      await this.cache.addNegative(domain);
      return notFound;
    }
    return {
      query_id: query.query_id,
      found: true,
      announcement: found as unknown as Announcement,
    };
  }

  /** Floods our own query for `domain` to every active neighbour; the verified announcement or null. */
  async resolve(domain: string): Promise<Record<string, unknown> | null> {
    const queryId = newQueryId();
    await this.cache.markSeen(queryId);
    const targets = await this.neighbours.active();
    const found = await this.flood(
      { query_id: queryId, domain, requester: this.config.serverId, max_hops: MAX_QUERY_HOPS },
      targets,
      REQUESTER_TIMEOUT_MS,
    );
    this.metrics.queries.inc({ role: 'requester', result: found === null ? 'not_found' : 'found' });
    return found;
  }

  /** The announcement we can answer with: our own, or a live unblocked stored one. */
  private async known(domain: string): Promise<Record<string, unknown> | null> {
    if (domain === this.config.serverId) {
      return (await this.own.current()) as unknown as Record<string, unknown>;
    }
    const peer = await this.peers.live(domain, Date.now(), this.config.announcementTtlMs);
    return peer?.announcement ?? null;
  }

  private async flood(
    members: Pick<Query, 'query_id' | 'domain' | 'requester' | 'max_hops'>,
    targets: string[],
    timeoutMs: number,
  ): Promise<Record<string, unknown> | null> {
    if (targets.length === 0 || members.max_hops < 1) return null;
    const query = await this.key.sign({
      version: PROTOCOL_VERSION,
      type: 'query',
      ...members,
      from: this.config.serverId,
      timestamp: formatProtocolTimestamp(Date.now()),
    });
    return firstNonNull(
      targets.map((target) => this.ask(target, query, members.domain, timeoutMs)),
      timeoutMs,
    );
  }

  /** Sends the query to one neighbour; its answer once verified and stored, else null. */
  private async ask(
    target: string,
    query: Record<string, unknown>,
    domain: string,
    timeoutMs: number,
  ): Promise<Record<string, unknown> | null> {
    try {
      const peer = await this.peers.live(target, Date.now(), this.config.announcementTtlMs);
      const endpoints = peer?.announcement['endpoints'] as Record<string, unknown> | undefined;
      if (typeof endpoints?.['discovery'] !== 'string') return null;
      const response = await this.http.post(joinUrl(endpoints['discovery'], '/query'), query, {
        timeout: timeoutMs,
      });
      if (response.status !== 200) return null;
      const reply = validateWire(QueryReplyDto, response.data);
      if (!reply.ok || reply.value.query_id !== query['query_id'] || !reply.value.found)
        return null;
      const announcement = (response.data as Record<string, unknown>)['announcement'];
      if ((announcement as Record<string, unknown>)['server_id'] !== domain) return null;
      const outcome = await this.intake.accept(announcement, target, { requested: true });
      if (outcome.outcome === 'rejected' || outcome.outcome === 'dropped') return null;
      await this.cache.forgetNegative(domain);
      const stored = await this.peers.live(domain, Date.now(), this.config.announcementTtlMs);
      return stored?.announcement ?? null;
    } catch (err) {
      this.logger.event(
        'discovery.query_failed',
        { peer: target, error: (err as Error).message },
        'debug',
      );
      return null;
    }
  }
}

/** The first promise to resolve to a value; null when all resolve to null or time runs out. */
export function firstNonNull<T>(
  promises: Promise<T | null>[],
  timeoutMs: number,
): Promise<T | null> {
  return new Promise((resolve) => {
    let pending = promises.length;
    if (pending === 0) return resolve(null);
    const timer = setTimeout(() => resolve(null), timeoutMs);
    for (const promise of promises) {
      promise.then(
        (value) => {
          pending--;
          if (value !== null) {
            clearTimeout(timer);
            resolve(value);
          } else if (pending === 0) {
            clearTimeout(timer);
            resolve(null);
          }
        },
        () => {
          pending--;
          if (pending === 0) {
            clearTimeout(timer);
            resolve(null);
          }
        },
      );
    }
  });
}
