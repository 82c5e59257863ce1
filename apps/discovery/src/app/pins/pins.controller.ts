import { ApiRoute } from '@pager/server-kit';
import { Controller, Delete, Get, HttpCode, Inject, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProtocolError } from '@pager/protocol';
import { requireServerId } from '../common/server-id-param';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import type { PinHistoryEntry } from '../core';
import { ChainStatus, PinHistoryCheck } from './pin-history.check';
import { PendingPin, PinStore, PinView } from './pin-store.service';

/** Answer of `GET /api/v1/pins`. */
export interface PinList {
  /** PIN_CONFIRMATIONS: distinct paths a new server's key needs before it is pinned. */
  required_confirmations: number;
  pins: PinView[];
  /** Servers not pinned yet: `pending` (too few paths) or `conflict` (paths disagree). */
  pending: PendingPin[];
}

/** Answer of `GET /api/v1/pins/{server_id}/history`. */
export interface PinHistoryAnswer {
  server_id: string;
  entries: PinHistoryEntry[];
  /** The check of the whole chain at start (docs/protocol.md §14). */
  chain: ChainStatus;
}

@ApiTags('internal')
@Controller('api/v1/pins')
export class PinsController {
  constructor(
    @Inject(PinStore) private readonly pins: PinStore,
    @Inject(PinHistoryCheck) private readonly chain: PinHistoryCheck,
    @Inject(DISCOVERY_CONFIG) private readonly config: Pick<DiscoveryConfig, 'pinConfirmations'>,
  ) {}

  @ApiRoute({
    summary:
      'Pinned keys, and the servers not pinned yet (careful first contact, PIN_CONFIRMATIONS): each key seen with the paths that brought it; `state` is `conflict` when paths disagree (no pin until the operator forgets it).',
    access: 'internal',
    responses: {
      200: '`{ "required_confirmations", "pins": [ { "server_id", "fingerprint", "pinned_at", "updated_at" } ], "pending": [ { "server_id", "state": "pending" | "conflict", "keys": [ { "fingerprint", "paths" } ], "first_seen", "last_seen" } ] }`',
    },
  })
  @Get()
  async list(): Promise<PinList> {
    return {
      required_confirmations: this.config.pinConfirmations,
      pins: await this.pins.pins(),
      pending: await this.pins.pending(),
    };
  }

  @ApiRoute({
    summary:
      "A server's entries of the hash-chained pin history (pinned, rotated, conflict, forgotten), oldest first, with the outcome of the chain check at start. 404 when the server has no entry, no pin and nothing pending.",
    access: 'internal',
    responses: {
      200: '`{ "server_id", "entries": [ { "seq", "server_id", "event", "fingerprint", "previous_fingerprint", "source", "reason", "at", "prev_hash", "hash" } ], "chain": { "intact", "length", "broken_at", "checked_at" } }`',
    },
    errors: ['validation_failed', 'not_found'],
  })
  @Get(':serverId/history')
  async history(@Param('serverId') rawServerId: string): Promise<PinHistoryAnswer> {
    const serverId = requireServerId(rawServerId);
    const entries = await this.pins.history(serverId);
    if (
      entries.length === 0 &&
      (await this.pins.get(serverId)) === null &&
      !(await this.pins.isPending(serverId))
    ) {
      throw new ProtocolError('not_found', `no pin history for ${serverId}`);
    }
    return { server_id: serverId, entries, chain: this.chain.status() };
  }

  @ApiRoute({
    summary:
      'Forgets the pinned key of a server, and any pending confirmations (a conflict among them included); appends `forgotten` to the pin history. The next announcement accepted for it starts afresh.',
    access: 'internal',
    responses: { 204: 'forgotten' },
    errors: ['validation_failed', 'not_found'],
  })
  @Delete(':serverId')
  @HttpCode(204)
  forget(@Param('serverId') serverId: string): Promise<void> {
    return this.pins.forget(requireServerId(serverId));
  }
}
