import { ApiRoute } from '@pager/server-kit';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Announcement } from '@pager/protocol';
import { OwnAnnouncementService } from './own-announcement.service';

/** `GET {discovery}/announcement` (mounted under the public path). */
@ApiTags('public')
@Controller()
export class AnnouncementController {
  constructor(@Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService) {}

  @ApiRoute({
    summary:
      "This server's own current signed announcement (protocol.md §6); bootstrap and the key refresh before `key_mismatch` fetch it.",
    access: 'public',
    responses: { 200: 'the signed announcement' },
  })
  @Get('announcement')
  current(): Promise<Announcement> {
    return this.own.current();
  }
}
