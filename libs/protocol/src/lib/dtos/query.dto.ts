import { ValidateIf } from 'class-validator';
import { QUERY_ID_RE } from '../ids';
import { MAX_QUERY_HOPS } from '../limits';
import type { Announcement } from './announcement.dto';
import {
  SERVER_ID_MAX,
  WireBoolean,
  WireInt,
  WireLiteral,
  WireObject,
  WirePattern,
  WireSignature,
  WireString,
  WireTimestamp,
  WireVersion,
} from './wire-rules';

/** A flooded domain lookup (docs/protocol.md §8), re-signed by each relay as `from`. */
export interface Query {
  version: string;
  type: 'query';
  query_id: string;
  domain: string;
  requester: string;
  from: string;
  max_hops: number;
  timestamp: string;
  signature: string;
}

/** Unsigned itself: the announcement it carries is, and is verified before use. */
export interface QueryReply {
  query_id: string;
  found: boolean;
  announcement?: Announcement;
}

const WireQueryId = () =>
  WirePattern(64, QUERY_ID_RE, 'QUERY- followed by 8 to 32 uppercase hex digits');

export class QueryDto implements Query {
  @WireVersion()
  version: string;

  @WireLiteral('query')
  type: 'query';

  @WireQueryId()
  query_id: string;

  @WireString(SERVER_ID_MAX)
  domain: string;

  @WireString(SERVER_ID_MAX)
  requester: string;

  @WireString(SERVER_ID_MAX)
  from: string;

  @WireInt(1, MAX_QUERY_HOPS)
  max_hops: number;

  @WireTimestamp()
  timestamp: string;

  @WireSignature()
  signature: string;
}

export class QueryReplyDto implements Omit<QueryReply, 'announcement'> {
  @WireQueryId()
  query_id: string;

  @WireBoolean()
  found: boolean;

  // Checked as an announcement by the caller (section 2), like gossip announcements.
  @ValidateIf((o: QueryReplyDto) => o.found === true || o.announcement !== undefined)
  @WireObject()
  announcement?: Record<string, unknown>;
}
