import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Announcement } from '@pager/protocol';
import { OwnAnnouncementService } from './own-announcement.service';

/** `GET {discovery}/announcement` (mounted under the public path). */
@ApiTags('public')
@Controller()
export class AnnouncementController {
  constructor(@Inject(OwnAnnouncementService) private readonly own: OwnAnnouncementService) {}

  @Get('announcement')
  current(): Promise<Announcement> {
    return this.own.current();
  }
}
