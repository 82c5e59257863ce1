import { Module } from '@nestjs/common';
import { AnnouncementsModule } from '../announcements/announcements.module';
import { GossipModule } from '../gossip/gossip.module';
import { PeersModule } from '../peers/peers.module';
import { BootstrapScheduler } from './bootstrap.scheduler';
import { BootstrapService } from './bootstrap.service';

@Module({
  imports: [AnnouncementsModule, GossipModule, PeersModule],
  providers: [BootstrapService, BootstrapScheduler],
})
export class BootstrapModule {}
