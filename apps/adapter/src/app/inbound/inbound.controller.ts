import { ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, HttpCode, Inject, Ip, Post, Type } from '@nestjs/common';
import { InboundService } from './inbound.service';

/**
 * The public federation route lives under the path of FEDERATION_PUBLIC_URL, known only at
 * boot, so the controller class is made per path.
 */
export function inboundControllerAt(publicPath: string): Type<unknown> {
  @ApiTags('public')
  @Controller(publicPath.replace(/^\/+/, ''))
  class InboundController {
    constructor(@Inject(InboundService) private readonly inbound: InboundService) {}

    @ApiRoute({
      summary:
        'A federated message from another server (protocol.md §9), answered with a signed ack whether delivered or rejected.',
      access: 'public',
      body: 'a signed federated message (at most 64 KiB)',
      responses: { 200: 'the signed ack: `status` `delivered`, or `rejected` with a `reason`' },
      errors: [
        'validation_failed',
        'unsupported_version',
        'unsupported_message_type',
        'blocked',
        'unknown_server',
        'key_mismatch',
        'signature_invalid',
        'rate_limited',
        'clock_skew',
        'wrong_server',
        'service_unavailable',
      ],
    })
    @Post('messages')
    @HttpCode(200)
    receive(@Body() body: unknown, @Ip() clientAddress: string) {
      return this.inbound.receive(body, clientAddress);
    }
  }
  return InboundController;
}
