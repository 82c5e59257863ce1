import { Module } from '@nestjs/common';
import { AnnouncementsModule } from '../announcements/announcements.module';
import { PeersModule } from '../peers/peers.module';
import { PinsModule } from '../pins/pins.module';
import { AnnounceController } from './announce.controller';
import { AnnounceService } from './announce.service';
import { GossipExchangeStore } from './gossip-exchange.store';
import { GossipLeadership } from './gossip-leadership';
import { GossipController } from './gossip.controller';
import { GossipScheduler } from './gossip.scheduler';
import { GossipService } from './gossip.service';

@Module({
  imports: [AnnouncementsModule, PeersModule, PinsModule],
  controllers: [GossipController, AnnounceController],
  providers: [
    GossipExchangeStore,
    GossipService,
    GossipLeadership,
    GossipScheduler,
    AnnounceService,
  ],
  exports: [GossipService, GossipLeadership],
})
export class GossipModule {}
