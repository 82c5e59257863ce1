import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError, fingerprint } from '@pager/protocol';
import { OwnAnnouncementService } from '../announcements/own-announcement.service';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { PeerStore } from '../peers/peer-store.service';
import { Pin, PinStore } from '../pins/pin-store.service';
import { requireServerId } from '../common/server-id-param';
import { QueryCacheStore } from './query-cache.store';
import { QueryService } from './query.service';
import { SenderLookupBudget } from './sender-lookup-budget.service';
import { TableBound } from '../announcements/table-bound.service';

export interface Route {
  domain: string;
  server_id: string;
  endpoints: unknown;
  public_key: string;
  fingerprint: string;
  source: 'self' | 'cache' | 'query';
  /**
   * The key the pin last moved away from, and when (docs/protocol.md §14: an adapter accepts
   * messages and acks still signed with it only if its operator opted into
   * KEY_ROTATION_GRACE_MS, off by default). Absent before any rotation, and for our own server.
   */
  previous_key?: { public_key: string; fingerprint: string; rotated_at: string };
}

/**
 * `route` with the pin's previous key when the pin holds the route's key and a rotation
 * moved it there; `route` unchanged otherwise (no pin, no rotation, or another key).
 */
export function withPreviousKey(route: Route, pin: Pin | null): Route {
  if (pin === null || !pin.previous || pin.fingerprint !== route.fingerprint) return route;
  return {
    ...route,
    previous_key: {
      public_key: pin.previous.publicKey,
      fingerprint: pin.previous.fingerprint,
      rotated_at: new Date(pin.previous.rotatedAtMs).toISOString(),
    },
  };
}

/** `POST /api/v1/route/{domain}`: own server, then the cache, then query flooding. */
@Injectable()
export class RoutingService {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(BlocklistService) private readonly blocklist: BlocklistService,
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(QueryCacheStore) private readonly cache: QueryCacheStore,
    @Inject(QueryService) private readonly queries: QueryService,
    @Inject(SenderLookupBudget) private readonly budget: SenderLookupBudget,
    @Inject(TableBound) private readonly bound: TableBound,
    @Inject(PinStore) private readonly pins: PinStore,
  ) {}

  /**
   * `clientAddress`: set when the look-up is for the sender of an inbound message from that
   * address; a flood then spends the sender-lookup budget (429 rate_limited when it is
   * exhausted). Without it (our users' own pages), no budget applies.
   */
  async route(rawDomain: string, clientAddress?: string): Promise<Route> {
    const onBehalfOfClient = clientAddress !== undefined;
    const domain = requireServerId(asciiLower(rawDomain), 'domain');
    if (await this.blocklist.isBlocked(domain)) {
      throw new ProtocolError('blocked', `${domain} is blocked`);
    }
    if (domain === this.config.serverId) {
      return toRoute(
        domain,
        (await this.own.current()) as unknown as Record<string, unknown>,
        'self',
      );
    }
    const cached = await this.peers.live(domain, Date.now(), this.config.announcementTtlMs);
    if (!onBehalfOfClient) this.bound.markContacted(domain);
    if (cached !== null) {
      if (onBehalfOfClient) this.budget.answeredWithoutFlood();
      return withPreviousKey(
        toRoute(domain, cached.announcement, 'cache'),
        await this.pins.get(domain),
      );
    }
    if (await this.cache.isNegative(domain)) {
      if (onBehalfOfClient) this.budget.answeredWithoutFlood();
      throw await this.notResolved(domain, ' (cached)');
    }
    if (onBehalfOfClient) this.budget.spend(clientAddress, domain);
    // Flood answers are confirmation paths too: a pending server may be pinned by them.
    const found = await this.queries.resolve(domain);
    if (found === null) {
      await this.cache.addNegative(domain);
      throw await this.notResolved(domain, '');
    }
    return withPreviousKey(toRoute(domain, found, 'query'), await this.pins.get(domain));
  }

  /**
   * `404 pin_pending` when the server is known but not pinned yet (careful first contact,
   * docs/protocol.md §14: nothing is sent to it), else `404 domain_not_found`.
   */
  private async notResolved(domain: string, note: string): Promise<ProtocolError> {
    if (await this.pins.isPending(domain)) {
      return new ProtocolError(
        'pin_pending',
        `${domain} is not pinned yet: its key has not reached us by PIN_CONFIRMATIONS paths, or paths disagree (fedctl pins)${note}`,
      );
    }
    return new ProtocolError('domain_not_found', `${domain} could not be resolved${note}`);
  }
}

export function toRoute(
  domain: string,
  announcement: Record<string, unknown>,
  source: Route['source'],
): Route {
  const publicKey = announcement['public_key'] as string;
  return {
    domain,
    server_id: announcement['server_id'] as string,
    endpoints: announcement['endpoints'],
    public_key: publicKey,
    fingerprint: fingerprint(publicKey),
    source,
  };
}

export function asciiLower(s: string): string {
  return typeof s === 'string' ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}
