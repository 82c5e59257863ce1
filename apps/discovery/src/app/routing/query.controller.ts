import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { QueryReply } from '@pager/protocol';
import { QueryService } from './query.service';
import { SIGNED_ENVELOPE_ERRORS } from '../common/envelope-errors';

/** `POST {discovery}/query` (mounted under the public path). */
@ApiTags('public')
@Controller()
export class QueryController {
  constructor(@Inject(QueryService) private readonly queries: QueryService) {}

  @ApiRoute({
    summary:
      'A query for a domain (protocol.md §8): answered from what this server knows, else flooded on to its neighbours.',
    access: 'public',
    body: 'a signed `query` (at most 64 KiB)',
    responses: {
      200: '`{ "query_id", "found": true, "announcement" }` or `{ "query_id", "found": false }`',
    },
    errors: SIGNED_ENVELOPE_ERRORS,
  })
  @Post('query')
  @HttpCode(200)
  receive(@Body() body: unknown): Promise<QueryReply> {
    return this.queries.receive(body);
  }
}
