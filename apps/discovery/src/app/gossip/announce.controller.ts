import { ApiRoute } from '@pager/server-kit';
import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Announcement } from '@pager/protocol';
import { AnnounceService } from './announce.service';

@ApiTags('internal')
@Controller('api/v1')
export class AnnounceController {
  constructor(@Inject(AnnounceService) private readonly announce: AnnounceService) {}

  @ApiRoute({
    summary: 'Re-signs the own announcement now and pushes it to the neighbours.',
    access: 'internal',
    responses: { 200: 'the new signed announcement' },
  })
  @Post('announce')
  @HttpCode(200)
  announceNow(): Promise<Announcement> {
    return this.announce.announceNow();
  }
}
