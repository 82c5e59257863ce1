import { Module } from '@nestjs/common';
import { AnnouncementsModule } from '../announcements/announcements.module';
import { PeersModule } from '../peers/peers.module';
import { AnnounceController } from './announce.controller';
import { AnnounceService } from './announce.service';
import { GossipExchangeStore } from './gossip-exchange.store';
import { GossipController } from './gossip.controller';
import { GossipScheduler } from './gossip.scheduler';
import { GossipService } from './gossip.service';

@Module({
  imports: [AnnouncementsModule, PeersModule],
  controllers: [GossipController, AnnounceController],
  providers: [GossipExchangeStore, GossipService, GossipScheduler, AnnounceService],
  exports: [GossipService],
})
export class GossipModule {}
