import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger } from '@pager/server-kit';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import { PinStore } from './pin-store.service';

/** The outcome of the chain check at start, as `GET /api/v1/pins/{id}/history` reports it. */
export interface ChainStatus {
  /** null until the check has run (or when it could not run). */
  intact: boolean | null;
  /** Entries verified (up to the break). */
  length: number;
  /** seq of the first entry that does not fit, when broken. */
  broken_at: number | null;
  checked_at: string | null;
}

/**
 * Verifies the whole pin history chain once at start (docs/protocol.md §14). A break is an
 * `error` log event `discovery.pin_history_chain_broken` and the gauge
 * `discovery_pin_history_chain_broken` = 1; readiness stays up (the pins themselves are
 * intact rows; the history is the evidence that needs an operator's look), and appends
 * go on from the stored head, so the break stays visible where it is.
 */
@Injectable()
export class PinHistoryCheck implements OnApplicationBootstrap {
  private current: ChainStatus = { intact: null, length: 0, broken_at: null, checked_at: null };

  constructor(
    @Inject(PinStore) private readonly pins: PinStore,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
  }

  status(): ChainStatus {
    return this.current;
  }

  /** Runs the check now; never throws (a database error leaves the status unknown). */
  async run(nowMs: number = Date.now()): Promise<ChainStatus> {
    try {
      const check = await this.pins.verifyChain();
      this.current = {
        intact: check.ok,
        length: check.length,
        broken_at: check.ok ? null : check.brokenAt,
        checked_at: new Date(nowMs).toISOString(),
      };
      this.metrics.pinHistoryChainBroken.set(check.ok ? 0 : 1);
      if (check.ok) {
        this.logger.event('discovery.pin_history_verified', { entries: check.length }, 'debug');
      } else {
        this.logger.event(
          'discovery.pin_history_chain_broken',
          { broken_at: check.brokenAt, reason: check.reason, verified_entries: check.length },
          'error',
        );
      }
    } catch (err) {
      this.logger.event(
        'discovery.pin_history_check_failed',
        { error: (err as Error).message },
        'error',
      );
    }
    return this.current;
  }
}
