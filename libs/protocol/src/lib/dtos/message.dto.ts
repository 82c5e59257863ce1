import { MESSAGE_ID_RE } from '../ids';
import { MAX_CONTENT_CODE_POINTS } from '../limits';
import {
  ADDRESS_MAX,
  WireCodePoints,
  WireInt,
  WirePattern,
  WireSignature,
  WireString,
  WireTimestamp,
  WireVersion,
} from './wire-rules';

export const MESSAGE_TYPE_PAGER = 'pager';
const FINGERPRINT_RE = /^[0-9A-F]{64}$/;

/** 0 low, 1 normal, 2 urgent. */
export type Priority = 0 | 1 | 2;

/** A federated message (docs/protocol.md §9), signed by the sending server. */
export interface Message {
  version: string;
  message_id: string;
  message_type: string;
  from: string;
  to: string;
  content: string;
  priority: Priority;
  timestamp: string;
  sender_fingerprint: string;
  signature: string;
}

export class MessageDto implements Message {
  @WireVersion()
  version: string;

  @WirePattern(64, MESSAGE_ID_RE, 'MSG- followed by 8 to 32 uppercase hex digits')
  message_id: string;

  // Only a string here: a value other than "pager" is a different error
  // (unsupported_message_type), decided after schema validation.
  @WireString(64)
  message_type: string;

  // Address syntax is checked by the adapter, which answers invalid_address / wrong_server.
  @WireString(ADDRESS_MAX)
  from: string;

  @WireString(ADDRESS_MAX)
  to: string;

  @WireCodePoints(1, MAX_CONTENT_CODE_POINTS)
  content: string;

  @WireInt(0, 2)
  priority: Priority;

  @WireTimestamp()
  timestamp: string;

  @WirePattern(64, FINGERPRINT_RE, '64 uppercase hex characters')
  sender_fingerprint: string;

  @WireSignature()
  signature: string;
}
