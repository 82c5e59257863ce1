import { IsOptional } from 'class-validator';
import {
  PUBLIC_KEY_MAX,
  SERVER_ID_MAX,
  URL_MAX,
  WireBoolean,
  WireNested,
  WireSignature,
  WireString,
  WireStringArray,
  WireTimestamp,
  WireVersion,
} from './wire-rules';

export interface Capabilities {
  paging: boolean;
  ai_messaging?: boolean;
  supported_versions: string[];
}

export interface Endpoints {
  federation: string;
  discovery: string;
}

/** A server's self-signed announcement (docs/protocol.md §6). */
export interface Announcement {
  version: string;
  server_id: string;
  public_key: string;
  capabilities: Capabilities;
  endpoints: Endpoints;
  timestamp: string;
  signature: string;
  rotation_signature?: string;
}

export class CapabilitiesDto implements Capabilities {
  @WireBoolean()
  paging: boolean;

  @IsOptional()
  @WireBoolean()
  ai_messaging?: boolean;

  @WireStringArray(16, 16)
  supported_versions: string[];
}

// URL syntax and the host rule belong to the daemon's endpoint policy, which also resolves
// the host; here only the shape is checked.
export class EndpointsDto implements Endpoints {
  @WireString(URL_MAX)
  federation: string;

  @WireString(URL_MAX)
  discovery: string;
}

export class AnnouncementDto implements Announcement {
  @WireVersion()
  version: string;

  @WireString(SERVER_ID_MAX)
  server_id: string;

  @WireString(PUBLIC_KEY_MAX)
  public_key: string;

  @WireNested(() => CapabilitiesDto)
  capabilities: CapabilitiesDto;

  @WireNested(() => EndpointsDto)
  endpoints: EndpointsDto;

  @WireTimestamp()
  timestamp: string;

  @WireSignature()
  signature: string;

  @IsOptional()
  @WireSignature()
  rotation_signature?: string;
}
