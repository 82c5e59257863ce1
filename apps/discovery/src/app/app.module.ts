import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PlatformDependencies, PlatformModule } from '@pager/server-kit';
import { AnnouncementController } from './announcements/announcement.controller';
import { AnnouncementsModule } from './announcements/announcements.module';
import { BlocklistModule } from './blocklist/blocklist.module';
import { BootstrapModule } from './bootstrap/bootstrap.module';
import type { DiscoveryConfig } from './config/discovery-config';
import { DiscoveryCoreModule } from './discovery-core.module';
import { GossipController } from './gossip/gossip.controller';
import { GossipModule } from './gossip/gossip.module';
import { PeersModule } from './peers/peers.module';
import { PinsModule } from './pins/pins.module';
import { ReputationModule } from './reputation/reputation.module';
import { QueryController } from './routing/query.controller';
import { RoutingModule } from './routing/routing.module';
import type { HostResolver } from './common/host-resolver';
import { mountPublicControllers } from './common/public-path';

export { DISCOVERY_CONFIG } from './config/discovery-config';

@Module({})
export class AppModule {
  static forRoot(
    deps: PlatformDependencies & { config: DiscoveryConfig },
    options: { hostResolver?: HostResolver } = {},
  ): DynamicModule {
    mountPublicControllers(deps.config.discoveryPublicUrl, [
      AnnouncementController,
      GossipController,
      QueryController,
    ]);
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(deps),
        ScheduleModule.forRoot(),
        DiscoveryCoreModule.forRoot({ config: deps.config, hostResolver: options.hostResolver }),
        BlocklistModule,
        PinsModule,
        ReputationModule,
        PeersModule,
        AnnouncementsModule,
        GossipModule,
        RoutingModule,
        BootstrapModule,
      ],
    };
  }
}
