import { ApiTags } from '@nestjs/swagger';
import { ApiRoute, TRACEPARENT_HEADER, formatTraceparent } from '@pager/server-kit';
import { Body, Controller, Get, Headers, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MessagesService } from './messages.service';

@ApiTags('internal')
@Controller('api/v1')
export class MessagesController {
  constructor(@Inject(MessagesService) private readonly messages: MessagesService) {}

  @ApiRoute({
    summary: 'Sends a page: `to` is a contact name, a local username or `user@server`.',
    access: 'internal',
    body: '`{ "sender_user_id", "to", "content" (1 to 4096 characters), "priority"? (0, 1 or 2; default 1) }`',
    responses: {
      201: 'local page, delivered: `{ "message_id", "status": "delivered", "from", "to", "created_at" }`',
      202: 'federated page, queued durably: `{ "message_id", "status": "queued", "from", "to", "created_at" }`',
    },
    errors: ['validation_failed', 'not_found', 'invalid_address', 'unknown_recipient', 'blocked'],
  })
  @Post('messages')
  async send(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers(TRACEPARENT_HEADER) traceparent: string | string[] | undefined,
  ) {
    const r = await this.messages.send(body, traceparent);
    reply.status(r.status);
    // The page's creation span: a caller that sent none learns the trace to follow.
    reply.header(TRACEPARENT_HEADER, formatTraceparent(r.trace));
    return r.body;
  }

  @ApiRoute({
    summary: 'The delivery state of a page.',
    access: 'internal',
    responses: {
      200: '`{ "message_id", "status", "attempts", "last_error", "created_at", "delivered_at" }`',
    },
    errors: ['not_found'],
  })
  @Get('messages/:messageId')
  state(@Param('messageId') messageId: string) {
    return this.messages.state(messageId);
  }

  @ApiRoute({
    summary: "The user's messages, newest first.",
    access: 'internal',
    query: {
      box: '`inbox` (default) or `sent`',
      limit: '1 to 200, default 50',
      before: 'a `message_id` of the same box or an RFC 3339 timestamp: only older messages',
    },
    responses: {
      200: '`{ "messages": [ { "message_id", "from", "to", "content", "priority", "status", "created_at", "delivered_at" } ] }`',
    },
    errors: ['validation_failed', 'not_found'],
  })
  @Get('users/:userId/messages')
  box(@Param('userId') userId: string, @Query() query: Record<string, unknown>) {
    return this.messages.box(userId, query);
  }
}
