import { ValidateIf } from 'class-validator';
import { MESSAGE_ID_RE } from '../ids';
import { REJECT_REASONS, type RejectReason } from '../limits';
import {
  SERVER_ID_MAX,
  WireLiteral,
  WireOneOf,
  WirePattern,
  WireSha256Hex,
  WireSignature,
  WireString,
  WireTimestamp,
  WireVersion,
} from './wire-rules';

export const ACK_STATUSES = ['delivered', 'rejected'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

/** The receiver's signed acknowledgment of a message, delivered or (finally) rejected. */
export interface Ack {
  version: string;
  ack_type: 'message_received';
  message_id: string;
  /** messageDigest() of the message as received. */
  message_digest: string;
  status: AckStatus;
  reason?: RejectReason;
  recipient_server: string;
  timestamp: string;
  signature: string;
}

export class AckDto implements Ack {
  @WireVersion()
  version: string;

  @WireLiteral('message_received')
  ack_type: 'message_received';

  @WirePattern(64, MESSAGE_ID_RE, 'MSG- followed by 8 to 32 uppercase hex digits')
  message_id: string;

  @WireSha256Hex()
  message_digest: string;

  @WireOneOf(ACK_STATUSES)
  status: AckStatus;

  // A rejection without a reason is useless to the sender, who must decide not to retry.
  @ValidateIf((o: AckDto) => o.status === 'rejected' || o.reason !== undefined)
  @WireOneOf(REJECT_REASONS)
  reason?: RejectReason;

  @WireString(SERVER_ID_MAX)
  recipient_server: string;

  @WireTimestamp()
  timestamp: string;

  @WireSignature()
  signature: string;
}
