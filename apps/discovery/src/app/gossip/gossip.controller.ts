import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { GossipPushReply, GossipReply } from '@pager/protocol';
import { GossipService } from './gossip.service';
import { SIGNED_ENVELOPE_ERRORS } from '../common/envelope-errors';

/** `POST {discovery}/gossip` (mounted under the public path, see mountPublicControllers). */
@ApiTags('public')
@Controller()
export class GossipController {
  constructor(@Inject(GossipService) private readonly gossip: GossipService) {}

  @ApiRoute({
    summary:
      'One step of a gossip exchange (protocol.md §7): a `gossip` envelope is answered with a `gossip_reply`, a `gossip_push` with a `gossip_push_reply`.',
    access: 'public',
    body: 'a signed `gossip` or `gossip_push` envelope (at most 4 MiB)',
    responses: { 200: 'the signed `gossip_reply` or `gossip_push_reply`' },
    errors: SIGNED_ENVELOPE_ERRORS,
  })
  @Post('gossip')
  @HttpCode(200)
  receive(@Body() body: unknown): Promise<GossipReply | GossipPushReply> {
    return this.gossip.receive(body);
  }
}
