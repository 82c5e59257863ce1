import { Module } from '@nestjs/common';
import { AnnouncementsModule } from '../announcements/announcements.module';
import { BlocklistModule } from '../blocklist/blocklist.module';
import { PeersModule } from '../peers/peers.module';
import { PinsModule } from '../pins/pins.module';
import { QueryCacheStore } from './query-cache.store';
import { QueryController } from './query.controller';
import { QueryService } from './query.service';
import { SenderKeyRefresh } from './sender-key-refresh.service';
import { RouteController } from './route.controller';
import { RoutingService } from './routing.service';
import { SenderLookupBudget } from './sender-lookup-budget.service';

@Module({
  imports: [AnnouncementsModule, PeersModule, BlocklistModule, PinsModule],
  controllers: [QueryController, RouteController],
  providers: [QueryCacheStore, QueryService, RoutingService, SenderLookupBudget, SenderKeyRefresh],
})
export class RoutingModule {}
