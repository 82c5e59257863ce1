import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { validateWire } from '@pager/protocol';
import { requireServerId, requireValid } from '../shared/server-id-param';
import { BlockRequestDto } from './blocklist.dto';
import { BlockEntry, BlocklistService } from './blocklist.service';

@ApiTags('internal')
@Controller('api/v1/blocklist')
export class BlocklistController {
  constructor(@Inject(BlocklistService) private readonly blocklist: BlocklistService) {}

  @Get()
  list(): Promise<{ blocked: BlockEntry[] }> {
    return this.blocklist.list();
  }

  @Put(':serverId')
  @HttpCode(200)
  block(@Param('serverId') serverId: string, @Body() body: unknown): Promise<BlockEntry> {
    const id = requireServerId(serverId);
    const { reason } = requireValid(validateWire(BlockRequestDto, body));
    return this.blocklist.block(id, reason);
  }

  @Delete(':serverId')
  @HttpCode(204)
  unblock(@Param('serverId') serverId: string): Promise<void> {
    return this.blocklist.unblock(requireServerId(serverId));
  }
}
