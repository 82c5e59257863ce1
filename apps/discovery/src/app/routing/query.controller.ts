import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { QueryReply } from '@pager/protocol';
import { QueryService } from './query.service';

/** `POST {discovery}/query` (mounted under the public path). */
@ApiTags('public')
@Controller()
export class QueryController {
  constructor(@Inject(QueryService) private readonly queries: QueryService) {}

  @Post('query')
  @HttpCode(200)
  receive(@Body() body: unknown): Promise<QueryReply> {
    return this.queries.receive(body);
  }
}
