import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JsonLogger } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { OwnAnnouncementService } from './own-announcement.service';

const INTERVAL_NAME = 'own-announcement-refresh';

/** Re-signs the own announcement every ANNOUNCEMENT_REFRESH_MS; the work is in the service. */
@Injectable()
export class OwnAnnouncementScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.own.refresh();
    const interval = setInterval(() => {
      this.own
        .refresh()
        .catch((err: Error) =>
          this.logger.event(
            'discovery.announcement_refresh_failed',
            { error: err.message },
            'error',
          ),
        );
    }, this.config.announcementRefreshMs);
    interval.unref();
    this.registry.addInterval(INTERVAL_NAME, interval);
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', INTERVAL_NAME)) {
      this.registry.deleteInterval(INTERVAL_NAME);
    }
  }
}
