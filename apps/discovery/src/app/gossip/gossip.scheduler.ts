import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { nextGossipDelayMs } from '@pager/gossip-core';
import { JsonLogger } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { GossipLeadership, leadershipPollMs } from './gossip-leadership';
import { GossipService } from './gossip.service';

const TIMEOUT_NAME = 'gossip-round';

/**
 * Decides when the next gossip round starts: `interval + U(0, jitter)` after the previous
 * round *started its exchange* (the exchange runs on under its own deadline and never
 * delays the schedule). Only the replica holding the gossip lock runs rounds; the others
 * try for the lock every `leadershipPollMs` and start at once when they get it.
 */
@Injectable()
export class GossipScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(GossipService) private readonly gossip: GossipService,
    @Inject(GossipLeadership) private readonly leadership: GossipLeadership,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.arm(
      nextGossipDelayMs(this.config.gossipIntervalMs, this.config.gossipJitterMs, Math.random),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.running;
    await this.gossip.drain();
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.clear();
    const timer = setTimeout(() => this.fire(), delayMs);
    this.registry.addTimeout(TIMEOUT_NAME, timer);
  }

  private fire(): void {
    if (this.stopped) return;
    let nextDelayMs = leadershipPollMs(this.config.gossipIntervalMs);
    this.running = this.leadership
      .holds()
      .then(async (leader) => {
        if (!leader) return;
        nextDelayMs = nextGossipDelayMs(
          this.config.gossipIntervalMs,
          this.config.gossipJitterMs,
          Math.random,
        );
        await this.gossip.runRound();
      })
      .catch((err: Error) =>
        this.logger.event('discovery.gossip_round_failed', { error: err.message }, 'error'),
      )
      .finally(() => {
        this.running = null;
        this.arm(nextDelayMs);
      });
  }

  private clear(): void {
    if (this.registry.doesExist('timeout', TIMEOUT_NAME)) this.registry.deleteTimeout(TIMEOUT_NAME);
  }
}
