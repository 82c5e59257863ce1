import { Inject, Injectable } from '@nestjs/common';
import type { ReputationAnswer } from '@pager/internal-api';
import { isValidServerId } from '@pager/protocol';
import { JsonLogger, TRACEPARENT_HEADER, createHttpClient } from '@pager/server-kit';
import type { AxiosInstance } from 'axios';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { Route, RouteLookup, parseRouteBody } from './route';

/** A route look-up for an inbound sender: `busy` when the daemon's flood budget is spent. */
export type SenderLookup = RouteLookup | { kind: 'busy'; retryAfterSeconds: number };
import { TtlCache } from './ttl-cache';

/** docs/api.md: answers from the daemon are cached for at most 10 s. */
export const DAEMON_CACHE_MS = 10_000;
const DAEMON_TIMEOUT_MS = 5_000;

export class DaemonUnavailableError extends Error {}

/** The adapter's view of its own discovery daemon (internal API over HTTP). */
@Injectable()
export class DiscoveryClientService {
  private readonly http: AxiosInstance;
  private readonly base: string;
  private readonly routes = new TtlCache<RouteLookup>(DAEMON_CACHE_MS);
  private readonly blockState = new TtlCache<boolean>(DAEMON_CACHE_MS);

  constructor(
    @Inject(ADAPTER_CONFIG) config: AdapterConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {
    this.base = config.discoveryInternalUrl.replace(/\/+$/, '');
    this.http = createHttpClient({
      timeoutMs: DAEMON_TIMEOUT_MS,
      maxBodyBytes: 1024 * 1024,
      headers: config.internalApiToken
        ? { authorization: `Bearer ${config.internalApiToken}` }
        : {},
    });
  }

  /**
   * Endpoints and pinned key of `domain`; `unavailable` when the daemon cannot be asked.
   * `traceparent`: the page's span, sent to the daemon so that its lines about this
   * look-up carry the page's trace id (a cached answer asks nothing).
   */
  async resolveRoute(domain: string, traceparent?: string): Promise<RouteLookup> {
    const lookup = await this.lookUp(domain, {}, traceparent);
    return lookup.kind === 'busy' ? { kind: 'unavailable', error: 'daemon_busy' } : lookup;
  }

  /**
   * As resolveRoute, for the sender of an inbound message from `clientAddress`: the daemon
   * spends its sender-lookup flood budget for it, and answers `busy` (with the seconds to
   * wait) when that is exhausted (issue 9, amplification).
   */
  resolveSender(
    domain: string,
    clientAddress: string | undefined,
    traceparent?: string,
  ): Promise<SenderLookup> {
    return this.lookUp(domain, clientAddress ? { client_address: clientAddress } : {}, traceparent);
  }

  /**
   * Before answering `key_mismatch` (and before refusing an ack whose signature does not fit
   * the pinned key): asks the daemon to fetch the server's current
   * announcement (docs/protocol.md §2, a rotation that has not reached us yet; the daemon
   * fetches each sender at most once a minute). Returns the route as it then stands, or null
   * when the daemon cannot say; a route that changed replaces the cached one.
   */
  async refreshSender(domain: string): Promise<Route | null> {
    if (!isValidServerId(domain)) return null;
    try {
      const res = await this.http.post(
        `${this.base}/api/v1/route/${encodeURIComponent(domain)}/refresh`,
        {},
      );
      const route = res.status === 200 ? parseRouteBody(res.data, domain) : null;
      if (route) this.routes.set(domain, { kind: 'found', route });
      return route;
    } catch (err) {
      this.logger.event(
        'federation.key_refresh_failed',
        { server_id: domain, error: (err as Error).message },
        'warn',
      );
      return null;
    }
  }

  /**
   * Asks the daemon to re-sign our announcement and push it to its neighbours now
   * (`POST /api/v1/announce`): after a peer answered key_mismatch during our key rotation
   * (docs/protocol.md §2). Answers whether the daemon did it; never throws.
   */
  async pushOwnAnnouncement(): Promise<boolean> {
    try {
      const res = await this.http.post(`${this.base}/api/v1/announce`, {});
      return res.status === 200;
    } catch (err) {
      this.logger.event('federation.announce_failed', { error: (err as Error).message }, 'warn');
      return false;
    }
  }

  private async lookUp(
    domain: string,
    body: Record<string, string>,
    traceparent?: string,
  ): Promise<SenderLookup> {
    if (!isValidServerId(domain)) return { kind: 'not_found' };
    const cached = this.routes.get(domain);
    if (cached) return cached;
    let lookup: RouteLookup;
    try {
      const res = await this.http.post(
        `${this.base}/api/v1/route/${encodeURIComponent(domain)}`,
        body,
        traceparent ? { headers: { [TRACEPARENT_HEADER]: traceparent } } : undefined,
      );
      if (res.status === 429) {
        const retryAfter = Number(res.headers['retry-after']);
        return { kind: 'busy', retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : 60 };
      }
      if (res.status === 200) {
        const route = parseRouteBody(res.data, domain);
        lookup = route
          ? { kind: 'found', route }
          : { kind: 'unavailable', error: 'daemon_bad_route' };
      } else if (res.status === 404) {
        const code = (res.data as { error?: unknown } | null)?.error;
        lookup =
          code === 'pin_pending' ? { kind: 'not_found', error: code } : { kind: 'not_found' };
      } else if (res.status === 403) {
        lookup = { kind: 'blocked' };
      } else {
        lookup = { kind: 'unavailable', error: `daemon_http_${res.status}` };
      }
    } catch (err) {
      lookup = { kind: 'unavailable', error: `daemon_unreachable: ${(err as Error).message}` };
    }
    if (lookup.kind !== 'unavailable') this.routes.set(domain, lookup);
    return lookup;
  }

  /** Whether the daemon blocks `serverId`; throws DaemonUnavailableError when it cannot say. */
  async isBlocked(serverId: string): Promise<boolean> {
    const cached = this.blockState.get(serverId);
    if (cached !== undefined) return cached;
    let blocked: boolean;
    try {
      const res = await this.http.get(
        `${this.base}/api/v1/reputation/${encodeURIComponent(serverId)}`,
      );
      if (res.status === 200 && typeof res.data === 'object' && res.data !== null) {
        blocked = (res.data as Partial<ReputationAnswer>).blocked === true;
      } else if (res.status === 404) {
        blocked = false;
      } else {
        throw new DaemonUnavailableError(`daemon answered ${res.status}`);
      }
    } catch (err) {
      if (err instanceof DaemonUnavailableError) throw err;
      throw new DaemonUnavailableError(`daemon unreachable: ${(err as Error).message}`);
    }
    this.blockState.set(serverId, blocked);
    return blocked;
  }

  /** Best effort: a lost report only costs the sender a reputation point it deserved. */
  reportRateLimitViolation(serverId: string, details: string): void {
    this.http
      .post(`${this.base}/api/v1/reputation/report`, {
        server_id: serverId,
        reason: 'rate_limit_violation',
        details,
      })
      .then(
        (res) => {
          if (res.status >= 300)
            this.logger.event(
              'discovery.report_refused',
              { server_id: serverId, status: res.status },
              'warn',
            );
        },
        (err: Error) =>
          this.logger.event(
            'discovery.report_failed',
            { server_id: serverId, error: err.message },
            'warn',
          ),
      );
  }
}
