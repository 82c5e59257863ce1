import { ApiTags } from '@nestjs/swagger';
import {
  ApiRoute,
  TRACEPARENT_HEADER,
  formatTraceparent,
  traceFromHeaders,
} from '@pager/server-kit';
import { Body, Controller, Headers, HttpCode, Inject, Ip, Post, Res, Type } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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
    receive(
      @Body() body: unknown,
      @Ip() clientAddress: string,
      @Headers(TRACEPARENT_HEADER) traceparent: string | string[] | undefined,
      @Res({ passthrough: true }) reply: FastifyReply,
    ) {
      // docs/protocol.md §14: the sender's traceparent, if valid, is continued (a malformed
      // one is ignored and a new trace starts); it never changes how the page is handled.
      // The answer, ack or error, names this request's span.
      const trace = traceFromHeaders({ traceparent }).context;
      reply.header(TRACEPARENT_HEADER, formatTraceparent(trace));
      return this.inbound.receive(body, clientAddress, trace);
    }
  }
  return InboundController;
}
