import { Inject, Injectable } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { JsonLogger } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import {
  EMPTY_FLOOD_BUDGET,
  FloodBudgetPolicy,
  FloodBudgetScope,
  FloodBudgetState,
  decideFlood,
  recordFlood,
} from './flood-budget';

const LOG_EVERY_MS = 60_000;

/**
 * Holds the flood budget of this replica (in memory: with n replicas the budget is n times
 * the configured one) and spends it for route look-ups made on behalf of a remote client.
 * Refusals are counted in `discovery_sender_lookups_total{result="refused_<scope>"}` and
 * logged as `discovery.sender_lookup_budget_exhausted`, at most once a minute per scope.
 */
@Injectable()
export class SenderLookupBudget {
  private state: FloodBudgetState = EMPTY_FLOOD_BUDGET;
  private readonly policy: FloodBudgetPolicy;
  private readonly refusedSinceLog = new Map<FloodBudgetScope, number>();
  private readonly lastLogMs = new Map<FloodBudgetScope, number>();

  constructor(
    @Inject(DISCOVERY_CONFIG) config: DiscoveryConfig,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {
    this.policy = {
      perClientPerMinute: config.senderLookupFloodsPerClientPerMinute,
      perMinute: config.senderLookupFloodsPerMinute,
      perHour: config.senderLookupFloodsPerHour,
    };
  }

  /** A look-up answered without flooding (cache, negative cache, self). */
  answeredWithoutFlood(): void {
    this.metrics.senderLookups.inc({ result: 'no_flood' });
  }

  /**
   * Spends one flood for `client`, or throws 429 rate_limited (with Retry-After) when the
   * client's or the global budget is exhausted.
   */
  spend(client: string, domain: string, nowMs: number = Date.now()): void {
    const decision = decideFlood(this.state, client, nowMs, this.policy);
    if (decision.allowed) {
      this.state = recordFlood(this.state, client, nowMs);
      this.metrics.senderLookups.inc({ result: 'flooded' });
      return;
    }
    this.metrics.senderLookups.inc({ result: `refused_${decision.scope}` });
    this.refusedSinceLog.set(decision.scope, (this.refusedSinceLog.get(decision.scope) ?? 0) + 1);
    if (nowMs - (this.lastLogMs.get(decision.scope) ?? 0) >= LOG_EVERY_MS) {
      this.lastLogMs.set(decision.scope, nowMs);
      this.logger.event(
        'discovery.sender_lookup_budget_exhausted',
        {
          scope: decision.scope,
          client,
          domain,
          refused: this.refusedSinceLog.get(decision.scope),
          policy: this.policy,
        },
        'warn',
      );
      this.refusedSinceLog.set(decision.scope, 0);
    }
    throw new ProtocolError(
      'rate_limited',
      `too many unknown senders resolved (${decision.scope} budget); ${domain} was not looked up`,
      Math.ceil(decision.retryAfterMs / 1000),
    );
  }
}
