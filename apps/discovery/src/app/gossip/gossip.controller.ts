import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { GossipPushReply, GossipReply } from '@pager/protocol';
import { GossipService } from './gossip.service';

/** `POST {discovery}/gossip` (mounted under the public path, see mountPublicControllers). */
@ApiTags('public')
@Controller()
export class GossipController {
  constructor(@Inject(GossipService) private readonly gossip: GossipService) {}

  @Post('gossip')
  @HttpCode(200)
  receive(@Body() body: unknown): Promise<GossipReply | GossipPushReply> {
    return this.gossip.receive(body);
  }
}
