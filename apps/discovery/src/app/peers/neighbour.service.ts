import { Inject, Injectable } from '@nestjs/common';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { chooseNeighbours } from '@pager/gossip-core';
import { NeighbourSet } from './neighbour-set';
import { PeerTableCache } from './peer-table.cache';

/**
 * The active neighbours as the gossip rounds chose them, topped up from the known live
 * peers while there are fewer than wanted — e.g. right after start, before the first
 * round, when a relay must already forward queries and an announce must reach someone.
 */
@Injectable()
export class NeighbourService {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(NeighbourSet) private readonly neighbours: NeighbourSet,
    @Inject(PeerTableCache) private readonly tables: PeerTableCache,
  ) {}

  async active(nowMs: number = Date.now()): Promise<string[]> {
    const current = this.neighbours.list();
    if (current.length >= this.config.neighborCount) return current;
    const table = await this.tables.table(nowMs);
    const others = table.size - (table.has(this.config.serverId) ? 1 : 0);
    if (others <= current.filter((id) => table.has(id)).length) return current;
    const chosen = chooseNeighbours({
      current,
      candidates: table.asCandidates(),
      self: this.config.serverId,
      unresponsive: this.neighbours.unresponsiveList(),
      target: this.config.neighborCount,
      rng: Math.random,
    });
    this.neighbours.replace(chosen);
    return chosen;
  }
}
