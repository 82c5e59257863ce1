import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JsonLogger } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { nextGossipDelayMs } from '@pager/gossip-core';
import { GossipService } from './gossip.service';

const TIMEOUT_NAME = 'gossip-round';

/**
 * Decides when the next gossip round starts: `interval + U(0, jitter)` after the previous
 * one ended, re-armed each round so that a slow round never overlaps the next.
 */
@Injectable()
export class GossipScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(GossipService) private readonly gossip: GossipService,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.arm();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.running;
    await this.gossip.drain();
  }

  private arm(): void {
    if (this.stopped) return;
    this.clear();
    const delay = nextGossipDelayMs(
      this.config.gossipIntervalMs,
      this.config.gossipJitterMs,
      Math.random,
    );
    const timer = setTimeout(() => this.fire(), delay);
    this.registry.addTimeout(TIMEOUT_NAME, timer);
  }

  private fire(): void {
    if (this.stopped) return;
    this.running = this.gossip
      .runRound()
      .catch((err: Error) =>
        this.logger.event('discovery.gossip_round_failed', { error: err.message }, 'error'),
      )
      .finally(() => {
        this.running = null;
        this.arm();
      });
  }

  private clear(): void {
    if (this.registry.doesExist('timeout', TIMEOUT_NAME)) this.registry.deleteTimeout(TIMEOUT_NAME);
  }
}
