import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  AdapterApiClient,
  Destination,
  DiscoveryApiClient,
  InternalApiError,
  InternalApiFailure,
} from '@pager/internal-api';
import { ProtocolError, isValidServerId } from '@pager/protocol';
import { ServerKey } from '@pager/server-kit';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { Part, Readiness, StatusPageModel, renderStatusPage } from './status-page';
import {
  SAMPLE_INTERVAL_MS,
  StatusSample,
  addSample,
  gossipPerInterval,
  outboxSeries,
  sumCounter,
} from './status-samples';

/** Bound of each call the page makes to build itself (ms). */
const CALL_TIMEOUT_MS = 3_000;
export const REFRESH_SECONDS = 10;
const MAX_REASON_CHARS = 500;

export type StatusAction =
  | { action: 'retry'; server_id: string }
  | { action: 'resume'; server_id: string }
  | { action: 'stop'; server_id: string; reason: string };

/**
 * Builds the status page (issue 11) from the internal APIs through @pager/internal-api:
 * the daemon's (readiness, peers, metrics) and this adapter's own (readiness, destinations),
 * so it shows exactly what an operator's `fedctl` sees. Keeps one sample a minute for the
 * charts, in memory (per replica, an hour).
 */
@Injectable()
export class StatusService implements OnModuleInit, OnModuleDestroy {
  readonly discovery: DiscoveryApiClient;
  readonly adapter: AdapterApiClient;
  private samples: StatusSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
    @Inject(ServerKey) private readonly key: ServerKey,
  ) {
    const common = { token: config.internalApiToken, timeoutMs: CALL_TIMEOUT_MS };
    this.discovery = new DiscoveryApiClient({ baseUrl: config.discoveryInternalUrl, ...common });
    this.adapter = new AdapterApiClient({ baseUrl: ownBaseUrl(config), ...common });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The page for one request, with its CSP nonce. */
  async page(): Promise<{ html: string; nonce: string }> {
    const nonce = randomBytes(18).toString('base64');
    return { html: renderStatusPage(await this.model(), nonce), nonce };
  }

  async model(): Promise<StatusPageModel> {
    const [adapterReady, discoveryReady, peers, destinations, metrics] = await Promise.all([
      part(this.adapter.ready()),
      part(this.discovery.ready()),
      part(this.discovery.allPeers()),
      part(this.adapter.destinations().then((d) => d.destinations)),
      part(this.discovery.metrics()),
    ]);
    this.record(Date.now(), destinations, metrics);
    return {
      serverId: this.config.serverId,
      fingerprint: this.key.fingerprint,
      previousFingerprint: this.key.previous?.fingerprint ?? null,
      generatedAt: new Date().toISOString(),
      adapter: readiness(adapterReady),
      discovery: readiness(discoveryReady),
      peers,
      destinations,
      gossipPerMinute: gossipPerInterval(this.samples),
      outboxDepth: outboxSeries(this.samples),
      refreshSeconds: REFRESH_SECONDS,
    };
  }

  /** One reading for the charts (the scheduler calls this each minute). */
  async sample(): Promise<void> {
    const [destinations, metrics] = await Promise.all([
      part(this.adapter.destinations().then((d) => d.destinations)),
      part(this.discovery.metrics()),
    ]);
    this.record(Date.now(), destinations, metrics);
  }

  private record(nowMs: number, destinations: Part<Destination[]>, metrics: Part<string>): void {
    const last = this.samples[this.samples.length - 1];
    // page views between two minutes do not add points
    if (last && nowMs - last.atMs < SAMPLE_INTERVAL_MS / 2) return;
    this.samples = addSample(this.samples, {
      atMs: nowMs,
      gossipRounds: metrics.ok
        ? sumCounter(metrics.value, 'discovery_gossip_exchanges_total', { role: 'initiator' })
        : null,
      outboxDepth: destinations.ok
        ? destinations.value.reduce((n, d) => n + d.pages_waiting + d.pages_in_flight, 0)
        : null,
    });
  }

  /**
   * A button of the page: retry, stop (with a reason) or resume a destination through the
   * Destinations API. Throws ProtocolError(validation_failed) for a malformed body and
   * InternalApiFailure as the API answered.
   */
  async act(body: unknown): Promise<unknown> {
    const action = parseAction(body);
    switch (action.action) {
      case 'retry':
        await this.adapter.retry(action.server_id);
        return { server_id: action.server_id, retry: 'requested' };
      case 'stop':
        return this.adapter.stop(action.server_id, action.reason);
      case 'resume':
        return this.adapter.resume(action.server_id);
    }
  }
}

/** Validates the body the page's script posts to `status/actions`. */
export function parseAction(body: unknown): StatusAction {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ProtocolError('validation_failed', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.server_id !== 'string' || !isValidServerId(b.server_id))
    throw new ProtocolError('validation_failed', 'server_id: must be a lowercase DNS name');
  if (b.action === 'retry' || b.action === 'resume')
    return { action: b.action, server_id: b.server_id };
  if (b.action === 'stop') {
    if (
      typeof b.reason !== 'string' ||
      b.reason.trim() === '' ||
      b.reason.length > MAX_REASON_CHARS
    )
      throw new ProtocolError(
        'validation_failed',
        `reason: 1 to ${MAX_REASON_CHARS} characters are required to stop delivery`,
      );
    return { action: 'stop', server_id: b.server_id, reason: b.reason.trim() };
  }
  throw new ProtocolError('validation_failed', 'action: must be retry, stop or resume');
}

/** Where this adapter reaches its own internal API: its bind address, loopback for "any". */
export function ownBaseUrl(config: Pick<AdapterConfig, 'bindAddress' | 'adapterPort'>): string {
  let host = config.bindAddress;
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `http://${isIPv6(host) ? `[${host}]` : host}:${config.adapterPort}`;
}

async function part<T>(promise: Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return {
      ok: false,
      error: err instanceof InternalApiFailure ? err.message : String(err),
      status: err instanceof InternalApiError ? err.status : undefined,
    };
  }
}

function readiness(p: Part<unknown>): { state: Readiness; detail: string } {
  if (p.ok) return { state: 'ready', detail: '' };
  // an answer other than 200 is a service that is up but not ready; no answer is unreachable
  return { state: p.status === undefined ? 'unreachable' : 'not_ready', detail: p.error };
}
