import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { PeerFile } from '@pager/protocol';
import { PeerImportResult, PeerView, PeersService } from './peers.service';

@ApiTags('internal')
@Controller('api/v1/peers')
export class PeersController {
  constructor(@Inject(PeersService) private readonly peers: PeersService) {}

  @Get()
  list(): Promise<{ peers: PeerView[] }> {
    return this.peers.list();
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
