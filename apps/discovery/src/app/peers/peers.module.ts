import { Inject, Module } from '@nestjs/common';
import { BlocklistModule } from '../blocklist/blocklist.module';
import { BlocklistService } from '../blocklist/blocklist.service';
import { PinsModule } from '../pins/pins.module';
import { ReputationModule } from '../reputation/reputation.module';
import { CandidateStore } from './candidate-store.service';
import { NeighbourSet } from './neighbour-set';
import { NeighbourService } from './neighbour.service';
import { PeerStore } from './peer-store.service';
import { PeerTableCache } from './peer-table.cache';
import { PeersController } from './peers.controller';
import { PeersService } from './peers.service';

@Module({
  imports: [BlocklistModule, ReputationModule, PinsModule],
  controllers: [PeersController],
  providers: [
    PeerStore,
    PeerTableCache,
    NeighbourSet,
    NeighbourService,
    CandidateStore,
    PeersService,
  ],
  exports: [PeerStore, PeerTableCache, NeighbourSet, NeighbourService, CandidateStore],
})
export class PeersModule {
  constructor(
    @Inject(BlocklistService) blocklist: BlocklistService,
    @Inject(NeighbourSet) neighbours: NeighbourSet,
  ) {
    // A blocked server stops being a neighbour at once, not at the next round.
    blocklist.onBlocked((serverId) => neighbours.remove(serverId));
  }
}
