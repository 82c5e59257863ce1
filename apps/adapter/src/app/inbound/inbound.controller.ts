import { Body, Controller, HttpCode, Inject, Ip, Post, Type } from '@nestjs/common';
import { InboundService } from './inbound.service';

/**
 * The public federation route lives under the path of FEDERATION_PUBLIC_URL, known only at
 * boot, so the controller class is made per path.
 */
export function inboundControllerAt(publicPath: string): Type<unknown> {
  @Controller(publicPath.replace(/^\/+/, ''))
  class InboundController {
    constructor(@Inject(InboundService) private readonly inbound: InboundService) {}

    @Post('messages')
    @HttpCode(200)
    receive(@Body() body: unknown, @Ip() clientAddress: string) {
      return this.inbound.receive(body, clientAddress);
    }
  }
  return InboundController;
}
