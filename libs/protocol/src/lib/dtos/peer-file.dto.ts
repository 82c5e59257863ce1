import { IsOptional } from 'class-validator';
import {
  SERVER_ID_MAX,
  URL_MAX,
  WireNested,
  WireNestedArray,
  WireString,
  WireTimestamp,
  WireVersion,
} from './wire-rules';

export const MAX_PEERS_PER_FILE = 10_000;

export interface PeerEntry {
  server_id: string;
  endpoints: { discovery: string };
  last_seen?: string;
}

/**
 * A list of candidate discovery endpoints (docs/protocol.md §11). It confers no trust: each
 * peer is contacted and only what verifies is accepted.
 */
export interface PeerFile {
  version: string;
  peers: PeerEntry[];
  compiled_by?: string;
  compiled_date?: string;
}

export class PeerEndpointsDto {
  @WireString(URL_MAX)
  discovery: string;
}

export class PeerEntryDto implements PeerEntry {
  @WireString(SERVER_ID_MAX)
  server_id: string;

  @WireNested(() => PeerEndpointsDto)
  endpoints: PeerEndpointsDto;

  @IsOptional()
  @WireTimestamp()
  last_seen?: string;
}

export class PeerFileDto implements PeerFile {
  @WireVersion()
  version: string;

  @WireNestedArray(() => PeerEntryDto, MAX_PEERS_PER_FILE)
  peers: PeerEntryDto[];

  @IsOptional()
  @WireString(256)
  compiled_by?: string;

  @IsOptional()
  @WireTimestamp()
  compiled_date?: string;
}
