import { IsOptional, ValidateIf } from 'class-validator';
import { GOSSIP_ID_RE } from '../ids';
import { MAX_ANNOUNCEMENTS_PER_ENVELOPE } from '../limits';
import type { Announcement } from './announcement.dto';
import {
  SERVER_ID_MAX,
  WireBoolean,
  WireBucketHashes,
  WireLiteral,
  WireObjectArray,
  WirePattern,
  WireSha256Hex,
  WireSignature,
  WireString,
  WireStringArray,
  WireTimestamp,
  WireTimestampMap,
  WireVersion,
} from './wire-rules';

/** Most server ids a `gossip_push` may ask for at once. */
export const MAX_WANTED_PER_PUSH = 10_000;

/** Members every gossip envelope carries, signed by `from`. */
interface EnvelopeBase {
  version: string;
  gossip_id: string;
  from: string;
  timestamp: string;
  signature: string;
}

/** Step 1: the initiator's digest and its own announcement. */
export interface GossipEnvelope extends EnvelopeBase {
  type: 'gossip';
  digest_hash: string;
  bucket_hashes: string[];
  announcements: Announcement[];
}

export interface GossipReply extends EnvelopeBase {
  type: 'gossip_reply';
  in_sync: boolean;
  bucket_hashes?: string[];
  digest?: Record<string, string>;
  announcements?: Announcement[];
}

/** Step 2: what the initiator has that the responder lacks, and what it wants back. */
export interface GossipPush extends EnvelopeBase {
  type: 'gossip_push';
  announcements: Announcement[];
  want: string[];
}

export interface GossipPushReply extends EnvelopeBase {
  type: 'gossip_push_reply';
  announcements: Announcement[];
}

export type AnyGossipEnvelope = GossipEnvelope | GossipReply | GossipPush | GossipPushReply;

// Announcements inside envelopes are only checked to be objects: each is validated on its
// own later, and an invalid one is dropped and counted, not fatal to the envelope.
type Unchecked<T extends { announcements?: Announcement[] }> = Omit<T, 'announcements'>;

abstract class EnvelopeDto implements EnvelopeBase {
  @WireVersion()
  version: string;

  @WirePattern(64, GOSSIP_ID_RE, 'GOSSIP- followed by 8 to 32 uppercase hex digits')
  gossip_id: string;

  @WireString(SERVER_ID_MAX)
  from: string;

  @WireTimestamp()
  timestamp: string;

  @WireSignature()
  signature: string;
}

export class GossipDto extends EnvelopeDto implements Unchecked<GossipEnvelope> {
  @WireLiteral('gossip')
  type: 'gossip';

  @WireSha256Hex()
  digest_hash: string;

  @WireBucketHashes()
  bucket_hashes: string[];

  @WireObjectArray(MAX_ANNOUNCEMENTS_PER_ENVELOPE)
  announcements: Record<string, unknown>[];
}

export class GossipReplyDto extends EnvelopeDto implements Unchecked<GossipReply> {
  @WireLiteral('gossip_reply')
  type: 'gossip_reply';

  @WireBoolean()
  in_sync: boolean;

  // Required exactly when the digests differ: the initiator needs them to find the buckets.
  @ValidateIf((o: GossipReplyDto) => o.in_sync === false || o.bucket_hashes !== undefined)
  @WireBucketHashes()
  bucket_hashes?: string[];

  @IsOptional()
  @WireTimestampMap()
  digest?: Record<string, string>;

  @IsOptional()
  @WireObjectArray(MAX_ANNOUNCEMENTS_PER_ENVELOPE)
  announcements?: Record<string, unknown>[];
}

export class GossipPushDto extends EnvelopeDto implements Unchecked<GossipPush> {
  @WireLiteral('gossip_push')
  type: 'gossip_push';

  @WireObjectArray(MAX_ANNOUNCEMENTS_PER_ENVELOPE)
  announcements: Record<string, unknown>[];

  @WireStringArray(MAX_WANTED_PER_PUSH, SERVER_ID_MAX)
  want: string[];
}

export class GossipPushReplyDto extends EnvelopeDto implements Unchecked<GossipPushReply> {
  @WireLiteral('gossip_push_reply')
  type: 'gossip_push_reply';

  @WireObjectArray(MAX_ANNOUNCEMENTS_PER_ENVELOPE)
  announcements: Record<string, unknown>[];
}
