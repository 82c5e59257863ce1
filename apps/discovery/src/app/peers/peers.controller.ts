import { ApiRoute } from '@pager/server-kit';
import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { PeerFile } from '@pager/protocol';
import {
  PEERS_PAGE_MAX,
  PeerImportResult,
  PeerPage,
  PeersService,
  parsePeerListQuery,
} from './peers.service';

@ApiTags('internal')
@Controller('api/v1/peers')
export class PeersController {
  constructor(@Inject(PeersService) private readonly peers: PeersService) {}

  @ApiRoute({
    summary:
      'The other servers this daemon knows, in server_id order. With `pin=pending`: instead the servers whose key awaits confirmations (PIN_CONFIRMATIONS > 1; not stored as peers yet, never neighbours), each entry marked `"pin": "pending"`; servers whose paths brought different keys have no one fingerprint to show and are listed by `GET /api/v1/pins` only.',
    access: 'internal',
    query: {
      limit: `entries per page, 1 to ${PEERS_PAGE_MAX} (default ${PEERS_PAGE_MAX})`,
      cursor: 'the `next_cursor` of the previous page',
      blocked: '`true` or `false`: only blocked or only unblocked servers',
      neighbor: '`true` or `false`: only neighbours or only the others',
      prefix: 'only server_ids starting with it (lowercase letters, digits, `.`, `-`)',
      pin: '`pinned` (default): the stored peers, whose key is pinned; `pending`: the servers whose key awaits confirmations',
    },
    responses: {
      200: '`{ "peers": [ { "server_id", "endpoints", "fingerprint", "capabilities", "timestamp", "neighbor", "blocked", "score" } ], "next_cursor" }`; with `pin=pending` each entry also has `"pin": "pending"`',
    },
    errors: ['validation_failed'],
  })
  @Get()
  list(@Query() query: Record<string, unknown>): Promise<PeerPage> {
    return this.peers.list(parsePeerListQuery(query));
  }

  @ApiRoute({
    summary:
      'Takes the peers of a peer exchange file as candidates (no trust: each is verified before use).',
    access: 'internal',
    body: 'a peer exchange file (protocol.md §11), at most 4 MiB',
    responses: {
      200: '`{ "accepted", "rejected" }`: counts of peers taken as candidates and refused',
    },
    errors: ['validation_failed', 'unsupported_version'],
  })
  @Post('import')
  @HttpCode(200)
  import(@Body() body: unknown): Promise<PeerImportResult> {
    return this.peers.import(body);
  }

  @ApiRoute({
    summary: 'A peer exchange file of the live peers, this server included.',
    access: 'internal',
    responses: { 200: 'a peer exchange file compiled by this server' },
  })
  @Get('export')
  export(): Promise<PeerFile> {
    return this.peers.export();
  }
}
