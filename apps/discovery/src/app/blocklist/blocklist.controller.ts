import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { validateWire } from '@pager/protocol';
import { requireServerId, requireValid } from '../common/server-id-param';
import { BlockRequestDto } from './blocklist.dto';
import { BlockEntry, BlocklistService } from './blocklist.service';

@ApiTags('internal')
@Controller('api/v1/blocklist')
export class BlocklistController {
  constructor(@Inject(BlocklistService) private readonly blocklist: BlocklistService) {}

  @ApiRoute({
    summary: 'The blocklist.',
    access: 'internal',
    responses: { 200: '`{ "blocked": [ { "server_id", "reason", "created_at" } ] }`' },
  })
  @Get()
  list(): Promise<{ blocked: BlockEntry[] }> {
    return this.blocklist.list();
  }

  @ApiRoute({
    summary:
      'Blocks a server: nothing is exchanged with it any more, its envelopes, queries and messages get `403 blocked`.',
    access: 'internal',
    body: '`{ "reason" }` (1 to 1000 characters)',
    responses: { 200: 'the block entry `{ "server_id", "reason", "created_at" }`' },
    errors: ['validation_failed'],
  })
  @Put(':serverId')
  @HttpCode(200)
  block(@Param('serverId') serverId: string, @Body() body: unknown): Promise<BlockEntry> {
    const id = requireServerId(serverId);
    const { reason } = requireValid(validateWire(BlockRequestDto, body));
    return this.blocklist.block(id, reason);
  }

  @ApiRoute({
    summary: 'Unblocks a server.',
    access: 'internal',
    responses: { 204: 'unblocked' },
    errors: ['validation_failed', 'not_found'],
  })
  @Delete(':serverId')
  @HttpCode(204)
  unblock(@Param('serverId') serverId: string): Promise<void> {
    return this.blocklist.unblock(requireServerId(serverId));
  }
}
