import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MessagesService } from './messages.service';

@Controller('api/v1')
export class MessagesController {
  constructor(@Inject(MessagesService) private readonly messages: MessagesService) {}

  @Post('messages')
  async send(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.messages.send(body);
    reply.status(r.status);
    return r.body;
  }

  @Get('messages/:messageId')
  state(@Param('messageId') messageId: string) {
    return this.messages.state(messageId);
  }

  @Get('users/:userId/messages')
  box(@Param('userId') userId: string, @Query() query: Record<string, unknown>) {
    return this.messages.box(userId, query);
  }
}
