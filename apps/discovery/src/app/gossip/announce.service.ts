import { Inject, Injectable } from '@nestjs/common';
import type { Announcement } from '@pager/protocol';
import { OwnAnnouncementService } from '../announcements/own-announcement.service';
import { GossipService } from './gossip.service';

/** `POST /api/v1/announce`: re-sign now and hand the new announcement to every neighbour. */
@Injectable()
export class AnnounceService {
  constructor(
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(GossipService) private readonly gossip: GossipService,
  ) {}

  async announceNow(): Promise<Announcement> {
    const announcement = await this.own.refresh();
    await this.gossip.pushToNeighbours();
    return announcement;
  }
}
