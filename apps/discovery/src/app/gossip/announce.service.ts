import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Announcement } from '@pager/protocol';
import { JsonLogger, ServerKey } from '@pager/server-kit';
import { OwnAnnouncementService } from '../announcements/own-announcement.service';
import { GossipService } from './gossip.service';

/**
 * `POST /api/v1/announce`: re-sign now and hand the new announcement to every neighbour.
 * The same happens at once when the keys change (`POST /api/v1/keys/reload`), and at start
 * while a rotation is announced, so that the neighbours move their pins without waiting for
 * the next gossip round (docs/protocol.md §14, key rotation).
 */
@Injectable()
export class AnnounceService implements OnApplicationBootstrap {
  constructor(
    @Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService,
    @Inject(GossipService) private readonly gossip: GossipService,
    @Inject(ServerKey) private readonly key: ServerKey,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.key.onReplaced(async () => {
      const announcement = await this.announceNow();
      this.logger.event('discovery.key_rotation_announced', {
        fingerprint: this.key.fingerprint,
        rotation_signature: announcement.rotation_signature !== undefined,
      });
    });
    if (this.key.previous !== null) {
      // Started during a rotation: our neighbours may not have the new key yet. Not awaited:
      // the start does not wait for peers (each exchange ends by its deadline).
      this.announceNow().catch((err: Error) =>
        this.logger.event('discovery.announce_failed', { error: err.message }, 'warn'),
      );
    }
  }

  async announceNow(): Promise<Announcement> {
    const announcement = await this.own.refresh();
    await this.gossip.pushToNeighbours();
    return announcement;
  }
}
