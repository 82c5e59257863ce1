import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JsonLogger } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { GossipLeadership } from '../gossip/gossip-leadership';
import { nextGossipDelayMs } from '@pager/gossip-core';
import { BootstrapService } from './bootstrap.service';

const TIMEOUT_NAME = 'bootstrap-retry';

/**
 * Contacts the candidates right after start, then retries the unreached ones each round; on
 * the replica that holds the gossip lock only.
 */
@Injectable()
export class BootstrapScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(BootstrapService) private readonly bootstrap: BootstrapService,
    @Inject(GossipLeadership) private readonly leadership: GossipLeadership,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bootstrap.seedFromConfig();
    // Not awaited: the daemon serves while the bootstrap servers are being reached.
    this.arm(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('timeout', TIMEOUT_NAME)) this.registry.deleteTimeout(TIMEOUT_NAME);
    await this.running;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    if (this.registry.doesExist('timeout', TIMEOUT_NAME)) this.registry.deleteTimeout(TIMEOUT_NAME);
    this.registry.addTimeout(
      TIMEOUT_NAME,
      setTimeout(() => this.fire(), delayMs),
    );
  }

  private fire(): void {
    if (this.stopped) return;
    // Contacting a candidate ends in a gossip exchange: only the replica that gossips does it.
    // Each gossip round checks the lock, at least every interval + jitter: a check younger
    // than two of those stands (no query of its own; with interval-long ages the two
    // schedules' phases made it query every other time). A lost lock stops the gossip
    // rounds at their next check; the bootstrap follows within two rounds.
    this.running = this.leadership
      .holds(2 * (this.config.gossipIntervalMs + this.config.gossipJitterMs))
      .then((leader) => (leader ? this.bootstrap.contactPending() : undefined))
      .catch((err: Error) =>
        this.logger.event('discovery.bootstrap_round_failed', { error: err.message }, 'error'),
      )
      .finally(() => {
        this.running = null;
        this.arm(
          nextGossipDelayMs(this.config.gossipIntervalMs, this.config.gossipJitterMs, Math.random),
        );
      });
  }
}
