import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { JsonLogger } from '@pager/server-kit';
import { AnnouncementIntake } from '../announcements/announcement-intake.service';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { PeerStore } from '../peers/peer-store.service';
import { PEER_HTTP, PeerHttp, describeFailure, joinUrl } from '../common/peer-http';
import { requireServerId } from '../common/server-id-param';
import { PinStore } from '../pins/pin-store.service';
import { Route, asciiLower, toRoute, withPreviousKey } from './routing.service';

/** docs/protocol.md §2 (a rotation that has not reached us yet): one fetch per sender a minute. */
export const KEY_REFRESH_INTERVAL_MS = 60_000;
const ANNOUNCEMENT_TIMEOUT_MS = 5_000;
/** Senders remembered for the interval; beyond this many, the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

/**
 * Whether a sender's announcement may be fetched again at `nowMs`, given the time of the
 * last fetch (ms since the epoch) or undefined for none.
 */
export function keyRefreshDue(lastFetchMs: number | undefined, nowMs: number): boolean {
  return lastFetchMs === undefined || nowMs - lastFetchMs >= KEY_REFRESH_INTERVAL_MS;
}

/**
 * Before the adapter answers `key_mismatch` to a message, it asks here: the daemon fetches the
 * sender's current announcement (`GET {endpoints.discovery}/announcement`, at most once per
 * sender per minute and replica) and takes it through the usual intake, where a valid
 * `rotation_signature` by the pinned key moves the pin (and one without is a key conflict).
 * Answers the route as it stands afterwards.
 */
@Injectable()
export class SenderKeyRefresh {
  private readonly lastFetch = new Map<string, number>();

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(BlocklistService) private readonly blocklist: BlocklistService,
    @Inject(AnnouncementIntake) private readonly intake: AnnouncementIntake,
    @Inject(PEER_HTTP) private readonly http: PeerHttp,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(PinStore) private readonly pins: PinStore,
  ) {}

  /**
   * @throws ProtocolError `validation_failed` for a malformed domain, `blocked`, or
   *   `domain_not_found` when no live announcement of it is known (nothing to refresh).
   */
  async refresh(rawDomain: string, nowMs = Date.now()): Promise<Route> {
    const domain = requireServerId(asciiLower(rawDomain), 'domain');
    if (await this.blocklist.isBlocked(domain)) {
      throw new ProtocolError('blocked', `${domain} is blocked`);
    }
    const known = await this.peers.live(domain, nowMs, this.config.announcementTtlMs);
    if (known === null) {
      throw new ProtocolError('domain_not_found', `no announcement of ${domain} to refresh`);
    }
    if (keyRefreshDue(this.lastFetch.get(domain), nowMs)) {
      this.remember(domain, nowMs);
      await this.fetchAndAccept(domain, known.announcement);
    }
    const current = await this.peers.live(domain, Date.now(), this.config.announcementTtlMs);
    return withPreviousKey(
      toRoute(domain, (current ?? known).announcement, 'cache'),
      await this.pins.get(domain),
    );
  }

  private async fetchAndAccept(domain: string, known: Record<string, unknown>): Promise<void> {
    const endpoints = known['endpoints'] as Record<string, unknown> | undefined;
    const discoveryUrl = endpoints?.['discovery'];
    if (typeof discoveryUrl !== 'string') return;
    try {
      const response = await this.http.get(joinUrl(discoveryUrl, '/announcement'), {
        timeout: ANNOUNCEMENT_TIMEOUT_MS,
      });
      if (response.status !== 200) throw new Error(describeFailure(response.status, response.data));
      const fetched: unknown = response.data;
      const serverId =
        typeof fetched === 'object' && fetched !== null
          ? (fetched as Record<string, unknown>)['server_id']
          : undefined;
      if (serverId !== domain) throw new Error(`the announcement is for ${String(serverId)}`);
      const outcome = await this.intake.accept(fetched, null);
      this.logger.event('discovery.sender_key_refreshed', {
        server_id: domain,
        outcome: outcome.outcome,
        ...('reason' in outcome ? { reason: outcome.reason } : {}),
      });
    } catch (err) {
      this.logger.event(
        'discovery.sender_key_refresh_failed',
        { server_id: domain, error: (err as Error).message },
        'warn',
      );
    }
  }

  private remember(domain: string, nowMs: number): void {
    this.lastFetch.delete(domain);
    this.lastFetch.set(domain, nowMs);
    if (this.lastFetch.size > MAX_REMEMBERED) {
      const oldest = this.lastFetch.keys().next().value;
      if (oldest !== undefined) this.lastFetch.delete(oldest);
    }
  }
}
