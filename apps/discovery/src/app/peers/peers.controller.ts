import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { PeerFile } from '@pager/protocol';
import { PeerImportResult, PeerPage, PeersService, parsePeerListQuery } from './peers.service';

@ApiTags('internal')
@Controller('api/v1/peers')
export class PeersController {
  constructor(@Inject(PeersService) private readonly peers: PeersService) {}

  @Get()
  list(@Query() query: Record<string, unknown>): Promise<PeerPage> {
    return this.peers.list(parsePeerListQuery(query));
  }

  @Post('import')
  @HttpCode(200)
  import(@Body() body: unknown): Promise<PeerImportResult> {
    return this.peers.import(body);
  }

  @Get('export')
  export(): Promise<PeerFile> {
    return this.peers.export();
  }
}
