import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError, isValidServerId } from '@pager/protocol';
import { JsonLogger } from '@pager/server-kit';
import { codePointLength, invalid, requireBody } from '../common/input-rules';
import { MessageStore } from '../messages/message.store';
import { DeliveryScheduler } from './delivery.scheduler';
import { DestinationStateName } from './destination-rules';
import { DestinationStore, DestinationView, StateChange } from './destination.store';

const STATES: DestinationStateName[] = ['healthy', 'backing_off', 'unreachable', 'stopped'];
const SORTS = ['server_id', 'state', 'since', 'pages_waiting', 'next_attempt_at'] as const;
const MAX_REASON_CODE_POINTS = 500;

/** A `server_id` path parameter: a lowercase DNS name (PROTOCOL.md), else 400. */
export function requireDestinationId(raw: string): string {
  if (typeof raw !== 'string' || raw.length > 253 || !isValidServerId(raw))
    throw invalid('server_id: must be a server id (a lowercase DNS name)');
  return raw;
}

/**
 * The operator API of destinations (SERVICES.md, Destinations): list and look up the
 * delivery state of each remote server, probe now, stop and resume delivery.
 */
@Injectable()
export class DestinationsService {
  constructor(
    @Inject(DestinationStore) private readonly store: DestinationStore,
    @Inject(MessageStore) private readonly outbox: MessageStore,
    @Inject(DeliveryScheduler) private readonly scheduler: DeliveryScheduler,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  /** `?state=` one of the four states; `?sort=` server_id (default), state, since, pages_waiting (most first), next_attempt_at. */
  async list(query: Record<string, unknown>): Promise<{ destinations: DestinationView[] }> {
    const state = query.state;
    if (state !== undefined && !STATES.includes(state as DestinationStateName))
      throw invalid(`state: must be one of ${STATES.join(', ')}`);
    const sort = query.sort ?? 'server_id';
    if (!SORTS.includes(sort as (typeof SORTS)[number]))
      throw invalid(`sort: must be one of ${SORTS.join(', ')}`);
    const counts = await this.outbox.pageCounts(Date.now());
    const destinations = await this.store.list(counts, state as DestinationStateName | undefined);
    const key = sort as (typeof SORTS)[number];
    destinations.sort((a, b) => {
      if (key === 'pages_waiting') return b.pages_waiting - a.pages_waiting;
      const x = String(a[key] ?? '\uffff');
      const y = String(b[key] ?? '\uffff');
      return x < y ? -1 : x > y ? 1 : a.server_id < b.server_id ? -1 : 1;
    });
    return { destinations };
  }

  async one(rawId: string): Promise<DestinationView> {
    const serverId = requireDestinationId(rawId);
    const counts = await this.outbox.pageCounts(Date.now(), serverId);
    const view = await this.store.one(serverId, counts.get(serverId));
    if (!view) throw new ProtocolError('not_found', `no destination ${serverId}`);
    return view;
  }

  /** Probe now (unreachable) and make waiting retries due now (backoff reset). */
  async retry(rawId: string): Promise<{ server_id: string; state: DestinationStateName }> {
    const serverId = requireDestinationId(rawId);
    const now = Date.now();
    const current = await this.store.get(serverId);
    // A destination whose first pages are still pending has no row yet, but exists.
    if (!current && !(await this.outbox.pageCounts(now, serverId)).has(serverId))
      throw new ProtocolError('not_found', `no destination ${serverId}`);
    if (current?.state === 'stopped')
      throw new ProtocolError(
        'conflict',
        `delivery to ${serverId} is stopped; set it active first`,
      );
    const change = await this.store.retryNow(serverId, now);
    if (change.after.state !== 'unreachable') await this.outbox.makeDueNow(serverId, now);
    this.logger.event('federation.destination_retry', {
      destination: serverId,
      state: change.after.state,
    });
    this.scheduler.nudge();
    return { server_id: serverId, state: change.after.state };
  }

  /** `{ "state": "stopped", "reason" }` or `{ "state": "active" }`. */
  async setDelivery(rawId: string, body: unknown): Promise<DestinationView> {
    const serverId = requireDestinationId(rawId);
    const b = requireBody(body);
    let change: StateChange;
    if (b.state === 'stopped') {
      const reason = b.reason;
      if (
        typeof reason !== 'string' ||
        reason.trim() === '' ||
        reason.length > 2 * MAX_REASON_CODE_POINTS ||
        codePointLength(reason) > MAX_REASON_CODE_POINTS
      )
        throw invalid(`reason: must be 1 to ${MAX_REASON_CODE_POINTS} characters`);
      change = await this.store.setDelivery(serverId, { state: 'stopped', reason }, Date.now());
    } else if (b.state === 'active') {
      change = await this.store.setDelivery(serverId, { state: 'active' }, Date.now());
    } else {
      throw invalid('state: must be "stopped" (with a reason) or "active"');
    }
    if (change.before.state !== change.after.state)
      this.logger.event(
        'federation.destination_state',
        {
          destination: serverId,
          from: change.before.state,
          to: change.after.state,
          reason: change.after.reason ?? undefined,
          by: 'operator',
        },
        'warn',
      );
    this.scheduler.nudge();
    return this.one(serverId);
  }
}
